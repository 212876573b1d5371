#pragma once
// Key agreement with a caller-chosen private key. Only for known-answer tests (RFC 7748 §6.1 and
// the like): production code must use make_ecdh / make_dh, which draw fresh private keys.
#include <memory>

#include "ssh/crypto/key_agreement.hpp"

namespace ssh::crypto {

// X25519 with the given 32-byte scalar (clamped by X25519 itself, RFC 7748 §5). nullptr when the
// scalar is not 32 bytes.
std::unique_ptr<KeyAgreement> make_x25519_with_private_key(ByteView scalar);

// Finite-field DH over (p, g) with the exponent x given as an unsigned big-endian magnitude.
// nullptr when the group is unusable or x is not in [2, p-2].
std::unique_ptr<KeyAgreement> make_dh_with_exponent(ByteView prime, ByteView generator, ByteView exponent);

}  // namespace ssh::crypto
