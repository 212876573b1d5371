#pragma once
// Signature algorithms and the inner signature encodings of SSH (RFC 4253 §6.6, RFC 5656 §3.1.2,
// RFC 8332 §3, RFC 8709 §6), shared by host-key verification and the private-key signers.
#include <optional>
#include <string_view>

#include "ssh/crypto/ssh_public_key.hpp"
#include "ssh/wire/bytes.hpp"

namespace ssh::crypto {

struct SignatureScheme {
  SshKeyType key_type;
  // OpenSSL digest name for EVP_DigestSign/Verify, nullptr for ed25519 (PureEdDSA hashes internally).
  const char* digest;
};

// "ssh-ed25519", "ecdsa-sha2-nistp256/384/521", "rsa-sha2-256", "rsa-sha2-512", "ssh-rsa" (SHA-1).
std::optional<SignatureScheme> signature_scheme(std::string_view algorithm);

// ECDSA: OpenSSL speaks DER ECDSA-Sig-Value, SSH carries mpint r | mpint s inside the signature
// string (RFC 5656 §3.1.2). `max_scalar_bytes` bounds r and s (the curve order's size) so that
// hostile input cannot make us build oversized DER; out-of-range values are left to the verifier.
std::optional<Bytes> ecdsa_signature_ssh_to_der(ByteView ssh_signature, std::size_t max_scalar_bytes);
std::optional<Bytes> ecdsa_signature_der_to_ssh(ByteView der);

// Size in bytes of the group order of an ECDSA key type (32, 48, 66), 0 for other types.
std::size_t ecdsa_scalar_bytes(SshKeyType type);

}  // namespace ssh::crypto
