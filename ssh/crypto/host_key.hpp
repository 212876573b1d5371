#pragma once
// Verification of server host-key signatures over the exchange hash (RFC 4253 §8, RFC 5656 §3.1.2,
// RFC 8332, RFC 8709).
#include <string>
#include <string_view>

#include "ssh/wire/bytes.hpp"

namespace ssh::crypto {

// `signature_algorithm` is the negotiated host key algorithm (ssh-ed25519, ecdsa-sha2-nistp256,
// rsa-sha2-512, ...). `key_blob` is K_S (string type | key parts), `signature_blob` is the
// signature as sent (string algorithm | string signature). Returns false for any malformed input,
// mismatched algorithm, too-small RSA key (< 2048 bits) or bad signature.
bool verify_signature(std::string_view signature_algorithm, ByteView key_blob, ByteView signature_blob,
                      ByteView signed_data);

// "SHA256:" followed by unpadded base64 of SHA-256(key_blob), as ssh-keygen -l prints it.
std::string sha256_fingerprint(ByteView key_blob);

// The key type named inside a public key blob ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256"),
// or empty when the blob is malformed.
std::string key_blob_type(ByteView key_blob);

// Host key algorithms that a key of this blob type can sign with (ssh-rsa keys: rsa-sha2-512,
// rsa-sha2-256, ssh-rsa).
bool algorithm_matches_key_type(std::string_view algorithm, std::string_view key_type);

}  // namespace ssh::crypto
