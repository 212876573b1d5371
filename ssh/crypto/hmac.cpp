#include "ssh/crypto/hmac.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>

namespace ssh::crypto {
namespace {

const char* digest_name(HashAlg alg) {
  switch (alg) {
    case HashAlg::sha1:
      return "SHA1";
    case HashAlg::sha256:
      return "SHA256";
    case HashAlg::sha384:
      return "SHA384";
    case HashAlg::sha512:
      return "SHA512";
  }
  return "SHA256";
}

struct MacDeleter {
  void operator()(EVP_MAC* m) const noexcept { EVP_MAC_free(m); }
  void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};

}  // namespace

SecretBytes hmac(HashAlg alg, ByteView key, ByteView data) {
  std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) return {};
  std::unique_ptr<EVP_MAC_CTX, MacDeleter> ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) return {};
  // OSSL_PARAM wants a non-const char*; OpenSSL only reads it.
  char* name = const_cast<char*>(digest_name(alg));
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0),
                               OSSL_PARAM_construct_end()};
  // An empty key is legal for HMAC; OpenSSL needs a non-null pointer for it.
  static const unsigned char empty = 0;
  const unsigned char* key_ptr = key.empty() ? &empty : key.data();
  if (EVP_MAC_init(ctx.get(), key_ptr, key.size(), params) != 1) return {};
  if (!data.empty() && EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1) return {};
  SecretBytes out(EVP_MAX_MD_SIZE);
  std::size_t out_len = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &out_len, out.size()) != 1) return {};
  out.resize(out_len);
  return out;
}

}  // namespace ssh::crypto
