#include "ssh/transport/key_derivation.hpp"

#include <gtest/gtest.h>

#include "ssh/crypto/packet_cipher.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::transport {
namespace {

Bytes from_hex(std::string_view hex) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

struct Inputs {
  SecretBytes k_mpint;
  Bytes h, sid;
};

Inputs inputs() {
  Bytes k(32);
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(0x80 + i);
  Inputs in;
  in.k_mpint = wire::SecretWriter().mpint_unsigned(k).take();  // top bit set: 0x00 prefix, length 33
  for (std::uint8_t i = 1; i <= 32; ++i) in.h.push_back(i);
  for (std::uint8_t i = 100; i < 132; ++i) in.sid.push_back(i);
  return in;
}

// Expected values computed independently (Python hashlib) from the RFC 4253 §7.2 formulas.
TEST(KeyDerivation, ExtendsWithK1K2ForLongKeys) {
  const auto in = inputs();
  ASSERT_EQ(in.k_mpint.size(), 4u + 33u);
  const auto key = derive_key(crypto::HashAlg::sha256, in.k_mpint, in.h, 'C', in.sid, 80);
  EXPECT_EQ(Bytes(key.begin(), key.end()),
            from_hex("2931c123d16b06e1caa92f0c670a0547ec0cfaca5dadb4debc360af7d25a2bc105f0e2eceae98cf86ebd8585d99fe8"
                     "3b227d93a67d25884102520818402a2f63eb67616e9ba14d3206ad1adf8ed30549"));
  // A shorter key is a prefix of a longer one.
  const auto short_key = derive_key(crypto::HashAlg::sha256, in.k_mpint, in.h, 'C', in.sid, 16);
  EXPECT_EQ(Bytes(short_key.begin(), short_key.end()), Bytes(key.begin(), key.begin() + 16));
}

TEST(KeyDerivation, LetterAndSessionIdMatter) {
  const auto in = inputs();
  const auto a = derive_key(crypto::HashAlg::sha512, in.k_mpint, in.h, 'A', in.h, 12);
  EXPECT_EQ(Bytes(a.begin(), a.end()), from_hex("ba8917ee48b9e7849addd89e"));
  const auto b = derive_key(crypto::HashAlg::sha512, in.k_mpint, in.h, 'B', in.h, 12);
  EXPECT_NE(a, b);
  EXPECT_TRUE(derive_key(crypto::HashAlg::sha512, in.k_mpint, in.h, 'B', in.h, 0).empty());
}

TEST(KeyDerivation, SessionKeysSizedForNegotiatedAlgorithms) {
  const auto in = inputs();
  SessionKeys keys;
  ASSERT_TRUE(derive_session_keys(crypto::HashAlg::sha256, in.k_mpint, in.h, in.sid, "aes256-ctr", "hmac-sha2-512",
                                  "chacha20-poly1305@openssh.com", "ignored", keys));
  EXPECT_EQ(keys.c2s.key.size(), crypto::cipher_info("aes256-ctr")->key_size);
  EXPECT_EQ(keys.c2s.iv.size(), crypto::cipher_info("aes256-ctr")->iv_size);
  EXPECT_EQ(keys.c2s.mac_key.size(), crypto::mac_info("hmac-sha2-512")->key_size);
  EXPECT_EQ(keys.s2c.key.size(), crypto::cipher_info("chacha20-poly1305@openssh.com")->key_size);
  EXPECT_TRUE(keys.s2c.mac_key.empty());
  const auto c = derive_key(crypto::HashAlg::sha256, in.k_mpint, in.h, 'C', in.sid, keys.c2s.key.size());
  EXPECT_EQ(keys.c2s.key, c);
  const auto f = derive_key(crypto::HashAlg::sha256, in.k_mpint, in.h, 'E', in.sid, keys.c2s.mac_key.size());
  EXPECT_EQ(keys.c2s.mac_key, f);
  EXPECT_FALSE(derive_session_keys(crypto::HashAlg::sha256, in.k_mpint, in.h, in.sid, "rot13", "hmac-sha2-512",
                                   "aes128-ctr", "hmac-sha2-256", keys));
}

}  // namespace
}  // namespace ssh::transport
