#include "ssh/crypto/ssh_public_key.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <array>
#include <cstring>
#include <string>

#include "ssh/wire/writer.hpp"

namespace ssh::crypto {
namespace {

struct CtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, CtxDeleter>;
struct BnDeleter {
  void operator()(BIGNUM* bn) const noexcept { BN_free(bn); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
struct BldDeleter {
  void operator()(OSSL_PARAM_BLD* bld) const noexcept { OSSL_PARAM_BLD_free(bld); }
};
struct ParamsDeleter {
  void operator()(OSSL_PARAM* params) const noexcept { OSSL_PARAM_free(params); }
};

constexpr std::size_t kEd25519KeySize = 32;  // RFC 8709 §4

struct CurveInfo {
  SshKeyType type;
  std::string_view ssh_identifier;  // RFC 5656 §10.1
  const char* openssl_group;
  std::string_view openssl_alias;  // the name OpenSSL reports back for keys of this group
  std::size_t field_bytes;
};

constexpr std::array<CurveInfo, 3> kCurves{{
    {SshKeyType::ecdsa_nistp256, "nistp256", "P-256", "prime256v1", 32},
    {SshKeyType::ecdsa_nistp384, "nistp384", "P-384", "secp384r1", 48},
    {SshKeyType::ecdsa_nistp521, "nistp521", "P-521", "secp521r1", 66},
}};

const CurveInfo* curve_info(SshKeyType type) {
  for (const auto& c : kCurves)
    if (c.type == type) return &c;
  return nullptr;
}

EvpPkeyPtr fromdata(const char* algorithm, OSSL_PARAM* params) {
  CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) return nullptr;
  return EvpPkeyPtr(raw);
}

// Full public-key validation (on curve, not infinity, correct order; RSA modulus sanity).
bool public_check(EVP_PKEY* pkey) {
  CtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  return ctx && EVP_PKEY_public_check(ctx.get()) == 1;
}

std::optional<SshPublicKey> read_ed25519(wire::Reader& reader) {
  ByteView key;
  if (!reader.string(key) || key.size() != kEd25519KeySize) return std::nullopt;
  EvpPkeyPtr pkey(EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, key.data(), key.size()));
  if (!pkey) return std::nullopt;
  return SshPublicKey{SshKeyType::ed25519, std::move(pkey)};
}

std::optional<SshPublicKey> read_ecdsa(const CurveInfo& curve, wire::Reader& reader) {
  std::string_view identifier;
  ByteView point;
  if (!reader.string(identifier) || identifier != curve.ssh_identifier) return std::nullopt;
  // RFC 5656 §3.1: Q is a SEC1 point; we insist on the uncompressed form every implementation sends.
  if (!reader.string(point) || point.size() != 1 + 2 * curve.field_bytes || point[0] != 0x04) return std::nullopt;
  std::array<char, 8> group{};
  std::memcpy(group.data(), curve.openssl_group, std::strlen(curve.openssl_group));
  std::array<OSSL_PARAM, 3> params{
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<std::uint8_t*>(point.data()), point.size()),
      OSSL_PARAM_construct_end(),
  };
  EvpPkeyPtr pkey = fromdata("EC", params.data());
  if (!pkey || !public_check(pkey.get())) return std::nullopt;
  return SshPublicKey{curve.type, std::move(pkey)};
}

std::optional<SshPublicKey> read_rsa(wire::Reader& reader) {
  // RFC 4253 §6.6: mpint e, mpint n (in that order).
  ByteView e_bytes;
  ByteView n_bytes;
  if (!reader.mpint_unsigned(e_bytes) || !reader.mpint_unsigned(n_bytes)) return std::nullopt;
  if (n_bytes.empty() || e_bytes.empty()) return std::nullopt;
  if (n_bytes.size() > kRsaParseMaxBits / 8 || e_bytes.size() > n_bytes.size()) return std::nullopt;
  BnPtr n(BN_bin2bn(n_bytes.data(), static_cast<int>(n_bytes.size()), nullptr));
  BnPtr e(BN_bin2bn(e_bytes.data(), static_cast<int>(e_bytes.size()), nullptr));
  if (!n || !e) return std::nullopt;
  const int bits = BN_num_bits(n.get());
  if (bits < kRsaParseMinBits || bits > kRsaParseMaxBits || !BN_is_odd(n.get())) return std::nullopt;
  if (!BN_is_odd(e.get()) || BN_is_one(e.get()) || BN_cmp(e.get(), n.get()) >= 0) return std::nullopt;

  std::unique_ptr<OSSL_PARAM_BLD, BldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    return std::nullopt;
  std::unique_ptr<OSSL_PARAM, ParamsDeleter> params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return std::nullopt;
  EvpPkeyPtr pkey = fromdata("RSA", params.get());
  if (!pkey) return std::nullopt;
  return SshPublicKey{SshKeyType::rsa, std::move(pkey)};
}

// Left-pads a big-endian magnitude to `width` bytes; false when it does not fit.
bool append_padded(Bytes& out, const BIGNUM* bn, std::size_t width) {
  const int len = BN_num_bytes(bn);
  if (len < 0 || static_cast<std::size_t>(len) > width) return false;
  const std::size_t start = out.size();
  out.resize(start + width);
  return BN_bn2binpad(bn, out.data() + start, static_cast<int>(width)) == static_cast<int>(width);
}

Bytes bn_magnitude(const BIGNUM* bn) {
  Bytes out(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());
  return out;
}

BnPtr get_bn(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return nullptr;
  return BnPtr(raw);
}

}  // namespace

std::string_view ssh_key_type_name(SshKeyType type) {
  switch (type) {
    case SshKeyType::ed25519:
      return "ssh-ed25519";
    case SshKeyType::ecdsa_nistp256:
      return "ecdsa-sha2-nistp256";
    case SshKeyType::ecdsa_nistp384:
      return "ecdsa-sha2-nistp384";
    case SshKeyType::ecdsa_nistp521:
      return "ecdsa-sha2-nistp521";
    case SshKeyType::rsa:
      return "ssh-rsa";
  }
  return {};
}

std::optional<SshKeyType> ssh_key_type_from_name(std::string_view name) {
  for (SshKeyType t : {SshKeyType::ed25519, SshKeyType::ecdsa_nistp256, SshKeyType::ecdsa_nistp384,
                       SshKeyType::ecdsa_nistp521, SshKeyType::rsa})
    if (ssh_key_type_name(t) == name) return t;
  return std::nullopt;
}

std::string_view ecdsa_curve_identifier(SshKeyType type) {
  const CurveInfo* curve = curve_info(type);
  return curve != nullptr ? curve->ssh_identifier : std::string_view{};
}

std::optional<SshPublicKey> read_public_key_parts(SshKeyType type, wire::Reader& reader) {
  if (type == SshKeyType::ed25519) return read_ed25519(reader);
  if (type == SshKeyType::rsa) return read_rsa(reader);
  const CurveInfo* curve = curve_info(type);
  if (curve == nullptr) return std::nullopt;
  return read_ecdsa(*curve, reader);
}

std::optional<SshPublicKey> public_key_from_blob(ByteView blob) {
  wire::Reader reader(blob);
  std::string_view name;
  if (!reader.string(name)) return std::nullopt;
  const auto type = ssh_key_type_from_name(name);
  if (!type) return std::nullopt;
  auto key = read_public_key_parts(*type, reader);
  if (!key || !reader.empty()) return std::nullopt;
  return key;
}

std::optional<SshKeyType> ssh_key_type_of(const EVP_PKEY* pkey) {
  if (pkey == nullptr) return std::nullopt;
  if (EVP_PKEY_is_a(pkey, "ED25519")) return SshKeyType::ed25519;
  if (EVP_PKEY_is_a(pkey, "RSA")) return SshKeyType::rsa;
  if (!EVP_PKEY_is_a(pkey, "EC")) return std::nullopt;
  std::array<char, 64> group{};
  std::size_t len = 0;
  if (EVP_PKEY_get_group_name(pkey, group.data(), group.size(), &len) != 1) return std::nullopt;
  const std::string_view name(group.data(), len);
  for (const auto& c : kCurves)
    if (name == c.openssl_group || name == c.openssl_alias) return c.type;
  return std::nullopt;
}

std::optional<Bytes> public_key_to_blob(const EVP_PKEY* pkey) {
  const auto type = ssh_key_type_of(pkey);
  if (!type) return std::nullopt;
  wire::Writer out;
  out.string(ssh_key_type_name(*type));
  switch (*type) {
    case SshKeyType::ed25519: {
      std::array<std::uint8_t, kEd25519KeySize> raw{};
      std::size_t len = raw.size();
      if (EVP_PKEY_get_raw_public_key(pkey, raw.data(), &len) != 1 || len != raw.size()) return std::nullopt;
      out.string(ByteView(raw));
      break;
    }
    case SshKeyType::rsa: {
      BnPtr n = get_bn(pkey, OSSL_PKEY_PARAM_RSA_N);
      BnPtr e = get_bn(pkey, OSSL_PKEY_PARAM_RSA_E);
      if (!n || !e) return std::nullopt;
      out.mpint_unsigned(bn_magnitude(e.get()));
      out.mpint_unsigned(bn_magnitude(n.get()));
      break;
    }
    case SshKeyType::ecdsa_nistp256:
    case SshKeyType::ecdsa_nistp384:
    case SshKeyType::ecdsa_nistp521: {
      const CurveInfo* curve = curve_info(*type);
      // Built from the affine coordinates so the point is uncompressed whatever form the key was
      // loaded in.
      BnPtr x = get_bn(pkey, OSSL_PKEY_PARAM_EC_PUB_X);
      BnPtr y = get_bn(pkey, OSSL_PKEY_PARAM_EC_PUB_Y);
      if (curve == nullptr || !x || !y) return std::nullopt;
      Bytes point{0x04};
      if (!append_padded(point, x.get(), curve->field_bytes) || !append_padded(point, y.get(), curve->field_bytes))
        return std::nullopt;
      out.string(curve->ssh_identifier);
      out.string(ByteView(point));
      break;
    }
  }
  return out.take();
}

}  // namespace ssh::crypto
