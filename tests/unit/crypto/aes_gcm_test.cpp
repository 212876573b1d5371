// Known-answer checks for aes{128,256}-gcm@openssh.com against fresh one-shot OpenSSL GCM calls
// that follow RFC 5647 / PROTOCOL §1.6 independently: nonce = fixed(4) || invocation counter(8),
// counter + 1 per packet, the 4-byte length as AAD, 16-byte tag appended.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "ssh/crypto/packet_cipher.hpp"
#include "unit/crypto/packet_test_util.hpp"

namespace ssh::crypto {
namespace {

Bytes reference_gcm(ByteView key, const Bytes& nonce, const Bytes& plain) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  const EVP_CIPHER* aes = key.size() == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
  Bytes out(plain.begin(), plain.begin() + 4);
  out.resize(plain.size() + 16);
  int len = 0;
  EXPECT_EQ(EVP_EncryptInit_ex(ctx, aes, nullptr, key.data(), nonce.data()), 1);
  EXPECT_EQ(EVP_EncryptUpdate(ctx, nullptr, &len, plain.data(), 4), 1);
  EXPECT_EQ(EVP_EncryptUpdate(ctx, out.data() + 4, &len, plain.data() + 4, static_cast<int>(plain.size() - 4)), 1);
  EXPECT_EQ(EVP_EncryptFinal_ex(ctx, out.data() + plain.size(), &len), 1);
  EXPECT_EQ(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + plain.size()), 1);
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

void check_sequence(const char* name, std::size_t key_size) {
  const Bytes key = test::pattern_bytes(key_size, 11);
  // The invocation counter starts two below its 64-bit wrap: it must wrap to zero without
  // carrying into the fixed field.
  Bytes iv = {0xa1, 0xa2, 0xa3, 0xa4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};
  auto tx = make_packet_cipher(name, "", true, key, iv, {});
  auto rx = make_packet_cipher(name, "", false, key, iv, {});
  ASSERT_NE(tx, nullptr);
  ASSERT_NE(rx, nullptr);
  const std::uint64_t start = 0xfffffffffffffffeULL;
  for (std::uint32_t n = 0; n < 6; ++n) {
    Bytes nonce = iv;
    const std::uint64_t counter = start + n;
    for (int i = 0; i < 8; ++i)
      nonce[4 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(counter >> (56 - 8 * i));
    const Bytes plain = test::make_packet(n * 45, 16, true, n);
    Bytes wire = plain;
    tx->seal(n, wire);
    const Bytes expected = reference_gcm(key, nonce, plain);
    ASSERT_EQ(wire, expected) << name << " packet " << n;
    EXPECT_EQ(rx->decrypt_length(n, ByteView(expected).first(4)), plain.size() - 4);
    EXPECT_EQ(test::open_packet(*rx, n, expected), plain) << name << " packet " << n;
  }
}

TEST(AesGcm, Aes128MatchesReferenceAcrossCounterWrap) {
  check_sequence("aes128-gcm@openssh.com", 16);
}
TEST(AesGcm, Aes256MatchesReferenceAcrossCounterWrap) {
  check_sequence("aes256-gcm@openssh.com", 32);
}

TEST(AesGcm, FailedOpenLeavesNoPlaintext) {
  const Bytes key = test::pattern_bytes(16, 3);
  const Bytes iv = test::pattern_bytes(12, 4);
  auto tx = make_packet_cipher("aes128-gcm@openssh.com", "", true, key, iv, {});
  auto rx = make_packet_cipher("aes128-gcm@openssh.com", "", false, key, iv, {});
  const Bytes plain = test::make_packet(100, 16, true, 5);
  Bytes wire = plain;
  tx->seal(0, wire);
  wire.back() ^= 1;
  ASSERT_EQ(rx->decrypt_length(0, ByteView(wire).first(4)), plain.size() - 4);
  // GCM's tag check completes only after decrypting; the output must not keep that plaintext.
  // (open_packet also checks that the output is left empty and padding_length zeroed.)
  Bytes out;
  out.reserve(plain.size());
  std::uint8_t padding_length = 0;
  EXPECT_FALSE(rx->open_into(0, wire, padding_length, out));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(padding_length, 0);
  // The whole reserved capacity held at most zeros: the decrypted bytes were wiped before clearing.
  const std::uint8_t* raw = out.data();
  EXPECT_TRUE(std::all_of(raw, raw + plain.size() - 5, [](std::uint8_t b) { return b == 0; }));
}

}  // namespace
}  // namespace ssh::crypto
