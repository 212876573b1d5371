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

// Stream update from `in` to `out` (the same buffer, or distinct ones) on a context already keyed
// and positioned. False on any EVP failure.
inline bool cipher_update_to(EVP_CIPHER_CTX* ctx, const std::uint8_t* in, std::uint8_t* out, std::size_t size) {
  if (size == 0) return true;
  int len = 0;
  int out_len = 0;
  return to_int(size, len) && EVP_CipherUpdate(ctx, out, &out_len, in, len) == 1 && out_len == len;
}

inline bool cipher_update(EVP_CIPHER_CTX* ctx, std::uint8_t* data, std::size_t size) {
  return cipher_update_to(ctx, data, data, size);
}

// The body range of seal_gather_into() lies within the packet, after its length field.
inline bool gather_fits(MutableByteView packet, std::size_t body_at, ByteView body) {
  return packet.size() >= 4 && body_at >= 4 && body_at <= packet.size() && body.size() <= packet.size() - body_at;
}

// Stream update of packet[from, packet.size()) whose range [body_at, body_at + body.size()) comes
// from `body`: the bytes around it are updated in place, the body from its source into place. The
// cipher stream sees one contiguous run, exactly as for the assembled packet.
inline bool cipher_update_gather(EVP_CIPHER_CTX* ctx, MutableByteView packet, std::size_t from, std::size_t body_at,
                                 ByteView body) {
  std::uint8_t* p = packet.data();
  const std::size_t after = body_at + body.size();
  return cipher_update(ctx, p + from, body_at - from) && cipher_update_to(ctx, body.data(), p + body_at, body.size()) &&
         cipher_update(ctx, p + after, packet.size() - after);
}

// The largest cipher block among the packet protections (a ChaCha20 block).
inline constexpr std::size_t kMaxCipherBlock = 64;

// Decrypts a packet body (`size` >= 1 bytes from the padding_length byte on) out of place: its
// first plaintext byte into `padding_length`, the rest into out[0 .. size - 1), so the payload
// starts at out[0] with no later move. The first `head` bytes (one cipher block, at most
// kMaxCipherBlock) go through a local block so that the bulk of the update starts block-aligned
// in the cipher stream, where OpenSSL takes its fastest path.
inline bool decrypt_body(EVP_CIPHER_CTX* ctx, const std::uint8_t* in, std::size_t size, std::size_t head,
                         std::uint8_t& padding_length, std::uint8_t* out) {
  std::uint8_t first[kMaxCipherBlock];
  head = head < size ? head : size;
  if (head == 0 || head > kMaxCipherBlock || !cipher_update_to(ctx, in, first, head)) return false;
  padding_length = first[0];
  for (std::size_t i = 1; i < head; ++i) out[i - 1] = first[i];
  return cipher_update_to(ctx, in + head, out + head - 1, size - head);
}

// The failure half of open_into()'s contract: no plaintext survives in `out`, which is left empty,
// nor in `padding_length`. Returns false for the caller to pass on.
inline bool open_failed(std::uint8_t& padding_length, Bytes& out) {
  padding_length = 0;
  wipe(out.data(), out.size());
  out.clear();
  return false;
}

// seal_into() has no way to report failure. If OpenSSL fails mid-packet (it cannot for valid sizes,
// but the plaintext must never go out regardless) the packet is wiped and the tag zeroed, so the
// peer sees a MAC failure and ends the connection.
void seal_failed(MutableByteView packet, MutableByteView tag);

std::unique_ptr<PacketCipher> make_aes_ctr_hmac(ByteView key, ByteView iv, HashAlg mac_hash, bool etm, bool encrypt,
                                                ByteView mac_key);
std::unique_ptr<PacketCipher> make_aes_gcm(ByteView key, ByteView iv, bool encrypt);
std::unique_ptr<PacketCipher> make_chacha20_poly1305(ByteView key, bool encrypt);

}  // namespace ssh::crypto::packet_detail
