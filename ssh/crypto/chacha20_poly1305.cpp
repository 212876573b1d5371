// chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305).
//
// The 64-byte key is split: K_2 (first 32 bytes) encrypts the payload and yields the Poly1305 key,
// K_1 (last 32 bytes) encrypts only the 4-byte packet length. Both use the original ChaCha20 with a
// 64-bit block counter and a 64-bit nonce, the nonce being the packet sequence number (big-endian).
// The Poly1305 key is the first 32 bytes of K_2's block 0, the payload is encrypted from block 1, and
// the tag covers the encrypted length followed by the ciphertext.
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <utility>

#include "ssh/crypto/packet_cipher_impl.hpp"

namespace ssh::crypto::packet_detail {
namespace {

constexpr std::size_t kHalfKey = 32;
constexpr std::size_t kTag = 16;
constexpr std::size_t kChachaBlock = 64;

// OpenSSL's EVP_chacha20() takes a 16-byte IV loaded as the last four little-endian state words
// (RFC 8439 layout: 32-bit counter, 96-bit nonce). Writing the 64-bit counter little-endian into
// the first 8 bytes and the 8-byte nonce into the last 8 reproduces the original 64/64 layout that
// OpenSSH uses. Every packet starts at block 0, so only the low counter word is ever non-zero.
std::array<std::uint8_t, 16> chacha_iv(std::uint32_t seq) {
  std::array<std::uint8_t, 16> iv{};
  store_be64(iv.data() + 8, seq);
  return iv;
}

class ChaCha20Poly1305 final : public PacketCipher {
 public:
  ChaCha20Poly1305(CipherCtx main, CipherCtx header, MacCtx poly)
      : main_(std::move(main)), header_(std::move(header)), poly_(std::move(poly)) {}

  // Padding is computed without the length field for every AEAD mode, chacha20-poly1305 included
  // even though its length is encrypted (the length is encrypted separately from the blocks).
  std::size_t block_size() const override { return 8; }
  std::size_t tag_size() const override { return kTag; }
  bool length_in_clear() const override { return true; }
  std::size_t length_prefix_size() const override { return 4; }

  void seal_gather_into(std::uint32_t seq, MutableByteView packet, std::size_t body_at, ByteView body,
                        MutableByteView tag) override {
    const auto iv = chacha_iv(seq);
    bool ok = gather_fits(packet, body_at, body) && tag.size() == kTag && start(header_.get(), iv) &&
              cipher_update(header_.get(), packet.data(), 4) && start_payload(iv) &&
              cipher_update_gather(main_.get(), packet, 4, body_at, body);
    ok = ok && EVP_MAC_update(poly_.get(), packet.data(), packet.size()) == 1 && finish_tag(tag.data());
    if (!ok) seal_failed(packet, tag);
  }

  std::uint32_t decrypt_length(std::uint32_t seq, ByteView prefix) override {
    length_ready_ = false;
    if (prefix.size() < 4) return 0;
    // open_into() authenticates the length exactly as it was on the wire, so keep those bytes.
    for (std::size_t i = 0; i < 4; ++i) encrypted_length_[i] = prefix[i];
    std::array<std::uint8_t, 4> length{};
    if (!start(header_.get(), chacha_iv(seq)) ||
        !cipher_update_to(header_.get(), encrypted_length_.data(), length.data(), 4))
      return 0;
    length_ready_ = true;
    return load_be32(length.data());
  }

  bool open_into(std::uint32_t seq, ByteView packet, std::uint8_t& padding_length, Bytes& out) override {
    const bool length_ready = std::exchange(length_ready_, false);
    if (!length_ready || packet.size() < 5 + kTag) return open_failed(padding_length, out);
    const std::size_t body_size = packet.size() - kTag;
    std::array<std::uint8_t, kTag> expected{};
    // Authenticate first: the tag covers the ciphertext, so nothing is decrypted for a forgery.
    if (!start_payload(chacha_iv(seq)) || EVP_MAC_update(poly_.get(), encrypted_length_.data(), 4) != 1 ||
        EVP_MAC_update(poly_.get(), packet.data() + 4, body_size - 4) != 1 || !finish_tag(expected.data()) ||
        CRYPTO_memcmp(expected.data(), packet.data() + body_size, kTag) != 0)
      return open_failed(padding_length, out);
    // The main context now stands at block 1, where the payload keystream begins.
    out.resize(body_size - 5);
    if (!decrypt_body(main_.get(), packet.data() + 4, body_size - 4, kChachaBlock, padding_length, out.data()))
      return open_failed(padding_length, out);
    return true;
  }

 private:
  static bool start(EVP_CIPHER_CTX* ctx, const std::array<std::uint8_t, 16>& iv) {
    return EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, iv.data(), -1) == 1;
  }

  // Positions K_2 at block 0 for this nonce, takes that block as keystream, keys Poly1305 with its
  // first 32 bytes and leaves the context at block 1, ready for the payload.
  bool start_payload(const std::array<std::uint8_t, 16>& iv) {
    std::array<std::uint8_t, kChachaBlock> block{};
    const bool ok = start(main_.get(), iv) && cipher_update(main_.get(), block.data(), block.size()) &&
                    EVP_MAC_init(poly_.get(), block.data(), kHalfKey, nullptr) == 1;
    wipe(block.data(), block.size());
    return ok;
  }

  bool finish_tag(std::uint8_t* out) {
    std::size_t len = 0;
    return EVP_MAC_final(poly_.get(), out, &len, kTag) == 1 && len == kTag;
  }

  CipherCtx main_;    // K_2
  CipherCtx header_;  // K_1
  MacCtx poly_;
  std::array<std::uint8_t, 4> encrypted_length_{};
  bool length_ready_ = false;
};

}  // namespace

std::unique_ptr<PacketCipher> make_chacha20_poly1305(ByteView key, bool encrypt) {
  if (key.size() != 2 * kHalfKey) return nullptr;
  const std::array<std::uint8_t, 16> zero_iv{};
  CipherCtx main(EVP_CIPHER_CTX_new());
  CipherCtx header(EVP_CIPHER_CTX_new());
  if (!main || !header ||
      EVP_CipherInit_ex(main.get(), EVP_chacha20(), nullptr, key.data(), zero_iv.data(), encrypt ? 1 : 0) != 1 ||
      EVP_CipherInit_ex(header.get(), EVP_chacha20(), nullptr, key.data() + kHalfKey, zero_iv.data(),
                        encrypt ? 1 : 0) != 1)
    return nullptr;
  EVP_MAC* poly1305 = EVP_MAC_fetch(nullptr, "POLY1305", nullptr);
  if (poly1305 == nullptr) return nullptr;
  MacCtx poly(EVP_MAC_CTX_new(poly1305));
  EVP_MAC_free(poly1305);  // the context keeps its own reference
  if (!poly) return nullptr;
  return std::make_unique<ChaCha20Poly1305>(std::move(main), std::move(header), std::move(poly));
}

}  // namespace ssh::crypto::packet_detail
