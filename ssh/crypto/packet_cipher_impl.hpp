#pragma once
// Internal to ssh/crypto: the concrete packet protections behind make_packet_cipher() and the small
// helpers they share. Nothing outside ssh/crypto includes this header.
#include <openssl/evp.h>

#include <climits>
#include <cstdint>
#include <memory>

#include "ssh/crypto/hash.hpp"
#include "ssh/crypto/packet_cipher.hpp"

namespace ssh::crypto::packet_detail {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

inline constexpr std::size_t kMaxTagSize = kMaxPacketTagSize;

inline std::uint32_t load_be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | static_cast<std::uint32_t>(p[3]);
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}
inline void store_be64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}

// EVP takes int lengths; packets are bounded far below INT_MAX by the transport, but a length that
// does not fit is refused rather than truncated.
inline bool to_int(std::size_t n, int& out) {
  if (n > static_cast<std::size_t>(INT_MAX)) return false;
  out = static_cast<int>(n);
  return true;
}

// In-place stream update on a context already keyed and positioned. False on any EVP failure.
bool cipher_update(EVP_CIPHER_CTX* ctx, std::uint8_t* data, std::size_t size);

// seal_into() has no way to report failure. If OpenSSL fails mid-packet (it cannot for valid sizes,
// but the plaintext must never go out regardless) the packet is wiped and the tag zeroed, so the
// peer sees a MAC failure and ends the connection.
void seal_failed(MutableByteView packet, MutableByteView tag);

std::unique_ptr<PacketCipher> make_aes_ctr_hmac(ByteView key, ByteView iv, HashAlg mac_hash, bool etm, bool encrypt,
                                                ByteView mac_key);
std::unique_ptr<PacketCipher> make_aes_gcm(ByteView key, ByteView iv, bool encrypt);
std::unique_ptr<PacketCipher> make_chacha20_poly1305(ByteView key, bool encrypt);

}  // namespace ssh::crypto::packet_detail
