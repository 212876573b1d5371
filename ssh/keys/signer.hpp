#pragma once
// Something that can sign for user authentication (RFC 4252 §7): a private key in memory.
// (Keys held by ssh-agent sign asynchronously and are handled by the gateway, not through this.)
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ssh/wire/bytes.hpp"

namespace ssh::keys {

class Signer {
 public:
  virtual ~Signer() = default;
  // "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa".
  virtual std::string key_type() const = 0;
  // The public key blob (RFC 4253 §6.6 encoding).
  virtual Bytes public_blob() const = 0;
  // Signature algorithms this key can produce, best first (RSA: rsa-sha2-512, rsa-sha2-256, ssh-rsa).
  virtual std::vector<std::string> signature_algorithms() const = 0;
  // Returns the SSH signature blob (string algorithm | string signature), or nullopt on failure.
  virtual std::optional<Bytes> sign(std::string_view algorithm, ByteView data) const = 0;
  // Comment from the key file, if any (for log lines).
  virtual std::string comment() const = 0;
  // The private key as ssh-agent takes it (ssh/keys/agent_key_encoding.hpp), for AddKeysToAgent;
  // nullopt when this signer cannot hand its key out.
  virtual std::optional<SecretBytes> agent_private_key() const { return std::nullopt; }
};

}  // namespace ssh::keys
