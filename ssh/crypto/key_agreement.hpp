#pragma once
// Ephemeral key agreement for SSH key exchange, seen from the client as a KEM (as OpenSSH's
// kexgen.c): make a keypair, send our public value, derive the shared secret from the server's.
#include <memory>
#include <optional>

#include "ssh/wire/bytes.hpp"

namespace ssh::crypto {

enum class Curve { x25519, nistp256, nistp384, nistp521 };

class KeyAgreement {
 public:
  virtual ~KeyAgreement() = default;
  // Our public value: for ECDH/X25519 the point octets (sent as an SSH string); for finite-field
  // DH the unsigned big-endian magnitude of e (sent as an mpint).
  virtual Bytes public_value() const = 0;
  // The shared secret K as an unsigned big-endian magnitude, to be encoded as an mpint
  // (RFC 8731 §3.1 for X25519). nullopt when the peer's value is invalid (off-curve point,
  // out-of-range f, all-zero X25519 output): the key exchange must fail.
  virtual std::optional<SecretBytes> shared_secret(ByteView peer_public) = 0;
};

std::unique_ptr<KeyAgreement> make_ecdh(Curve curve);
// Finite-field DH over the group (p, g), both unsigned big-endian. The private exponent size
// follows RFC 8268 §4 (at least twice the security level of the group).
std::unique_ptr<KeyAgreement> make_dh(ByteView prime, ByteView generator);

// The MODP groups of RFC 3526 used by diffie-hellman-group{14,16,18}-*. Generator is 2.
ByteView modp_group14_prime();
ByteView modp_group16_prime();
ByteView modp_group18_prime();

// Sanity checks for a group received in diffie-hellman-group-exchange (RFC 4419): size within
// [min_bits, max_bits], odd, generator in range. Does not prove primality.
bool dh_group_acceptable(ByteView prime, ByteView generator, std::uint32_t min_bits, std::uint32_t max_bits);

}  // namespace ssh::crypto
