#pragma once
// Loading private keys from files: openssh-key-v1 (PROTOCOL.key; ed25519, ecdsa, rsa; unencrypted or
// bcrypt-pbkdf + aes256-ctr / aes256-gcm@openssh.com) and PEM / PKCS#8 through OpenSSL.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ssh/keys/signer.hpp"

namespace ssh::keys {

enum class LoadStatus {
  ok,
  need_passphrase,   // the key is encrypted and no passphrase was given
  bad_passphrase,    // decryption check failed
  unsupported,       // recognised format, unsupported key type or cipher/kdf
  malformed,         // not a private key we understand, or corrupt
};

struct LoadResult {
  LoadStatus status = LoadStatus::malformed;
  std::unique_ptr<Signer> signer;  // set when status == ok
  std::string message;             // human-readable detail for errors ("unknown cipher 'foo'")
};

// `passphrase` may be empty for unencrypted keys. The file contents are not retained.
LoadResult load_private_key(ByteView file_contents, std::string_view passphrase);

// True when the file is an encrypted key (so the caller knows to ask for a passphrase first).
bool private_key_is_encrypted(ByteView file_contents);

}  // namespace ssh::keys
