#pragma once
// Message digests used by key exchange (exchange hash, key derivation) and fingerprints.
#include <memory>

#include "ssh/wire/bytes.hpp"

namespace ssh::crypto {

enum class HashAlg { sha1, sha256, sha384, sha512 };

std::size_t digest_size(HashAlg alg);

// Incremental digest. Copyable state is not needed: the key derivation re-hashes from scratch.
class Hash {
 public:
  explicit Hash(HashAlg alg);
  ~Hash();
  Hash(Hash&&) noexcept;
  Hash& operator=(Hash&&) noexcept;
  Hash(const Hash&) = delete;
  Hash& operator=(const Hash&) = delete;

  void update(ByteView data);
  // Finishes the digest; the object must not be used afterwards.
  SecretBytes finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

SecretBytes digest(HashAlg alg, ByteView data);

}  // namespace ssh::crypto
