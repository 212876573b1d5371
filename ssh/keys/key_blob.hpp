#pragma once
// SSH public key blobs for the key types we sign with: ssh-ed25519 (RFC 8709 §4), ecdsa-sha2-*
// (RFC 5656 §3.1) and ssh-rsa (RFC 4253 §6.6).
#include <openssl/evp.h>

#include <optional>
#include <string>
#include <string_view>

#include "ssh/wire/bytes.hpp"

namespace ssh::keys {

// The SSH key type of an OpenSSL key ("ssh-ed25519", "ecdsa-sha2-nistp256", ..., "ssh-rsa"), or
// empty when SSH has no name for it (DSA, Ed448, other curves).
std::string ssh_key_type(const EVP_PKEY* pkey);

// The public key blob of an OpenSSL key, or nullopt when its type is not supported. EC points are
// always encoded uncompressed, as RFC 5656 §3.1 requires of what we send.
std::optional<Bytes> encode_public_blob(const EVP_PKEY* pkey);

// The SSH curve identifier ("nistp256") for an ecdsa-sha2-* key type, or empty.
std::string_view ecdsa_curve_of_key_type(std::string_view key_type);

// Checks the structure of a blob of a type we know (exact field layout, no trailing bytes) and
// returns its type; for blob types we do not know only the leading type string is checked.
// nullopt when malformed.
std::optional<std::string> check_public_blob(ByteView blob);

}  // namespace ssh::keys
