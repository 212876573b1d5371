// Fuzzes private key loading (openssh-key-v1 container, bcrypt-pbkdf decryption with the rounds
// capped in fuzz builds, PEM/PKCS#8 through OpenSSL) and, when a key loads, its signer.
// Encrypted seeds use the passphrase below so the fuzzer also reaches the decrypted structure.
#include <cstddef>
#include <cstdint>

#include "ssh/keys/private_key.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ssh::ByteView input(data, size);
  (void)ssh::keys::private_key_is_encrypted(input);
  ssh::keys::LoadResult result = ssh::keys::load_private_key(input, "fuzz pass");
  if (result.status != ssh::keys::LoadStatus::ok) return 0;
  if (!result.signer) __builtin_trap();  // ok must come with a signer
  const ssh::Bytes blob = result.signer->public_blob();
  if (blob.empty()) __builtin_trap();
  static const std::uint8_t kMessage[] = {'f', 'u', 'z', 'z'};
  for (const auto& algorithm : result.signer->signature_algorithms()) {
    (void)result.signer->sign(algorithm, kMessage);
  }
  return 0;
}
