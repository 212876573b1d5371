// Throwaway SSH keys for the integration fixtures, made by the real ssh-keygen at run time.
#pragma once

#include <string>
#include <string_view>

namespace testsupport {

enum class KeyType { Ed25519, Ecdsa256, Ecdsa384, Ecdsa521, Rsa3072 };

// Readable name for test parameter names: "ed25519", "ecdsa256", ..., "rsa3072".
std::string key_type_name(KeyType t);
// The key's public-key algorithm name as it appears in .pub files ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa").
std::string key_type_ssh_name(KeyType t);

struct KeyPair {
  KeyType type = KeyType::Ed25519;
  std::string private_path;  // OpenSSH private key file (mode 0600)
  std::string public_path;   // private_path + ".pub"
  std::string public_line;   // "type base64" (no comment)
  std::string fingerprint;   // "SHA256:..." as ssh-keygen -l prints it
};

// Generates a new key in dir/name (+ .pub) with ssh-keygen; passphrase empty = unencrypted.
// Returns a KeyPair with empty private_path on failure (*error says why).
KeyPair generate_key(const std::string& dir, const std::string& name, KeyType type, const std::string& passphrase = {},
                     std::string* error = nullptr);

// Cache of unencrypted keys (RSA generation is slow): slot distinguishes independent keys of the
// same type, e.g. host keys vs. user keys. Shared between test processes through a private per-user
// directory under $TMPDIR (sshplex-test-keys-<uid>); never modify the returned files.
const KeyPair& cached_key(KeyType type, std::string_view slot);

// "SHA256:..." fingerprint of a public key file, computed by ssh-keygen -l -E sha256.
std::string fingerprint_of(const std::string& public_path);

}  // namespace testsupport
