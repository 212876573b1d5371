// Known-answer checks for chacha20-poly1305@openssh.com. The expected packets are built here from
// PROTOCOL.chacha20poly1305 with an independent ChaCha20 block function (original 64-bit counter /
// 64-bit nonce layout), itself checked against published vectors, and OpenSSL's Poly1305.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>

#include "ssh/crypto/packet_cipher.hpp"
#include "unit/crypto/packet_test_util.hpp"

namespace ssh::crypto {
namespace {

using Block = std::array<std::uint8_t, 64>;

std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

std::uint32_t rotl(std::uint32_t v, int c) {
  return (v << c) | (v >> (32 - c));
}

void quarter_round(std::array<std::uint32_t, 16>& x, int a, int b, int c, int d) {
  auto& xa = x[static_cast<std::size_t>(a)];
  auto& xb = x[static_cast<std::size_t>(b)];
  auto& xc = x[static_cast<std::size_t>(c)];
  auto& xd = x[static_cast<std::size_t>(d)];
  xa += xb;
  xd = rotl(xd ^ xa, 16);
  xc += xd;
  xb = rotl(xb ^ xc, 12);
  xa += xb;
  xd = rotl(xd ^ xa, 8);
  xc += xd;
  xb = rotl(xb ^ xc, 7);
}

// The ChaCha20 block function with state words 12..15 given explicitly.
Block chacha_block(const std::uint8_t* key, std::uint32_t w12, std::uint32_t w13, std::uint32_t w14,
                   std::uint32_t w15) {
  std::array<std::uint32_t, 16> in{0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  for (std::size_t i = 0; i < 8; ++i) in[4 + i] = le32(key + 4 * i);
  in[12] = w12;
  in[13] = w13;
  in[14] = w14;
  in[15] = w15;
  auto x = in;
  for (int i = 0; i < 10; ++i) {
    quarter_round(x, 0, 4, 8, 12);
    quarter_round(x, 1, 5, 9, 13);
    quarter_round(x, 2, 6, 10, 14);
    quarter_round(x, 3, 7, 11, 15);
    quarter_round(x, 0, 5, 10, 15);
    quarter_round(x, 1, 6, 11, 12);
    quarter_round(x, 2, 7, 8, 13);
    quarter_round(x, 3, 4, 9, 14);
  }
  Block out{};
  for (std::size_t i = 0; i < 16; ++i) {
    const std::uint32_t v = x[i] + in[i];
    for (std::size_t b = 0; b < 4; ++b) out[4 * i + b] = static_cast<std::uint8_t>(v >> (8 * b));
  }
  return out;
}

// Original ChaCha20: 64-bit little-endian block counter in words 12-13, 8-byte nonce in 14-15.
Block ssh_block(const std::uint8_t* key, std::uint64_t counter, std::uint64_t seq) {
  std::uint8_t nonce[8];
  for (int i = 0; i < 8; ++i) nonce[i] = static_cast<std::uint8_t>(seq >> (56 - 8 * i));  // big-endian
  return chacha_block(key, static_cast<std::uint32_t>(counter), static_cast<std::uint32_t>(counter >> 32), le32(nonce),
                      le32(nonce + 4));
}

Bytes ssh_xor(const std::uint8_t* key, std::uint64_t counter, std::uint64_t seq, ByteView data) {
  Bytes out(data.begin(), data.end());
  for (std::size_t i = 0; i < out.size(); i += 64, ++counter) {
    const Block ks = ssh_block(key, counter, seq);
    for (std::size_t j = 0; j < 64 && i + j < out.size(); ++j) out[i + j] ^= ks[j];
  }
  return out;
}

Bytes poly1305(ByteView key, ByteView data) {
  Bytes tag(16);
  std::size_t len = 0;
  EXPECT_NE(EVP_Q_mac(nullptr, "POLY1305", nullptr, nullptr, nullptr, key.data(), key.size(), data.data(), data.size(),
                      tag.data(), tag.size(), &len),
            nullptr);
  EXPECT_EQ(len, 16u);
  return tag;
}

std::string hex(ByteView b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (std::uint8_t v : b) {
    s.push_back(digits[v >> 4]);
    s.push_back(digits[v & 15]);
  }
  return s;
}

// The reference block function against published vectors: the all-zero key/nonce keystream (DJB's
// original test, also RFC 8439 A.1 #1) and RFC 8439 §2.3.2 (counter 1, 96-bit nonce in words 13-15).
TEST(ChaCha20Reference, PublishedVectors) {
  const std::uint8_t zero_key[32] = {};
  EXPECT_EQ(hex(chacha_block(zero_key, 0, 0, 0, 0)),
            "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
            "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586");
  std::uint8_t key[32];
  for (std::uint8_t i = 0; i < 32; ++i) key[i] = i;
  const std::uint8_t nonce[12] = {0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0};
  EXPECT_EQ(hex(chacha_block(key, 1, le32(nonce), le32(nonce + 4), le32(nonce + 8))),
            "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
            "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e");
}

// PROTOCOL.chacha20poly1305: K_2 = key[0..32) for payload and Poly1305 key, K_1 = key[32..64) for the
// length; nonce = seq; Poly1305 key = K_2 block 0 [0..32); payload from block 1; tag over
// encrypted length || ciphertext.
Bytes expected_packet(ByteView key, std::uint32_t seq, const Bytes& plain) {
  const std::uint8_t* k2 = key.data();
  const std::uint8_t* k1 = key.data() + 32;
  Bytes out = ssh_xor(k1, 0, seq, ByteView(plain).first(4));
  const Bytes ct = ssh_xor(k2, 1, seq, ByteView(plain).subspan(4));
  out.insert(out.end(), ct.begin(), ct.end());
  const Block poly_block = ssh_block(k2, 0, seq);
  const Bytes tag = poly1305(ByteView(poly_block).first(32), out);
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

TEST(ChaCha20Poly1305, SealMatchesSpecificationAndOpens) {
  const Bytes key = test::pattern_bytes(64, 2024);
  auto tx = make_packet_cipher("chacha20-poly1305@openssh.com", "", true, key, {}, {});
  auto rx = make_packet_cipher("chacha20-poly1305@openssh.com", "", false, key, {}, {});
  ASSERT_NE(tx, nullptr);
  ASSERT_NE(rx, nullptr);
  // Sequence numbers with distinct bytes catch nonce byte-order mistakes; payloads span several
  // 64-byte blocks to check the counter carries on from block 1.
  const std::uint32_t seqs[] = {0, 1, 0x01020304, 0x7fffffff, 0xfffffffe, 0xffffffff};
  std::size_t payload = 0;
  for (std::uint32_t seq : seqs) {
    for (int i = 0; i < 3; ++i, payload += 59) {
      const Bytes plain = test::make_packet(payload, 8, true, seq + static_cast<std::uint32_t>(i));
      Bytes wire = plain;
      tx->seal(seq, wire);
      const Bytes expected = expected_packet(key, seq, plain);
      ASSERT_EQ(hex(wire), hex(expected)) << "seq " << seq << " payload " << payload;

      EXPECT_EQ(rx->decrypt_length(seq, ByteView(expected).first(4)), plain.size() - 4);
      EXPECT_EQ(test::open_packet(*rx, seq, expected), plain) << "seq " << seq << " payload " << payload;
    }
  }
}

// open_into() must authenticate the length bytes as they arrived, not the decrypted ones.
TEST(ChaCha20Poly1305, TagCoversEncryptedLength) {
  const Bytes key = test::pattern_bytes(64, 7);
  auto rx = make_packet_cipher("chacha20-poly1305@openssh.com", "", false, key, {}, {});
  const Bytes plain = test::make_packet(30, 8, true, 1);
  const Bytes wire = expected_packet(key, 9, plain);
  // A forged packet whose tag was computed over the plaintext length must fail.
  Bytes forged = wire;
  for (std::size_t i = 0; i < 4; ++i) forged[i] = plain[i];
  const Block poly_block = ssh_block(key.data(), 0, 9);
  const Bytes bad_tag = poly1305(ByteView(poly_block).first(32), ByteView(forged).first(forged.size() - 16));
  Bytes attempt = wire;
  std::copy(bad_tag.begin(), bad_tag.end(), attempt.end() - 16);
  EXPECT_EQ(rx->decrypt_length(9, ByteView(attempt).first(4)), plain.size() - 4);
  EXPECT_FALSE(test::open_packet(*rx, 9, attempt));
}

}  // namespace
}  // namespace ssh::crypto
