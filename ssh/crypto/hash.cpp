#include "ssh/crypto/hash.hpp"

#include <openssl/evp.h>

#include <new>
#include <stdexcept>

namespace ssh::crypto {
namespace {

const EVP_MD* md_for(HashAlg alg) {
  switch (alg) {
    case HashAlg::sha1:
      return EVP_sha1();
    case HashAlg::sha256:
      return EVP_sha256();
    case HashAlg::sha384:
      return EVP_sha384();
    case HashAlg::sha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

}  // namespace

std::size_t digest_size(HashAlg alg) {
  switch (alg) {
    case HashAlg::sha1:
      return 20;
    case HashAlg::sha256:
      return 32;
    case HashAlg::sha384:
      return 48;
    case HashAlg::sha512:
      return 64;
  }
  return 0;
}

struct Hash::State {
  EVP_MD_CTX* ctx = nullptr;
  std::size_t size = 0;
  ~State() { EVP_MD_CTX_free(ctx); }
};

// Construction failing means the library is unusable (out of memory or a provider without SHA-2);
// that is not driven by peer input, so it is reported as an exception like any allocation failure.
Hash::Hash(HashAlg alg) : state_(std::make_unique<State>()) {
  state_->ctx = EVP_MD_CTX_new();
  if (state_->ctx == nullptr) throw std::bad_alloc();
  if (EVP_DigestInit_ex(state_->ctx, md_for(alg), nullptr) != 1)
    throw std::runtime_error("OpenSSL digest initialisation failed");
  state_->size = digest_size(alg);
}

Hash::~Hash() = default;
Hash::Hash(Hash&&) noexcept = default;
Hash& Hash::operator=(Hash&&) noexcept = default;

void Hash::update(ByteView data) {
  if (!state_ || data.empty()) return;
  EVP_DigestUpdate(state_->ctx, data.data(), data.size());
}

SecretBytes Hash::finish() {
  if (!state_) return {};
  SecretBytes out(state_->size);
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(state_->ctx, out.data(), &len) != 1 || len != out.size())
    throw std::runtime_error("OpenSSL digest finalisation failed");
  state_.reset();
  return out;
}

SecretBytes digest(HashAlg alg, ByteView data) {
  Hash h(alg);
  h.update(data);
  return h.finish();
}

}  // namespace ssh::crypto
