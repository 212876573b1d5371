#include "ssh/crypto/blowfish.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace {

ssh::Bytes from_hex(std::string_view hex) {
  ssh::Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string encrypt_hex(std::string_view key_hex, std::string_view plain_hex) {
  ssh::crypto::Blowfish bf;
  bf.set_key(from_hex(key_hex));
  const ssh::Bytes plain = from_hex(plain_hex);
  std::uint8_t out[8];
  bf.encrypt_block(plain.data(), out);
  std::uint8_t back[8];
  bf.decrypt_block(out, back);
  EXPECT_EQ(ssh::Bytes(back, back + 8), plain) << "decrypt must invert encrypt";
  static const char* digits = "0123456789ABCDEF";
  std::string hex;
  for (std::uint8_t b : out) {
    hex += digits[b >> 4];
    hex += digits[b & 15];
  }
  return hex;
}

TEST(Blowfish, InitialStateIsPiFraction) {
  using ssh::crypto::blowfish_tables::kInitialP;
  using ssh::crypto::blowfish_tables::kInitialS;
  EXPECT_EQ(kInitialP[0], 0x243F6A88u);
  EXPECT_EQ(kInitialP[1], 0x85A308D3u);
  EXPECT_EQ(kInitialP[2], 0x13198A2Eu);
  EXPECT_EQ(kInitialP[17], 0x8979FB1Bu);
  EXPECT_EQ(kInitialS[0], 0xD1310BA6u);
  EXPECT_EQ(kInitialS[1023], 0x3AC372E6u);
}

// Eric Young's Blowfish ECB test vectors (8-byte keys).
TEST(Blowfish, EricYoungVectors) {
  EXPECT_EQ(encrypt_hex("0000000000000000", "0000000000000000"), "4EF997456198DD78");
  EXPECT_EQ(encrypt_hex("FFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF"), "51866FD5B85ECB8A");
  EXPECT_EQ(encrypt_hex("3000000000000000", "1000000000000001"), "7D856F9A613063F2");
  EXPECT_EQ(encrypt_hex("1111111111111111", "1111111111111111"), "2466DD878B963C9D");
  EXPECT_EQ(encrypt_hex("0123456789ABCDEF", "1111111111111111"), "61F9C3802281B096");
  EXPECT_EQ(encrypt_hex("FEDCBA9876543210", "0123456789ABCDEF"), "0ACEAB0FC6A0A28D");
}

// 16-byte keys, answers from OpenSSL's legacy-provider bf-ecb (openssl enc -bf-ecb -K ... -nopad).
TEST(Blowfish, SixteenByteKeysMatchOpenSsl) {
  EXPECT_EQ(encrypt_hex("FFFFFFFFFFFFFFFF0000000000000000", "FFFFFFFFFFFFFFFF"), "5AACFB5A8DC0155D");
  EXPECT_EQ(encrypt_hex("0123456789ABCDEF0000000000000000", "1111111111111111"), "0A0B75364B88A8F9");
  EXPECT_EQ(encrypt_hex("FEDCBA98765432100000000000000000", "0123456789ABCDEF"), "3AB614EE359CB49A");
}

TEST(Blowfish, SaltedExpansionDiffersFromUnsalted) {
  const ssh::Bytes key = from_hex("00112233445566778899AABBCCDDEEFF");
  const ssh::Bytes salt = from_hex("0102030405060708090A0B0C0D0E0F10");
  ssh::crypto::Blowfish a;
  ssh::crypto::Blowfish b;
  a.expand_key(salt, key);
  b.expand_key(key);
  std::uint32_t la = 0, ra = 0, lb = 0, rb = 0;
  a.encrypt(la, ra);
  b.encrypt(lb, rb);
  EXPECT_TRUE(la != lb || ra != rb);
  // Unsalted expansion from the initial state is exactly the standard key schedule.
  ssh::crypto::Blowfish c;
  c.set_key(key);
  std::uint32_t lc = 0, rc = 0;
  c.encrypt(lc, rc);
  EXPECT_EQ(lb, lc);
  EXPECT_EQ(rb, rc);
}

}  // namespace
