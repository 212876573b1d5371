// Known-answer checks for AES-CTR with HMAC, encrypt-and-MAC (RFC 4253 §6.4) and encrypt-then-MAC
// (PROTOCOL §1.5). The reference keystream is built here from AES-ECB of a 128-bit big-endian
// counter (RFC 4344 §4) and the reference MACs with one-shot OpenSSL HMAC.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "ssh/crypto/packet_cipher.hpp"
#include "unit/crypto/packet_test_util.hpp"

namespace ssh::crypto {
namespace {

std::string hex(ByteView b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (std::uint8_t v : b) {
    s.push_back(digits[v >> 4]);
    s.push_back(digits[v & 15]);
  }
  return s;
}

// Keystream of `n` bytes: E(K, X), E(K, X+1), ... with X the IV as a 128-bit big-endian integer.
Bytes ctr_keystream(ByteView key, Bytes counter, std::size_t n) {
  const EVP_CIPHER* ecb = key.size() == 16   ? EVP_aes_128_ecb()
                          : key.size() == 24 ? EVP_aes_192_ecb()
                                             : EVP_aes_256_ecb();
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EXPECT_EQ(EVP_EncryptInit_ex(ctx, ecb, nullptr, key.data(), nullptr), 1);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  Bytes out;
  while (out.size() < n) {
    std::uint8_t block[16];
    int len = 0;
    EXPECT_EQ(EVP_EncryptUpdate(ctx, block, &len, counter.data(), 16), 1);
    out.insert(out.end(), block, block + 16);
    for (std::size_t i = 16; i-- > 0;)
      if (++counter[i] != 0) break;
  }
  EVP_CIPHER_CTX_free(ctx);
  out.resize(n);
  return out;
}

Bytes hmac(const char* digest, ByteView key, std::uint32_t seq, ByteView data) {
  Bytes msg = {static_cast<std::uint8_t>(seq >> 24), static_cast<std::uint8_t>(seq >> 16),
               static_cast<std::uint8_t>(seq >> 8), static_cast<std::uint8_t>(seq)};
  msg.insert(msg.end(), data.begin(), data.end());
  Bytes out(64);
  std::size_t len = 0;
  EXPECT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, key.data(), key.size(), msg.data(), msg.size(),
                      out.data(), out.size(), &len),
            nullptr);
  out.resize(len);
  return out;
}

struct Case {
  const char* cipher;
  std::size_t key_size;
  const char* mac;
  const char* digest;
  bool etm;
};

TEST(AesCtrHmac, MatchesReferenceOverPacketSequence) {
  const Case cases[] = {
      {"aes128-ctr", 16, "hmac-sha2-256", "SHA256", false},
      {"aes192-ctr", 24, "hmac-sha2-512", "SHA512", false},
      {"aes256-ctr", 32, "hmac-sha1", "SHA1", false},
      {"aes128-ctr", 16, "hmac-sha1-etm@openssh.com", "SHA1", true},
      {"aes192-ctr", 24, "hmac-sha2-256-etm@openssh.com", "SHA256", true},
      {"aes256-ctr", 32, "hmac-sha2-512-etm@openssh.com", "SHA512", true},
  };
  for (const auto& c : cases) {
    const auto k = test::make_keys(c.cipher, c.mac, 31);
    // The counter starts three blocks below the 128-bit wrap, so the first packet crosses it.
    Bytes iv(16, 0xff);
    iv[15] = 0xfd;
    auto tx = make_packet_cipher(c.cipher, c.mac, true, k.key, iv, k.mac_key);
    auto rx = make_packet_cipher(c.cipher, c.mac, false, k.key, iv, k.mac_key);
    ASSERT_NE(tx, nullptr);
    ASSERT_NE(rx, nullptr);
    std::vector<Bytes> plains;
    std::size_t stream_bytes = 0;
    for (std::uint32_t i = 0; i < 8; ++i) {
      plains.push_back(test::make_packet(i * 29, 16, c.etm, i));
      stream_bytes += plains.back().size() - (c.etm ? 4 : 0);
    }
    const Bytes keystream = ctr_keystream(k.key, iv, stream_bytes);
    std::size_t ks_pos = 0;
    const std::uint32_t first_seq = 1000;
    for (std::uint32_t i = 0; i < plains.size(); ++i) {
      const Bytes& plain = plains[i];
      const std::uint32_t seq = first_seq + i;
      Bytes expected = plain;
      for (std::size_t j = c.etm ? 4 : 0; j < expected.size(); ++j) expected[j] ^= keystream[ks_pos++];
      const Bytes tag = c.etm ? hmac(c.digest, k.mac_key, seq, expected) : hmac(c.digest, k.mac_key, seq, plain);
      expected.insert(expected.end(), tag.begin(), tag.end());

      Bytes wire = plain;
      tx->seal(seq, wire);
      ASSERT_EQ(hex(wire), hex(expected)) << c.cipher << " " << c.mac << " packet " << i;

      EXPECT_EQ(rx->decrypt_length(seq, ByteView(expected).first(rx->length_prefix_size())), plain.size() - 4);
      EXPECT_EQ(test::open_packet(*rx, seq, expected), plain) << c.cipher << " " << c.mac << " packet " << i;
    }
  }
}

// RFC 2202 §3 test case 1 through the packet code: HMAC-SHA1 with key 0x0b x 20 over "Hi There".
// The MAC input is seq || packet, so seq = "Hi T" and a 4-byte packet "here" give exactly that text.
TEST(AesCtrHmac, Rfc2202HmacSha1Vector) {
  const Bytes mac_key(20, 0x0b);
  const Bytes key(16, 0x01), iv(16, 0x02);
  const std::uint32_t seq = 0x48692054;  // "Hi T"
  for (const char* mac : {"hmac-sha1", "hmac-sha1-etm@openssh.com"}) {
    auto tx = make_packet_cipher("aes128-ctr", mac, true, key, iv, mac_key);
    ASSERT_NE(tx, nullptr);
    Bytes wire = {'h', 'e', 'r', 'e'};
    tx->seal(seq, wire);
    ASSERT_EQ(wire.size(), 24u);
    EXPECT_EQ(hex(ByteView(wire).subspan(4)), "b617318655057264e28bc0b6fb378c8ef146be00") << mac;
  }
}

// The reference HMAC used above, against RFC 4231 §4.3 (test case 2).
TEST(AesCtrHmac, ReferenceHmacMatchesRfc4231) {
  const auto key = as_bytes("Jefe");
  const auto data = as_bytes(" do ya want for nothing?");
  const std::uint32_t seq = 0x77686174;  // "what"
  EXPECT_EQ(hex(hmac("SHA256", key, seq, data)), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex(hmac("SHA512", key, seq, data)),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
            "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
}

// Encrypt-then-MAC must refuse a forged packet before decrypting anything: the output stays empty
// (not even sized for the plaintext) and the received bytes untouched.
TEST(AesCtrHmac, EtmChecksBeforeDecrypting) {
  const auto k = test::make_keys("aes128-ctr", "hmac-sha2-256-etm@openssh.com", 8);
  auto tx = make_packet_cipher("aes128-ctr", "hmac-sha2-256-etm@openssh.com", true, k.key, k.iv, k.mac_key);
  auto rx = make_packet_cipher("aes128-ctr", "hmac-sha2-256-etm@openssh.com", false, k.key, k.iv, k.mac_key);
  Bytes wire = test::make_packet(40, 16, true, 1);
  tx->seal(0, wire);
  wire.back() ^= 0x40;
  const Bytes before = wire;
  ASSERT_EQ(rx->decrypt_length(0, ByteView(wire).first(4)), wire.size() - 4 - 32);
  Bytes out;
  std::uint8_t padding_length = 0;
  EXPECT_FALSE(rx->open_into(0, wire, padding_length, out));
  EXPECT_EQ(out.capacity(), 0u);
  EXPECT_EQ(wire, before);
}

}  // namespace
}  // namespace ssh::crypto
