// AES-CTR (RFC 4344 §4) with HMAC (RFC 4253 §6.4, RFC 6668), in the standard encrypt-and-MAC order
// and in OpenSSH's encrypt-then-MAC variants (PROTOCOL §1.5).
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <utility>

#include "ssh/crypto/packet_cipher_impl.hpp"

namespace ssh::crypto::packet_detail {
namespace {

constexpr std::size_t kAesBlock = 16;

const EVP_CIPHER* aes_ctr_for(std::size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_ctr();
    case 24:
      return EVP_aes_192_ctr();
    case 32:
      return EVP_aes_256_ctr();
    default:
      return nullptr;
  }
}

const char* digest_name(HashAlg alg) {
  switch (alg) {
    case HashAlg::sha1:
      return "SHA1";
    case HashAlg::sha256:
      return "SHA2-256";
    case HashAlg::sha384:
      return "SHA2-384";
    case HashAlg::sha512:
      return "SHA2-512";
  }
  return "SHA2-256";
}

class AesCtrHmac final : public PacketCipher {
 public:
  AesCtrHmac(CipherCtx cipher, MacCtx mac, std::size_t tag_size, bool etm)
      : cipher_(std::move(cipher)), mac_(std::move(mac)), tag_size_(tag_size), etm_(etm) {}

  std::size_t block_size() const override { return kAesBlock; }
  std::size_t tag_size() const override { return tag_size_; }
  bool length_in_clear() const override { return etm_; }
  std::size_t length_prefix_size() const override { return etm_ ? 4 : kAesBlock; }

  void seal_gather_into(std::uint32_t seq, MutableByteView packet, std::size_t body_at, ByteView body,
                        MutableByteView tag_out) override {
    std::array<std::uint8_t, kMaxTagSize> tag{};
    bool ok = gather_fits(packet, body_at, body) && tag_out.size() == tag_size_;
    if (ok && etm_) {
      // PROTOCOL §1.5: the length stays clear, the MAC covers seq || length || ciphertext.
      ok = cipher_update_gather(cipher_.get(), packet, 4, body_at, body) && compute_mac(seq, packet, {}, {}, tag.data());
    } else if (ok) {
      // RFC 4253 §6.4: mac = MAC(key, sequence_number || unencrypted_packet), the plaintext being
      // the packet with the body in its place.
      const std::size_t after = body_at + body.size();
      ok = compute_mac(seq, ByteView(packet).first(body_at), body, ByteView(packet).subspan(after), tag.data()) &&
           cipher_update_gather(cipher_.get(), packet, 0, body_at, body);
    }
    if (!ok) {
      seal_failed(packet, tag_out);
      return;
    }
    std::copy_n(tag.begin(), tag_size_, tag_out.begin());
  }

  std::uint32_t decrypt_length(std::uint32_t, ByteView prefix) override {
    length_ready_ = false;
    if (prefix.size() < length_prefix_size()) return 0;
    if (etm_) {
      length_ready_ = true;
      return load_be32(prefix.data());
    }
    // Encrypt-and-MAC: the first cipher block carries the length. Decrypting it uses up one block
    // of the CTR stream, so its plaintext is kept for open_into(), which continues from there.
    if (!cipher_update_to(cipher_.get(), prefix.data(), first_block_.data(), kAesBlock)) return 0;
    length_ready_ = true;
    return load_be32(first_block_.data());
  }

  bool open_into(std::uint32_t seq, ByteView packet, std::uint8_t& padding_length, Bytes& out) override {
    const bool length_ready = std::exchange(length_ready_, false);
    if (!length_ready || packet.size() < length_prefix_size() + tag_size_ || packet.size() < 5 + tag_size_)
      return open_failed(padding_length, out);
    const std::size_t body_size = packet.size() - tag_size_;
    const ByteView tag = packet.subspan(body_size);
    std::array<std::uint8_t, kMaxTagSize> expected{};
    if (etm_) {
      // PROTOCOL §1.5: the MAC covers seq || length || ciphertext; authenticate before decrypting.
      if (!compute_mac(seq, packet.first(body_size), {}, {}, expected.data()) ||
          CRYPTO_memcmp(expected.data(), tag.data(), tag_size_) != 0)
        return open_failed(padding_length, out);
      out.resize(body_size - 5);
      if (!decrypt_body(cipher_.get(), packet.data() + 4, body_size - 4, kAesBlock, padding_length, out.data()))
        return open_failed(padding_length, out);
      return true;
    }
    // RFC 4253 §6.4: the MAC covers seq || plaintext packet, which is the kept first block followed
    // by the rest decrypted straight into `out` (whose first 11 bytes come from that block).
    constexpr std::size_t kFromFirst = kAesBlock - 5;
    out.resize(body_size - 5);
    padding_length = first_block_[4];
    for (std::size_t i = 0; i < kFromFirst; ++i) out[i] = first_block_[5 + i];
    if (!cipher_update_to(cipher_.get(), packet.data() + kAesBlock, out.data() + kFromFirst, body_size - kAesBlock) ||
        !compute_mac(seq, first_block_, ByteView(out).subspan(kFromFirst), {}, expected.data()) ||
        CRYPTO_memcmp(expected.data(), tag.data(), tag_size_) != 0)
      return open_failed(padding_length, out);
    return true;
  }

 private:
  // MAC of seq || a || b || c (the packet may come in up to three pieces).
  bool compute_mac(std::uint32_t seq, ByteView a, ByteView b, ByteView c, std::uint8_t* out) {
    std::uint8_t seq_be[4];
    store_be32(seq_be, seq);
    std::size_t out_len = 0;
    // A null key re-initialises HMAC with the key set at construction: no per-packet key schedule.
    // (OpenSSL 3.0 restores the keyed inner/outer digest states by duplicating them: two small
    // allocations per MAC. Avoiding them means rehashing the padded key twice per packet instead.)
    return EVP_MAC_init(mac_.get(), nullptr, 0, nullptr) == 1 && EVP_MAC_update(mac_.get(), seq_be, 4) == 1 &&
           EVP_MAC_update(mac_.get(), a.data(), a.size()) == 1 &&
           (b.empty() || EVP_MAC_update(mac_.get(), b.data(), b.size()) == 1) &&
           (c.empty() || EVP_MAC_update(mac_.get(), c.data(), c.size()) == 1) &&
           EVP_MAC_final(mac_.get(), out, &out_len, kMaxTagSize) == 1 && out_len == tag_size_;
  }

  CipherCtx cipher_;
  MacCtx mac_;
  std::size_t tag_size_;
  bool etm_;
  bool length_ready_ = false;
  // Encrypt-and-MAC only: the plaintext of the packet's first block, from decrypt_length().
  std::array<std::uint8_t, kAesBlock> first_block_{};
};

}  // namespace

std::unique_ptr<PacketCipher> make_aes_ctr_hmac(ByteView key, ByteView iv, HashAlg mac_hash, bool etm, bool encrypt,
                                                ByteView mac_key) {
  const EVP_CIPHER* aes = aes_ctr_for(key.size());
  if (aes == nullptr || iv.size() != kAesBlock || mac_key.empty()) return nullptr;
  CipherCtx cipher(EVP_CIPHER_CTX_new());
  if (!cipher || EVP_CipherInit_ex(cipher.get(), aes, nullptr, key.data(), iv.data(), encrypt ? 1 : 0) != 1)
    return nullptr;

  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (hmac == nullptr) return nullptr;
  MacCtx mac(EVP_MAC_CTX_new(hmac));
  EVP_MAC_free(hmac);  // the context keeps its own reference
  if (!mac) return nullptr;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest_name(mac_hash)), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(mac.get(), mac_key.data(), mac_key.size(), params) != 1) return nullptr;
  if (EVP_MAC_CTX_get_mac_size(mac.get()) != digest_size(mac_hash)) return nullptr;
  return std::make_unique<AesCtrHmac>(std::move(cipher), std::move(mac), digest_size(mac_hash), etm);
}

}  // namespace ssh::crypto::packet_detail
