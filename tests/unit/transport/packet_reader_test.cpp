#include "ssh/transport/packet_reader.hpp"

#include <gtest/gtest.h>

#include "ssh/crypto/random.hpp"
#include "ssh/transport/algorithms.hpp"
#include "ssh/transport/packet_writer.hpp"

namespace ssh::transport {
namespace {

struct Pair {
  std::unique_ptr<crypto::PacketCipher> seal, open;
};

Pair make_pair(const std::string& cipher, const std::string& mac) {
  const auto ci = crypto::cipher_info(cipher);
  EXPECT_TRUE(ci) << cipher;
  std::size_t mac_key_size = 0;
  if (!ci->aead) {
    const auto mi = crypto::mac_info(mac);
    EXPECT_TRUE(mi) << mac;
    mac_key_size = mi->key_size;
  }
  Bytes key(ci->key_size), iv(ci->iv_size), mac_key(mac_key_size);
  crypto::random_bytes(key);
  crypto::random_bytes(iv);
  crypto::random_bytes(mac_key);
  return {crypto::make_packet_cipher(cipher, mac, true, key, iv, mac_key),
          crypto::make_packet_cipher(cipher, mac, false, key, iv, mac_key)};
}

// Keys `w` and `r` with the two ends of one protection; false when it cannot be built.
bool install_pair(const std::string& cipher, const std::string& mac, PacketWriter& w, PacketReader& r) {
  auto pair = make_pair(cipher, mac);
  if (!pair.seal || !pair.open) return false;
  w.set_cipher(std::move(pair.seal));
  r.set_cipher(std::move(pair.open));
  return true;
}

std::vector<Bytes> sample_payloads() {
  std::vector<Bytes> out;
  for (std::size_t n : {1u, 2u, 15u, 16u, 17u, 31u, 32u, 100u, 1000u, 32768u}) {
    Bytes p(n);
    crypto::random_bytes(p);
    p[0] = static_cast<std::uint8_t>(n);
    out.push_back(std::move(p));
  }
  return out;
}

void round_trip(PacketWriter& w, PacketReader& r, std::size_t chunk) {
  const auto payloads = sample_payloads();
  Bytes wire;
  const std::uint32_t first_seq = w.sequence();
  for (const auto& p : payloads) w.write(p, wire);
  std::vector<Bytes> got;
  std::vector<std::uint32_t> seqs;
  for (std::size_t off = 0; off < wire.size(); off += chunk) {
    r.feed(ByteView(wire).subspan(off, std::min(chunk, wire.size() - off)));
    for (;;) {
      auto res = r.next();
      ASSERT_NE(res.status, PacketReader::Status::error) << res.error;
      if (res.status == PacketReader::Status::need_more) break;
      got.push_back(std::move(res.payload));
      seqs.push_back(res.seq);
    }
  }
  ASSERT_EQ(got.size(), payloads.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i], payloads[i]) << i;
    EXPECT_EQ(seqs[i], static_cast<std::uint32_t>(first_seq + i));
  }
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(PacketReader, NullCipherRoundTripOneChunkAndByteAtATime) {
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{1} << 20}) {
    PacketWriter w;
    PacketReader r(256 * 1024);
    round_trip(w, r, chunk);
  }
}

TEST(PacketReader, EveryCipherAndMacRoundTrips) {
  for (const auto& cipher : supported_algorithms(AlgorithmKind::cipher)) {
    const bool aead = crypto::cipher_info(cipher)->aead;
    const auto macs = aead ? std::vector<std::string>{""} : supported_algorithms(AlgorithmKind::mac);
    for (const auto& mac : macs) {
      SCOPED_TRACE(cipher + " " + mac);
      for (std::size_t chunk : {std::size_t{1}, std::size_t{13}, std::size_t{1} << 20}) {
        PacketWriter w;
        PacketReader r(256 * 1024);
        ASSERT_TRUE(install_pair(cipher, mac, w, r));
        round_trip(w, r, chunk);
      }
    }
  }
}

// Channel data is framed from a header and the data itself without joining them first; every
// split point must give the same payload on the other side, with every protection.
TEST(PacketReader, TwoPieceWritesArriveAsOnePayload) {
  for (const auto& [cipher, mac] : std::vector<std::pair<std::string, std::string>>{
           {"aes128-gcm@openssh.com", ""}, {"chacha20-poly1305@openssh.com", ""}, {"aes128-ctr", "hmac-sha2-256"},
           {"aes256-ctr", "hmac-sha2-512-etm@openssh.com"}}) {
    SCOPED_TRACE(cipher + " " + mac);
    PacketWriter w;
    PacketReader r(256 * 1024);
    ASSERT_TRUE(install_pair(cipher, mac, w, r));
    Bytes payload(32768 + 13);
    crypto::random_bytes(payload);
    Bytes wire;
    const std::vector<std::size_t> splits = {1, 9, 13, 100, payload.size() - 1, payload.size()};
    for (std::size_t split : splits) {
      w.write(ByteView(payload).first(split), ByteView(payload).subspan(split), wire);
    }
    r.feed(wire);
    for (std::size_t i = 0; i < splits.size(); ++i) {
      auto res = r.next();
      ASSERT_EQ(res.status, PacketReader::Status::packet) << res.error;
      EXPECT_EQ(res.payload, payload) << "split at " << splits[i];
    }
    EXPECT_EQ(r.next().status, PacketReader::Status::need_more);
  }
}

TEST(PacketReader, TamperingIsAMacError) {
  for (const auto& [cipher, mac] :
       std::vector<std::pair<std::string, std::string>>{{"aes128-ctr", "hmac-sha2-256"},
                                                        {"aes256-ctr", "hmac-sha2-512-etm@openssh.com"},
                                                        {"chacha20-poly1305@openssh.com", ""},
                                                        {"aes128-gcm@openssh.com", ""}}) {
    SCOPED_TRACE(cipher);
    PacketWriter w;
    PacketReader r(256 * 1024);
    ASSERT_TRUE(install_pair(cipher, mac, w, r));
    Bytes wire;
    w.write(Bytes(64, 0x5e), wire);
    wire[wire.size() - 20] ^= 0x01;
    r.feed(wire);
    auto res = r.next();
    EXPECT_EQ(res.status, PacketReader::Status::error);
    EXPECT_TRUE(res.mac_error);
    EXPECT_EQ(r.next().status, PacketReader::Status::error) << "stays failed";
  }
}

TEST(PacketReader, SequenceNumbersContinueAcrossCipherChange) {
  PacketWriter w;
  PacketReader r(256 * 1024);
  Bytes wire;
  w.write(Bytes{1, 2, 3}, wire);
  w.write(Bytes{4}, wire);
  r.feed(wire);
  EXPECT_EQ(r.next().seq, 0u);
  EXPECT_EQ(r.next().seq, 1u);
  ASSERT_TRUE(install_pair("aes128-ctr", "hmac-sha2-256", w, r));
  wire.clear();
  w.write(Bytes{9}, wire);
  r.feed(wire);
  auto res = r.next();
  ASSERT_EQ(res.status, PacketReader::Status::packet) << res.error;
  EXPECT_EQ(res.seq, 2u);
  EXPECT_EQ(res.payload, Bytes{9});
}

Bytes raw_packet(std::uint32_t length, std::uint8_t padding, std::size_t body) {
  Bytes p = {static_cast<std::uint8_t>(length >> 24), static_cast<std::uint8_t>(length >> 16),
             static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length), padding};
  p.resize(5 + body);
  return p;
}

TEST(PacketReader, RejectsOversizedPacketsBeforeBuffering) {
  PacketReader r(35000);
  r.feed(raw_packet(35008, 4, 0));
  auto res = r.next();
  EXPECT_EQ(res.status, PacketReader::Status::error);
  EXPECT_FALSE(res.mac_error);
  EXPECT_NE(res.error.find("too large"), std::string::npos);
}

TEST(PacketReader, RejectsTooSmallAndMisalignedPackets) {
  {
    PacketReader r(35000);
    r.feed(raw_packet(4, 3, 8));
    EXPECT_EQ(r.next().status, PacketReader::Status::error);
  }
  {
    PacketReader r(35000);
    r.feed(raw_packet(13, 4, 20));  // 4 + 13 is not a multiple of 8
    EXPECT_EQ(r.next().status, PacketReader::Status::error);
  }
}

TEST(PacketReader, RejectsBadPaddingLength) {
  {
    PacketReader r(35000);
    r.feed(raw_packet(12, 3, 11));  // padding below 4
    EXPECT_EQ(r.next().status, PacketReader::Status::error);
  }
  {
    PacketReader r(35000);
    r.feed(raw_packet(12, 12, 11));  // padding longer than the packet
    EXPECT_EQ(r.next().status, PacketReader::Status::error);
  }
}

TEST(PacketReader, AcceptsEmptyPayload) {
  PacketReader r(35000);
  r.feed(raw_packet(12, 11, 11));
  auto res = r.next();
  ASSERT_EQ(res.status, PacketReader::Status::packet) << res.error;
  EXPECT_TRUE(res.payload.empty());
}

TEST(PacketReader, SequenceResetForStrictKex) {
  PacketWriter w;
  PacketReader r(35000);
  Bytes wire;
  w.write(Bytes{1}, wire);
  r.feed(wire);
  EXPECT_EQ(r.next().seq, 0u);
  r.reset_sequence();
  w.reset_sequence();
  wire.clear();
  w.write(Bytes{2}, wire);
  r.feed(wire);
  auto res = r.next();
  EXPECT_EQ(res.seq, 0u);
  EXPECT_EQ(res.payload, Bytes{2});
  EXPECT_EQ(r.packets(), 2u);
}

}  // namespace
}  // namespace ssh::transport
