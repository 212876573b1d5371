#include "ssh/crypto/ssh_signature.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>

#include <array>

#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::crypto {
namespace {

struct SigDeleter {
  void operator()(ECDSA_SIG* sig) const noexcept { ECDSA_SIG_free(sig); }
};
using SigPtr = std::unique_ptr<ECDSA_SIG, SigDeleter>;

struct NamedScheme {
  std::string_view name;
  SignatureScheme scheme;
};

constexpr std::array<NamedScheme, 7> kSchemes{{
    {"ssh-ed25519", {SshKeyType::ed25519, nullptr}},                  // RFC 8709 §6
    {"ecdsa-sha2-nistp256", {SshKeyType::ecdsa_nistp256, "SHA256"}},  // RFC 5656 §6.2.1
    {"ecdsa-sha2-nistp384", {SshKeyType::ecdsa_nistp384, "SHA384"}},
    {"ecdsa-sha2-nistp521", {SshKeyType::ecdsa_nistp521, "SHA512"}},
    {"rsa-sha2-256", {SshKeyType::rsa, "SHA256"}},  // RFC 8332 §3
    {"rsa-sha2-512", {SshKeyType::rsa, "SHA512"}},
    {"ssh-rsa", {SshKeyType::rsa, "SHA1"}},  // RFC 4253 §6.6
}};

Bytes bn_magnitude(const BIGNUM* bn) {
  Bytes out(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());
  return out;
}

}  // namespace

std::optional<SignatureScheme> signature_scheme(std::string_view algorithm) {
  for (const auto& s : kSchemes)
    if (s.name == algorithm) return s.scheme;
  return std::nullopt;
}

std::size_t ecdsa_scalar_bytes(SshKeyType type) {
  switch (type) {
    case SshKeyType::ecdsa_nistp256:
      return 32;
    case SshKeyType::ecdsa_nistp384:
      return 48;
    case SshKeyType::ecdsa_nistp521:
      return 66;
    case SshKeyType::ed25519:
    case SshKeyType::rsa:
      break;
  }
  return 0;
}

std::optional<Bytes> ecdsa_signature_ssh_to_der(ByteView ssh_signature, std::size_t max_scalar_bytes) {
  wire::Reader reader(ssh_signature);
  ByteView r_bytes;
  ByteView s_bytes;
  if (!reader.mpint_unsigned(r_bytes) || !reader.mpint_unsigned(s_bytes) || !reader.empty()) return std::nullopt;
  // Zero is never a valid r or s (SEC1 §4.1.4); sizes beyond the order cannot be valid either.
  if (r_bytes.empty() || s_bytes.empty() || r_bytes.size() > max_scalar_bytes || s_bytes.size() > max_scalar_bytes)
    return std::nullopt;
  BIGNUM* r = BN_bin2bn(r_bytes.data(), static_cast<int>(r_bytes.size()), nullptr);
  BIGNUM* s = BN_bin2bn(s_bytes.data(), static_cast<int>(s_bytes.size()), nullptr);
  SigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::nullopt;
  Bytes der(static_cast<std::size_t>(len));
  std::uint8_t* p = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) return std::nullopt;
  return der;
}

std::optional<Bytes> ecdsa_signature_der_to_ssh(ByteView der) {
  const std::uint8_t* p = der.data();
  SigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != der.data() + der.size()) return std::nullopt;
  const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
  if (r == nullptr || s == nullptr || BN_is_negative(r) || BN_is_negative(s)) return std::nullopt;
  wire::Writer out;
  out.mpint_unsigned(bn_magnitude(r));
  out.mpint_unsigned(bn_magnitude(s));
  return out.take();
}

}  // namespace ssh::crypto
