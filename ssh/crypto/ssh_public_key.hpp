#pragma once
// Conversion between SSH public key blobs (RFC 4253 §6.6 ssh-rsa, RFC 5656 §3.1 ecdsa-sha2-*,
// RFC 8709 ssh-ed25519) and OpenSSL EVP_PKEY handles. Internal to ssh/crypto and ssh/keys: it
// exposes OpenSSL types, so nothing outside those directories may include it.
#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string_view>

#include "ssh/wire/bytes.hpp"
#include "ssh/wire/reader.hpp"

namespace ssh::crypto {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

enum class SshKeyType { ed25519, ecdsa_nistp256, ecdsa_nistp384, ecdsa_nistp521, rsa };

// "ssh-ed25519", "ecdsa-sha2-nistp256", ..., "ssh-rsa".
std::string_view ssh_key_type_name(SshKeyType type);
// Inverse of ssh_key_type_name; nullopt for names we do not support (certificates, sk-* keys).
std::optional<SshKeyType> ssh_key_type_from_name(std::string_view name);

// Bounds on RSA moduli accepted when parsing. The policy minimum for host keys and user keys is
// checked by the callers (verify_signature refuses < 2048 bits); the upper bound keeps a peer from
// making us do arbitrarily expensive modular exponentiations.
inline constexpr int kRsaParseMinBits = 1024;
inline constexpr int kRsaParseMaxBits = 16384;

struct SshPublicKey {
  SshKeyType type;
  EvpPkeyPtr pkey;
};

// Parses a complete public key blob (string type | key parts). Trailing bytes, unknown types,
// malformed encodings, EC points that are not on the curve (or the point at infinity), ed25519
// keys that are not 32 bytes and RSA keys with an even or tiny exponent or a modulus outside
// [kRsaParseMinBits, kRsaParseMaxBits] yield nullopt.
std::optional<SshPublicKey> public_key_from_blob(ByteView blob);

// Reads only the key parts of a blob whose type name has already been read (as the private
// section of an openssh-key-v1 file lays them out, PROTOCOL.key), leaving the reader after them.
// On failure the reader position is unspecified.
std::optional<SshPublicKey> read_public_key_parts(SshKeyType type, wire::Reader& reader);

// Encodes the public half of an ed25519, P-256/384/521 or RSA key (public or private EVP_PKEY)
// as an SSH public key blob. EC points are always written uncompressed (RFC 5656 §3.1).
// nullopt for other key types or curves.
std::optional<Bytes> public_key_to_blob(const EVP_PKEY* pkey);

// The SSH key type of an EVP_PKEY, nullopt for unsupported algorithms or curves.
std::optional<SshKeyType> ssh_key_type_of(const EVP_PKEY* pkey);

// The RFC 5656 §3.1.1 curve identifier ("nistp256") of an ECDSA type, empty for other types.
std::string_view ecdsa_curve_identifier(SshKeyType type);

}  // namespace ssh::crypto
