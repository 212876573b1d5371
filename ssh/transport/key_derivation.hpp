#pragma once
// Session key derivation (RFC 4253 §7.2).
#include <cstddef>
#include <string>

#include "ssh/crypto/hash.hpp"
#include "ssh/wire/bytes.hpp"

namespace ssh::transport {

// HASH(K || H || letter || session_id), extended with HASH(K || H || K1 || ... ) until `size`
// bytes are available. `shared_secret_mpint` is K already encoded as an mpint.
SecretBytes derive_key(crypto::HashAlg hash, ByteView shared_secret_mpint, ByteView exchange_hash, char letter,
                       ByteView session_id, std::size_t size);

// The keys for both directions of one NEWKEYS.
struct DirectionKeys {
  SecretBytes iv, key, mac_key;
};
struct SessionKeys {
  DirectionKeys c2s, s2c;
};

// Derives every key the negotiated algorithms need: letters A..F for IVs, encryption and MAC keys
// (client-to-server first). Returns false when a name is unknown.
bool derive_session_keys(crypto::HashAlg hash, ByteView shared_secret_mpint, ByteView exchange_hash,
                         ByteView session_id, const std::string& cipher_c2s, const std::string& mac_c2s,
                         const std::string& cipher_s2c, const std::string& mac_s2c, SessionKeys& out);

}  // namespace ssh::transport
