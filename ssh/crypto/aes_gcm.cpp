// AES-GCM as specified by RFC 5647 with OpenSSH's amendments (PROTOCOL §1.6): the MAC negotiation
// is ignored, the 4-byte packet length travels in clear as additional authenticated data, and the
// 12-byte nonce is a 4-byte fixed field followed by a 64-bit invocation counter that is incremented
// after every packet (RFC 5647 §7.1).
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <utility>

#include "ssh/crypto/packet_cipher_impl.hpp"

namespace ssh::crypto::packet_detail {
namespace {

constexpr std::size_t kGcmBlock = 16;
constexpr std::size_t kGcmTag = 16;
constexpr std::size_t kGcmIv = 12;

class AesGcm final : public PacketCipher {
 public:
  AesGcm(CipherCtx ctx, ByteView iv) : ctx_(std::move(ctx)) {
    for (std::size_t i = 0; i < kGcmIv; ++i) iv_[i] = iv[i];
  }
  ~AesGcm() override { wipe(iv_.data(), iv_.size()); }
  AesGcm(const AesGcm&) = delete;
  AesGcm& operator=(const AesGcm&) = delete;

  std::size_t block_size() const override { return kGcmBlock; }
  std::size_t tag_size() const override { return kGcmTag; }
  bool length_in_clear() const override { return true; }
  std::size_t length_prefix_size() const override { return 4; }

  // The sequence number is not an input to AES-GCM: packet order is bound by the invocation counter.
  void seal_gather_into(std::uint32_t, MutableByteView packet, std::size_t body_at, ByteView body,
                        MutableByteView tag) override {
    if (!gather_fits(packet, body_at, body) || tag.size() != kGcmTag || !seal_run(packet, body_at, body) ||
        !get_tag(tag.data())) {
      seal_failed(packet, tag);
    }
  }

  std::uint32_t decrypt_length(std::uint32_t, ByteView prefix) override {
    length_ready_ = prefix.size() >= 4;
    return length_ready_ ? load_be32(prefix.data()) : 0;
  }

  bool open_into(std::uint32_t, ByteView packet, std::uint8_t& padding_length, Bytes& out) override {
    const bool length_ready = std::exchange(length_ready_, false);
    if (!length_ready || packet.size() < 5 + kGcmTag) return open_failed(padding_length, out);
    const std::size_t body_size = packet.size() - kGcmTag;
    std::array<std::uint8_t, kGcmTag> tag{};
    for (std::size_t i = 0; i < kGcmTag; ++i) tag[i] = packet[body_size + i];
    out.resize(body_size - 5);
    int out_len = 0;
    std::uint8_t unused[kGcmBlock];
    // GCM decrypts before its tag check completes (in finalisation); the plaintext is only handed
    // over once that check passed, and wiped otherwise.
    const bool ok = start() && EVP_CipherUpdate(ctx_.get(), nullptr, &out_len, packet.data(), 4) == 1 &&
                    decrypt_body(ctx_.get(), packet.data() + 4, body_size - 4, kGcmBlock, padding_length, out.data()) &&
                    set_tag(tag.data()) && EVP_CipherFinal_ex(ctx_.get(), unused, &out_len) == 1 && out_len == 0;
    if (!ok) return open_failed(padding_length, out);
    advance_counter();
    return true;
  }

 private:
  // One packet sealed in place: nonce from the current invocation counter, length as AAD, the rest
  // encrypted, then finalisation. The counter advances only on success; a failure ends the
  // connection anyway.
  bool seal_run(MutableByteView packet, std::size_t body_at, ByteView body) {
    int out_len = 0;
    std::uint8_t unused[kGcmBlock];
    if (!start() || EVP_CipherUpdate(ctx_.get(), nullptr, &out_len, packet.data(), 4) != 1) return false;
    if (!cipher_update_gather(ctx_.get(), packet, 4, body_at, body)) return false;
    if (EVP_CipherFinal_ex(ctx_.get(), unused, &out_len) != 1 || out_len != 0) return false;
    advance_counter();
    return true;
  }

  bool start() { return EVP_CipherInit_ex(ctx_.get(), nullptr, nullptr, nullptr, iv_.data(), -1) == 1; }

  // The 64-bit invocation counter is big-endian and wraps (RFC 5647 §7.1).
  void advance_counter() {
    for (std::size_t i = kGcmIv; i-- > 4;)
      if (++iv_[i] != 0) break;
  }

  bool get_tag(std::uint8_t* out) {
    OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, out, kGcmTag),
                           OSSL_PARAM_construct_end()};
    return EVP_CIPHER_CTX_get_params(ctx_.get(), params) == 1;
  }

  bool set_tag(std::uint8_t* tag) {
    OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, kGcmTag),
                           OSSL_PARAM_construct_end()};
    return EVP_CIPHER_CTX_set_params(ctx_.get(), params) == 1;
  }

  CipherCtx ctx_;
  std::array<std::uint8_t, kGcmIv> iv_{};
  bool length_ready_ = false;
};

}  // namespace

std::unique_ptr<PacketCipher> make_aes_gcm(ByteView key, ByteView iv, bool encrypt) {
  const EVP_CIPHER* aes = key.size() == 16 ? EVP_aes_128_gcm() : key.size() == 32 ? EVP_aes_256_gcm() : nullptr;
  if (aes == nullptr || iv.size() != kGcmIv) return nullptr;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  // Keyed once here; each packet only sets a new nonce, so the AES key schedule is not redone.
  if (!ctx || EVP_CipherInit_ex(ctx.get(), aes, nullptr, key.data(), nullptr, encrypt ? 1 : 0) != 1) return nullptr;
  return std::make_unique<AesGcm>(std::move(ctx), iv);
}

}  // namespace ssh::crypto::packet_detail
