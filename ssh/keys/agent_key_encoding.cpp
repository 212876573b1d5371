#include "ssh/keys/agent_key_encoding.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>

#include "ssh/keys/key_blob.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::keys {
namespace {

struct BnClearFree {
  void operator()(BIGNUM* p) const noexcept { BN_clear_free(p); }
};
using SecretBn = std::unique_ptr<BIGNUM, BnClearFree>;

SecretBn get_bn(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) return nullptr;
  return SecretBn(bn);
}

// mpint (RFC 4251 §5) of a non-negative number; the magnitude passes through wiped memory only.
void put_bn(wire::SecretWriter& w, const BIGNUM* bn) {
  SecretBytes magnitude(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, magnitude.data());
  w.mpint_unsigned(magnitude);
}

bool encode_ed25519(const EVP_PKEY* pkey, wire::SecretWriter& w) {
  std::array<std::uint8_t, 32> pub{};
  SecretBytes secret(64);  // k || ENC(A), as OpenSSH keeps ed25519 private keys
  std::size_t pub_len = pub.size();
  std::size_t seed_len = 32;
  if (EVP_PKEY_get_raw_public_key(pkey, pub.data(), &pub_len) != 1 || pub_len != pub.size()) return false;
  if (EVP_PKEY_get_raw_private_key(pkey, secret.data(), &seed_len) != 1 || seed_len != 32) return false;
  std::copy(pub.begin(), pub.end(), secret.begin() + 32);
  w.string(std::string_view("ssh-ed25519")).string(ByteView(pub)).string(ByteView(secret));
  return true;
}

bool encode_ecdsa(const EVP_PKEY* pkey, wire::SecretWriter& w) {
  // The public blob is already string type | string curve | string Q (RFC 5656 §3.1).
  const std::optional<Bytes> blob = encode_public_blob(pkey);
  SecretBn d = get_bn(pkey, OSSL_PKEY_PARAM_PRIV_KEY);
  if (!blob || !d) return false;
  w.raw(*blob);
  put_bn(w, d.get());
  return true;
}

bool encode_rsa(const EVP_PKEY* pkey, wire::SecretWriter& w) {
  // OpenSSL's coefficient is q^-1 mod p, which is OpenSSH's iqmp.
  SecretBn n = get_bn(pkey, OSSL_PKEY_PARAM_RSA_N);
  SecretBn e = get_bn(pkey, OSSL_PKEY_PARAM_RSA_E);
  SecretBn d = get_bn(pkey, OSSL_PKEY_PARAM_RSA_D);
  SecretBn iqmp = get_bn(pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
  SecretBn p = get_bn(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1);
  SecretBn q = get_bn(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2);
  if (!n || !e || !d || !iqmp || !p || !q) return false;
  w.string(std::string_view("ssh-rsa"));
  for (const BIGNUM* bn : {n.get(), e.get(), d.get(), iqmp.get(), p.get(), q.get()}) put_bn(w, bn);
  return true;
}

}  // namespace

std::optional<SecretBytes> encode_agent_private_key(const EVP_PKEY* pkey) {
  if (pkey == nullptr) return std::nullopt;
  const std::string type = ssh_key_type(pkey);
  wire::SecretWriter w;
  bool ok = false;
  if (type == "ssh-ed25519") {
    ok = encode_ed25519(pkey, w);
  } else if (type.starts_with("ecdsa-sha2-")) {
    ok = encode_ecdsa(pkey, w);
  } else if (type == "ssh-rsa") {
    ok = encode_rsa(pkey, w);
  }
  ERR_clear_error();
  if (!ok) return std::nullopt;
  return w.take();
}

}  // namespace ssh::keys
