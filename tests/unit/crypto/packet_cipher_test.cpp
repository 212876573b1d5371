// Behaviour common to every packet protection: round trips, tamper detection, ordering.
// Known-answer checks per algorithm live in aes_ctr_hmac_test, aes_gcm_test and chacha20_poly1305_test.
#include "ssh/crypto/packet_cipher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "unit/crypto/packet_test_util.hpp"

namespace ssh::crypto {
namespace {

using test::be32;
using test::make_keys;
using test::make_packet;
using test::open_packet;

struct Combo {
  std::string cipher, mac;
};

std::vector<Combo> all_combos() {
  std::vector<Combo> out;
  for (const char* c : {"aes128-ctr", "aes192-ctr", "aes256-ctr"})
    for (const char* m : {"hmac-sha2-256", "hmac-sha2-512", "hmac-sha1", "hmac-sha2-256-etm@openssh.com",
                          "hmac-sha2-512-etm@openssh.com", "hmac-sha1-etm@openssh.com"})
      out.push_back({c, m});
  for (const char* c : {"chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"})
    out.push_back({c, ""});
  return out;
}

std::string combo_name(const testing::TestParamInfo<Combo>& info) {
  std::string s = info.param.cipher + "_" + info.param.mac;
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

class PacketCipherTest : public testing::TestWithParam<Combo> {
 protected:
  std::unique_ptr<PacketCipher> make(bool encrypt, std::uint32_t seed = 1) {
    const auto k = make_keys(GetParam().cipher, GetParam().mac, seed);
    auto c = make_packet_cipher(GetParam().cipher, GetParam().mac, encrypt, k.key, k.iv, k.mac_key);
    EXPECT_NE(c, nullptr);
    return c;
  }
  bool is_gcm() const { return GetParam().cipher.find("gcm") != std::string::npos; }
};

// Receives one sealed packet the way a transport does: prefix first, then the whole packet.
// Returns false when the length is inconsistent or authentication fails.
// Neither phase may write to the received bytes (they can be the caller's read buffer).
bool receive(PacketCipher& rx, std::uint32_t seq, const Bytes& wire, const Bytes& expected_plain) {
  const Bytes before = wire;
  const std::uint32_t len = rx.decrypt_length(seq, ByteView(wire).first(rx.length_prefix_size()));
  if (len != expected_plain.size() - 4) return false;
  const auto plain = open_packet(rx, seq, ByteView(wire).first(4 + len + rx.tag_size()));
  EXPECT_EQ(wire, before) << "received bytes were modified";
  return plain == expected_plain;
}

TEST_P(PacketCipherTest, RoundTripsManySizesAndSequenceNumbers) {
  auto tx = make(true);
  auto rx = make(false);
  // Starts just below the 32-bit wrap: the sequence number wraps silently (RFC 4253 §6.4).
  std::uint32_t seq = 0xfffffff0U;
  for (std::size_t payload : std::initializer_list<std::size_t>{0,  1,  2,  3,  7,   8,   15,  16,   17,   31,
                                                                32, 33, 63, 64, 100, 255, 256, 1000, 4096, 32768}) {
    const Bytes plain =
        make_packet(payload, tx->block_size(), tx->length_in_clear(), static_cast<std::uint32_t>(payload));
    Bytes wire = plain;
    tx->seal(seq, wire);
    ASSERT_EQ(wire.size(), plain.size() + tx->tag_size());
    // Everything after the length must be hidden (a 1-byte payload with random-looking padding is
    // still several bytes, so an unchanged body would be a real failure).
    EXPECT_FALSE(std::equal(plain.begin() + 4, plain.end(), wire.begin() + 4)) << payload;
    const bool length_clear = std::equal(plain.begin(), plain.begin() + 4, wire.begin());
    if (is_gcm() || GetParam().mac.find("etm") != std::string::npos) {
      EXPECT_TRUE(length_clear);
    } else {
      EXPECT_FALSE(length_clear);
    }
    EXPECT_TRUE(receive(*rx, seq, wire, plain)) << "payload " << payload << " seq " << seq;
    ++seq;
  }
}

TEST_P(PacketCipherTest, StreamOfManyPacketsOpensInOrder) {
  auto tx = make(true, 9);
  auto rx = make(false, 9);
  std::vector<Bytes> plains;
  Bytes stream;
  for (std::uint32_t seq = 0; seq < 600; ++seq) {
    Bytes p = make_packet((seq * 37) % 700, tx->block_size(), tx->length_in_clear(), seq);
    plains.push_back(p);
    tx->seal(seq, p);
    stream.insert(stream.end(), p.begin(), p.end());
  }
  // Parse the concatenated stream as it would arrive from a socket.
  std::size_t pos = 0;
  for (std::uint32_t seq = 0; seq < plains.size(); ++seq) {
    ASSERT_LE(pos + rx->length_prefix_size(), stream.size());
    const std::uint32_t len = rx->decrypt_length(seq, ByteView(stream).subspan(pos, rx->length_prefix_size()));
    ASSERT_EQ(len, plains[seq].size() - 4) << "seq " << seq;
    const std::size_t total = 4 + len + rx->tag_size();
    ASSERT_LE(pos + total, stream.size());
    EXPECT_EQ(open_packet(*rx, seq, ByteView(stream).subspan(pos, total)), plains[seq]) << "seq " << seq;
    pos += total;
  }
  EXPECT_EQ(pos, stream.size());
}

TEST_P(PacketCipherTest, SealIsDeterministicForSameKeysAndSequence) {
  auto a = make(true, 3);
  auto b = make(true, 3);
  auto c = make(true, 4);
  const Bytes plain = make_packet(50, a->block_size(), a->length_in_clear(), 1);
  Bytes wa = plain, wb = plain, wc = plain;
  a->seal(5, wa);
  b->seal(5, wb);
  c->seal(5, wc);
  EXPECT_EQ(wa, wb);
  EXPECT_NE(wa, wc);
}

// Sealing with the body taken from elsewhere yields exactly the packet sealed whole, for bodies at
// every offset (including empty ones, a body reaching the packet's end, and sizes that start or
// end mid cipher block), over a run of packets so stream and counter state carry across them.
TEST_P(PacketCipherTest, GatherSealMatchesSealingTheAssembledPacket) {
  auto whole = make(true, 6);
  auto gather = make(true, 6);
  auto rx = make(false, 6);
  std::uint32_t seq = 0;
  for (std::size_t payload : {std::size_t{0}, std::size_t{1}, std::size_t{9}, std::size_t{17}, std::size_t{100},
                              std::size_t{4096}, std::size_t{32768}}) {
    const Bytes plain = make_packet(payload, whole->block_size(), whole->length_in_clear(), seq + 11);
    for (std::size_t body_at : {std::size_t{4}, std::size_t{5}, std::size_t{14}, plain.size() / 2, plain.size()}) {
      for (std::size_t body_size : {std::size_t{0}, std::size_t{1}, std::size_t{33}, plain.size() - body_at}) {
        if (body_at > plain.size() || body_size > plain.size() - body_at) continue;
        Bytes expected = plain;
        whole->seal(seq, expected);
        // The body lives in its own buffer; its place in the packet holds junk to be overwritten.
        const Bytes body(plain.begin() + static_cast<std::ptrdiff_t>(body_at),
                         plain.begin() + static_cast<std::ptrdiff_t>(body_at + body_size));
        Bytes wire = plain;
        std::fill_n(wire.begin() + static_cast<std::ptrdiff_t>(body_at), body_size, std::uint8_t{0xa5});
        wire.resize(plain.size() + gather->tag_size());
        const MutableByteView w(wire);
        gather->seal_gather_into(seq, w.first(plain.size()), body_at, body, w.subspan(plain.size()));
        EXPECT_EQ(wire, expected) << "payload " << payload << " body at " << body_at << " size " << body_size;
        EXPECT_TRUE(receive(*rx, seq, wire, plain));
        ++seq;
      }
    }
  }
}

TEST_P(PacketCipherTest, GatherSealRefusesABodyOutsideThePacket) {
  const Bytes plain = make_packet(40, 16, true, 2);
  const Bytes body(8, 0x42);
  struct Case {
    std::size_t at;
    std::size_t size;
  };
  // Over the length field, starting past the end, running past the end.
  for (const Case c : {Case{0, 8}, Case{3, 8}, Case{plain.size() + 1, 0}, Case{plain.size() - 4, 8}}) {
    auto tx = make(true);
    Bytes wire = plain;
    wire.resize(plain.size() + tx->tag_size(), 0x77);
    const MutableByteView w(wire);
    tx->seal_gather_into(0, w.first(plain.size()), c.at, ByteView(body).first(c.size), w.subspan(plain.size()));
    EXPECT_EQ(wire, Bytes(wire.size(), 0)) << "body at " << c.at << " size " << c.size;
  }
}

// One bit flipped anywhere (length, padding length, payload, padding, tag) must make open() fail.
TEST_P(PacketCipherTest, EverySingleBitFlipIsRejected) {
  auto tx = make(true, 5);
  const Bytes plain = make_packet(40, tx->block_size(), tx->length_in_clear(), 77);
  Bytes sealed = plain;
  tx->seal(3, sealed);
  // Spare bytes after the packet let a tampered (slightly larger) length still be "received".
  const Bytes spare = test::pattern_bytes(64, 1);
  for (std::size_t byte = 0; byte < sealed.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      // High bits of the length would claim megabytes; the transport's size limit rejects those
      // before any MAC check, so only flips that keep the length plausible are exercised here.
      if (byte < 3) continue;
      if (byte == 3 && bit > 5) continue;
      Bytes wire = sealed;
      wire.insert(wire.end(), spare.begin(), spare.end());
      wire[byte] = static_cast<std::uint8_t>(wire[byte] ^ (1U << bit));
      auto rx = make(false, 5);
      const std::uint32_t len = rx->decrypt_length(3, ByteView(wire).first(rx->length_prefix_size()));
      const std::size_t total = 4 + std::size_t{len} + rx->tag_size();
      ASSERT_LE(total, wire.size()) << byte << ":" << bit;
      EXPECT_FALSE(open_packet(*rx, 3, ByteView(wire).first(total))) << "byte " << byte << " bit " << bit;
    }
  }
  // The untampered packet still opens with the same setup.
  auto rx = make(false, 5);
  EXPECT_TRUE(receive(*rx, 3, sealed, plain));
}

TEST_P(PacketCipherTest, HighLengthBitsDecryptToAnImplausibleLength) {
  // Complements the bit-flip test: a flipped high length bit yields a length a transport refuses.
  auto tx = make(true, 5);
  Bytes wire = make_packet(40, tx->block_size(), tx->length_in_clear(), 77);
  tx->seal(3, wire);
  wire[0] ^= 0x80;
  auto rx = make(false, 5);
  EXPECT_GE(rx->decrypt_length(3, ByteView(wire).first(rx->length_prefix_size())), 0x80000000U);
}

TEST_P(PacketCipherTest, WrongSequenceNumber) {
  auto tx = make(true);
  const Bytes plain = make_packet(100, tx->block_size(), tx->length_in_clear(), 2);
  Bytes wire = plain;
  tx->seal(42, wire);
  auto rx = make(false);
  if (is_gcm()) {
    // PROTOCOL §1.6: AES-GCM ignores the sequence number; order is bound by the invocation counter
    // (see OutOfOrderPacketIsRejected). Mixing seq in would break interoperability.
    EXPECT_TRUE(receive(*rx, 43, wire, plain));
  } else {
    EXPECT_FALSE(receive(*rx, 43, wire, plain));
  }
}

TEST_P(PacketCipherTest, OutOfOrderPacketIsRejected) {
  auto tx = make(true);
  const Bytes p0 = make_packet(30, tx->block_size(), tx->length_in_clear(), 10);
  const Bytes p1 = make_packet(30, tx->block_size(), tx->length_in_clear(), 11);
  Bytes w0 = p0, w1 = p1;
  tx->seal(0, w0);
  tx->seal(1, w1);
  auto rx = make(false);
  // The second packet presented first, under either sequence number, is refused.
  EXPECT_FALSE(receive(*rx, 0, w1, p1));
  // Under its own sequence number it opens only where nothing depends on the packets before it:
  // chacha20-poly1305 derives everything from seq, which the transport counts. CTR keeps a running
  // keystream and GCM an invocation counter, so a skipped packet breaks them.
  auto rx2 = make(false);
  const bool stateless = GetParam().cipher.find("chacha20") != std::string::npos;
  EXPECT_EQ(receive(*rx2, 1, w1, p1), stateless);
  // A replay of packet 0 in place of packet 1 is refused as well.
  auto rx3 = make(false);
  EXPECT_TRUE(receive(*rx3, 0, w0, p0));
  EXPECT_FALSE(receive(*rx3, 1, w0, p0));
}

TEST_P(PacketCipherTest, WrongKeyIsRejected) {
  auto tx = make(true, 1);
  const Bytes plain = make_packet(64, tx->block_size(), tx->length_in_clear(), 3);
  Bytes wire = plain;
  tx->seal(0, wire);
  auto rx = make(false, 2);
  // With an encrypted length the wrong key usually garbles it already; either way nothing is accepted.
  const std::uint32_t len = rx->decrypt_length(0, ByteView(wire).first(rx->length_prefix_size()));
  const bool accepted = len == plain.size() - 4 && open_packet(*rx, 0, wire).has_value();
  EXPECT_FALSE(accepted);
}

TEST_P(PacketCipherTest, MisuseAndTruncationFailCleanly) {
  auto tx = make(true);
  const Bytes plain = make_packet(20, tx->block_size(), tx->length_in_clear(), 4);
  Bytes wire = plain;
  tx->seal(0, wire);
  {
    auto rx = make(false);
    EXPECT_FALSE(open_packet(*rx, 0, wire));  // decrypt_length() was never called
  }
  {
    auto rx = make(false);
    EXPECT_EQ(rx->decrypt_length(0, ByteView(wire).first(2)), 0u);  // prefix too short
    EXPECT_FALSE(open_packet(*rx, 0, wire));
  }
  {
    // Each length is good for one open only.
    auto rx = make(false);
    (void)rx->decrypt_length(0, ByteView(wire).first(rx->length_prefix_size()));
    EXPECT_EQ(open_packet(*rx, 0, wire), plain);
    EXPECT_FALSE(open_packet(*rx, 1, wire));
  }
  // Too short to hold a length, a padding_length byte and a tag (the last one is one byte short
  // of the smallest packet: a padding_length byte and the tag).
  for (std::size_t keep : {std::size_t{0}, std::size_t{3}, tx->length_prefix_size(),
                           tx->length_prefix_size() + tx->tag_size() - 1, 4 + tx->tag_size()}) {
    auto rx = make(false);
    (void)rx->decrypt_length(0, ByteView(wire).first(rx->length_prefix_size()));
    EXPECT_FALSE(open_packet(*rx, 0, ByteView(wire).first(std::min(keep, wire.size())))) << keep;
  }
  {
    // Dropping the last byte of the tag (or adding one) must fail authentication, never crash.
    auto rx = make(false);
    (void)rx->decrypt_length(0, ByteView(wire).first(rx->length_prefix_size()));
    EXPECT_FALSE(open_packet(*rx, 0, ByteView(wire).first(wire.size() - 1)));
  }
  {
    // Sealing something shorter than a length field cannot leak anything or crash.
    Bytes tiny{1, 2};
    tx->seal(1, tiny);
    EXPECT_EQ(tiny.size(), 2 + tx->tag_size());
    EXPECT_EQ(tiny[0] | tiny[1], 0);
  }
}

INSTANTIATE_TEST_SUITE_P(AllCombinations, PacketCipherTest, testing::ValuesIn(all_combos()), combo_name);

TEST(PacketCipherRegistry, CipherInfo) {
  struct Row {
    const char* name;
    std::size_t key, iv, block;
    bool aead;
  };
  const Row rows[] = {
      {"chacha20-poly1305@openssh.com", 64, 0, 8, true},
      {"aes128-gcm@openssh.com", 16, 12, 16, true},
      {"aes256-gcm@openssh.com", 32, 12, 16, true},
      {"aes128-ctr", 16, 16, 16, false},
      {"aes192-ctr", 24, 16, 16, false},
      {"aes256-ctr", 32, 16, 16, false},
  };
  for (const auto& r : rows) {
    const auto info = cipher_info(r.name);
    ASSERT_TRUE(info.has_value()) << r.name;
    EXPECT_EQ(info->key_size, r.key) << r.name;
    EXPECT_EQ(info->iv_size, r.iv) << r.name;
    EXPECT_EQ(info->block_size, r.block) << r.name;
    EXPECT_EQ(info->aead, r.aead) << r.name;
  }
  for (const char* name : {"none", "", "aes128-cbc", "3des-cbc", "AES128-CTR", "aes128-ctr ", "arcfour"})
    EXPECT_FALSE(cipher_info(name).has_value()) << name;
}

TEST(PacketCipherRegistry, MacInfo) {
  struct Row {
    const char* name;
    std::size_t key, tag;
    bool etm;
  };
  const Row rows[] = {
      {"hmac-sha2-256", 32, 32, false},
      {"hmac-sha2-512", 64, 64, false},
      {"hmac-sha1", 20, 20, false},
      {"hmac-sha2-256-etm@openssh.com", 32, 32, true},
      {"hmac-sha2-512-etm@openssh.com", 64, 64, true},
      {"hmac-sha1-etm@openssh.com", 20, 20, true},
  };
  for (const auto& r : rows) {
    const auto info = mac_info(r.name);
    ASSERT_TRUE(info.has_value()) << r.name;
    EXPECT_EQ(info->key_size, r.key);
    EXPECT_EQ(info->tag_size, r.tag);
    EXPECT_EQ(info->encrypt_then_mac, r.etm);
  }
  for (const char* name : {"none", "", "hmac-md5", "umac-64@openssh.com", "hmac-sha1-96"})
    EXPECT_FALSE(mac_info(name).has_value()) << name;
}

TEST(PacketCipherRegistry, ShapeOfEachProtection) {
  for (const auto& c : all_combos()) {
    const auto k = make_keys(c.cipher, c.mac, 1);
    auto p = make_packet_cipher(c.cipher, c.mac, true, k.key, k.iv, k.mac_key);
    ASSERT_NE(p, nullptr) << c.cipher << " " << c.mac;
    const auto ci = cipher_info(c.cipher);
    EXPECT_EQ(p->block_size(), ci->block_size);
    const bool etm = !ci->aead && mac_info(c.mac)->encrypt_then_mac;
    EXPECT_EQ(p->tag_size(), ci->aead ? 16u : mac_info(c.mac)->tag_size);
    // Padding excludes the length for EtM and every AEAD mode (OpenSSH checks this on receipt).
    EXPECT_EQ(p->length_in_clear(), ci->aead || etm);
    EXPECT_EQ(p->length_prefix_size(), ci->aead || etm ? 4u : 16u);
  }
}

TEST(PacketCipherRegistry, RejectsBadNamesAndKeySizes) {
  const auto k = make_keys("aes128-ctr", "hmac-sha2-256", 1);
  EXPECT_NE(make_packet_cipher("aes128-ctr", "hmac-sha2-256", true, k.key, k.iv, k.mac_key), nullptr);
  EXPECT_EQ(make_packet_cipher("aes128-cbc", "hmac-sha2-256", true, k.key, k.iv, k.mac_key), nullptr);
  EXPECT_EQ(make_packet_cipher("aes128-ctr", "hmac-md5", true, k.key, k.iv, k.mac_key), nullptr);
  EXPECT_EQ(make_packet_cipher("aes128-ctr", "", true, k.key, k.iv, k.mac_key), nullptr);
  EXPECT_EQ(make_packet_cipher("aes128-ctr", "hmac-sha2-256", true, ByteView(k.key).first(15), k.iv, k.mac_key),
            nullptr);
  EXPECT_EQ(make_packet_cipher("aes128-ctr", "hmac-sha2-256", true, k.key, ByteView(k.iv).first(8), k.mac_key),
            nullptr);
  EXPECT_EQ(make_packet_cipher("aes128-ctr", "hmac-sha2-512", true, k.key, k.iv, k.mac_key), nullptr);
  const Bytes key64(64, 1), key32(32, 1), iv12(12, 2);
  // AEAD: the MAC name and key are ignored, cipher key and IV sizes are checked.
  EXPECT_NE(make_packet_cipher("chacha20-poly1305@openssh.com", "hmac-md5", false, key64, {}, {}), nullptr);
  EXPECT_EQ(make_packet_cipher("chacha20-poly1305@openssh.com", "", false, key32, {}, {}), nullptr);
  EXPECT_EQ(make_packet_cipher("chacha20-poly1305@openssh.com", "", false, key64, iv12, {}), nullptr);
  EXPECT_NE(make_packet_cipher("aes256-gcm@openssh.com", "", true, key32, iv12, {}), nullptr);
  EXPECT_EQ(make_packet_cipher("aes128-gcm@openssh.com", "", true, key32, iv12, {}), nullptr);
  EXPECT_EQ(make_packet_cipher("aes256-gcm@openssh.com", "", true, key32, ByteView(iv12).first(8), {}), nullptr);
}

TEST(NullCipher, PassesPacketsThroughUnchanged) {
  auto tx = make_null_cipher();
  auto rx = make_null_cipher();
  EXPECT_EQ(tx->block_size(), 8u);
  EXPECT_EQ(tx->tag_size(), 0u);
  EXPECT_FALSE(tx->length_in_clear());
  EXPECT_EQ(tx->length_prefix_size(), 4u);
  const Bytes plain = make_packet(21, 8, false, 5);
  EXPECT_EQ(plain.size() % 8, 0u);
  Bytes wire = plain;
  tx->seal(0, wire);
  EXPECT_EQ(wire, plain);
  EXPECT_EQ(rx->decrypt_length(0, ByteView(wire).first(4)), be32(plain.data()));
  EXPECT_EQ(open_packet(*rx, 0, wire), plain);
  EXPECT_EQ(wire, plain);
  EXPECT_EQ(rx->decrypt_length(0, ByteView(wire).first(3)), 0u);
  EXPECT_FALSE(open_packet(*rx, 0, ByteView(wire).first(4)));

  // Gathering only puts the body in its place; a body outside the packet wipes it.
  Bytes gathered = plain;
  std::fill(gathered.begin() + 9, gathered.begin() + 20, std::uint8_t{0});
  tx->seal_gather_into(1, gathered, 9, ByteView(plain).subspan(9, 11), {});
  EXPECT_EQ(gathered, plain);
  tx->seal_gather_into(2, gathered, 2, ByteView(plain).first(4), {});
  EXPECT_EQ(gathered, Bytes(plain.size(), 0));
}

}  // namespace
}  // namespace ssh::crypto
