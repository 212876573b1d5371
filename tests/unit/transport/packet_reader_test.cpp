#include "ssh/transport/packet_reader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>

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
  const Bytes wire = raw_packet(35008, 4, 0);
  r.feed(wire);
  auto res = r.next();
  EXPECT_EQ(res.status, PacketReader::Status::error);
  EXPECT_FALSE(res.mac_error);
  EXPECT_NE(res.error.find("too large"), std::string::npos);
}

TEST(PacketReader, RejectsTooSmallAndMisalignedPackets) {
  {
    PacketReader r(35000);
    const Bytes wire = raw_packet(4, 3, 8);
    r.feed(wire);
    EXPECT_EQ(r.next().status, PacketReader::Status::error);
  }
  {
    PacketReader r(35000);
    const Bytes wire = raw_packet(13, 4, 20);  // 4 + 13 is not a multiple of 8
    r.feed(wire);
    EXPECT_EQ(r.next().status, PacketReader::Status::error);
  }
}

TEST(PacketReader, RejectsBadPaddingLength) {
  {
    PacketReader r(35000);
    const Bytes wire = raw_packet(12, 3, 11);  // padding below 4
    r.feed(wire);
    EXPECT_EQ(r.next().status, PacketReader::Status::error);
  }
  {
    PacketReader r(35000);
    const Bytes wire = raw_packet(12, 12, 11);  // padding longer than the packet
    r.feed(wire);
    EXPECT_EQ(r.next().status, PacketReader::Status::error);
  }
}

// Every protection, the null one included ("none" below), with deterministic keys so one wire
// stream can be received by many fresh readers.
struct Mode {
  std::string cipher, mac;
};

std::vector<Mode> all_modes() {
  std::vector<Mode> out = {{"none", ""}};
  for (const auto& cipher : supported_algorithms(AlgorithmKind::cipher)) {
    if (crypto::cipher_info(cipher)->aead) {
      out.push_back({cipher, ""});
      continue;
    }
    for (const auto& mac : supported_algorithms(AlgorithmKind::mac)) out.push_back({cipher, mac});
  }
  return out;
}

std::unique_ptr<crypto::PacketCipher> make_end(const Mode& m, bool encrypt) {
  if (m.cipher == "none") return crypto::make_null_cipher();
  const auto ci = crypto::cipher_info(m.cipher);
  const auto mi = crypto::mac_info(m.mac);
  const Bytes key(ci->key_size, 0x42), iv(ci->iv_size, 0x17), mac_key(ci->aead ? 0 : mi->key_size, 0x5a);
  return crypto::make_packet_cipher(m.cipher, m.mac, encrypt, key, iv, mac_key);
}

struct Stream {
  std::vector<Bytes> payloads;
  std::vector<std::size_t> ends;  // where each packet ends in `wire`
  Bytes wire;
};

// Packets sealed in one mode starting at sequence number 0. Sizes cover the empty payload, less
// than one cipher block and several blocks.
Stream sealed_stream(const Mode& m, std::initializer_list<std::size_t> sizes) {
  PacketWriter w;
  w.set_cipher(make_end(m, true));
  Stream s;
  std::uint8_t fill = 1;
  for (std::size_t n : sizes) {
    Bytes p(n);
    for (auto& b : p) b = fill++;
    w.write(p, s.wire);
    s.payloads.push_back(std::move(p));
    s.ends.push_back(s.wire.size());
  }
  return s;
}

PacketReader fresh_reader(const Mode& m) {
  PacketReader r(256 * 1024);
  r.set_cipher(make_end(m, false));
  return r;
}

// Feeds `wire` cut at `cuts`, each piece from its own heap buffer that is overwritten with garbage
// and freed as soon as the reader said need_more: a view kept past that point reads garbage (and
// ASan reports it).
void receive_in_pieces(PacketReader& r, ByteView wire, const std::vector<std::size_t>& cuts, std::vector<Bytes>& got,
                       std::vector<std::uint32_t>& seqs) {
  std::size_t from = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : wire.size();
    auto piece = std::make_unique<Bytes>(wire.begin() + static_cast<std::ptrdiff_t>(from),
                                         wire.begin() + static_cast<std::ptrdiff_t>(to));
    r.feed(*piece);
    for (;;) {
      auto res = r.next();
      ASSERT_NE(res.status, PacketReader::Status::error) << res.error << " (cuts end at " << to << ")";
      if (res.status == PacketReader::Status::need_more) break;
      got.push_back(std::move(res.payload));
      seqs.push_back(res.seq);
    }
    std::fill(piece->begin(), piece->end(), std::uint8_t{0xa5});
    piece.reset();
    from = to;
  }
}

void expect_stream(const Stream& s, const std::vector<Bytes>& got, const std::vector<std::uint32_t>& seqs) {
  ASSERT_EQ(got.size(), s.payloads.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i], s.payloads[i]) << "packet " << i;
    EXPECT_EQ(seqs[i], i);
  }
}

TEST(PacketReader, EveryModeSurvivesEveryTwoWaySplit) {
  for (const auto& m : all_modes()) {
    SCOPED_TRACE(m.cipher + " " + m.mac);
    const Stream s = sealed_stream(m, {0, 5, 40, 300});
    for (std::size_t cut = 0; cut <= s.wire.size(); ++cut) {
      PacketReader r = fresh_reader(m);
      std::vector<Bytes> got;
      std::vector<std::uint32_t> seqs;
      receive_in_pieces(r, s.wire, {cut}, got, seqs);
      ASSERT_NO_FATAL_FAILURE(expect_stream(s, got, seqs)) << "cut at " << cut;
      EXPECT_EQ(r.buffered(), 0u);
    }
  }
}

TEST(PacketReader, EveryModeSurvivesRandomThreeWaySplits) {
  std::mt19937 rng(2024);
  for (const auto& m : all_modes()) {
    SCOPED_TRACE(m.cipher + " " + m.mac);
    const Stream s = sealed_stream(m, {1, 3000, 17, 0, 64, 1000});
    for (int round = 0; round < 60; ++round) {
      std::vector<std::size_t> cuts = {rng() % (s.wire.size() + 1), rng() % (s.wire.size() + 1)};
      std::sort(cuts.begin(), cuts.end());
      PacketReader r = fresh_reader(m);
      std::vector<Bytes> got;
      std::vector<std::uint32_t> seqs;
      receive_in_pieces(r, s.wire, cuts, got, seqs);
      ASSERT_NO_FATAL_FAILURE(expect_stream(s, got, seqs)) << "cuts " << cuts[0] << " " << cuts[1];
    }
  }
}

// Any byte changed after the length field fails authentication in every mode, whether the packet
// is decoded from the fed bytes directly or completed in the reader's buffer; a changed length
// field never yields a packet.
TEST(PacketReader, EveryTamperedByteIsRefusedInEveryMode) {
  for (const auto& m : all_modes()) {
    if (m.cipher == "none") continue;
    SCOPED_TRACE(m.cipher + " " + m.mac);
    const Stream s = sealed_stream(m, {40});
    for (std::size_t pos = 0; pos < s.wire.size(); ++pos) {
      for (const bool split : {false, true}) {
        Bytes wire = s.wire;
        wire[pos] ^= 0x10;
        PacketReader r = fresh_reader(m);
        const std::size_t cut = split ? pos : 0;
        r.feed(ByteView(wire).first(cut));
        auto res = r.next();
        ASSERT_EQ(res.status, PacketReader::Status::need_more) << pos;
        r.feed(ByteView(wire).subspan(cut));
        res = r.next();
        EXPECT_NE(res.status, PacketReader::Status::packet) << "byte " << pos << (split ? " split" : "");
        if (pos >= 4) {
          EXPECT_EQ(res.status, PacketReader::Status::error) << pos;
          EXPECT_TRUE(res.mac_error) << "byte " << pos << ": " << res.error;
        }
      }
    }
  }
}

TEST(PacketReader, LengthAloneFirstThenTheRest) {
  for (const auto& m : all_modes()) {
    SCOPED_TRACE(m.cipher + " " + m.mac);
    const Stream s = sealed_stream(m, {100});
    const std::size_t prefix = make_end(m, false)->length_prefix_size();
    for (std::size_t first : {std::size_t{1}, prefix - 1, prefix, prefix + 1}) {
      PacketReader r = fresh_reader(m);
      std::vector<Bytes> got;
      std::vector<std::uint32_t> seqs;
      receive_in_pieces(r, s.wire, {first}, got, seqs);
      ASSERT_NO_FATAL_FAILURE(expect_stream(s, got, seqs)) << first;
    }
    // Byte by byte, each byte from its own buffer.
    std::vector<std::size_t> cuts(s.wire.size() - 1);
    for (std::size_t i = 0; i < cuts.size(); ++i) cuts[i] = i + 1;
    PacketReader r = fresh_reader(m);
    std::vector<Bytes> got;
    std::vector<std::uint32_t> seqs;
    receive_in_pieces(r, s.wire, cuts, got, seqs);
    ASSERT_NO_FATAL_FAILURE(expect_stream(s, got, seqs));
  }
}

TEST(PacketReader, TwoPacketsInOneFeed) {
  for (const auto& m : all_modes()) {
    SCOPED_TRACE(m.cipher + " " + m.mac);
    const Stream s = sealed_stream(m, {20, 700});
    PacketReader r = fresh_reader(m);
    r.feed(s.wire);
    EXPECT_EQ(r.buffered(), s.wire.size());
    auto a = r.next();
    ASSERT_EQ(a.status, PacketReader::Status::packet) << a.error;
    EXPECT_EQ(a.payload, s.payloads[0]);
    EXPECT_EQ(a.wire_size, s.ends[0]);
    auto b = r.next();
    ASSERT_EQ(b.status, PacketReader::Status::packet) << b.error;
    EXPECT_EQ(b.payload, s.payloads[1]);
    EXPECT_EQ(b.seq, 1u);
    EXPECT_EQ(b.wire_size, s.ends[1] - s.ends[0]);
    EXPECT_EQ(r.next().status, PacketReader::Status::need_more);
    EXPECT_EQ(r.buffered(), 0u);
  }
}

// What is left of a read when next() says need_more is the reader's own: the caller's buffer is
// reused for the next read straight away.
TEST(PacketReader, LeftoversSurviveTheCallersBufferBeingReused) {
  for (const auto& m : all_modes()) {
    SCOPED_TRACE(m.cipher + " " + m.mac);
    const Stream s = sealed_stream(m, {10, 500, 30});
    const std::size_t cut = s.ends[0] + (s.ends[1] - s.ends[0]) / 2;
    Bytes socket_buffer(s.wire.begin(), s.wire.begin() + static_cast<std::ptrdiff_t>(cut));
    PacketReader r = fresh_reader(m);
    r.feed(socket_buffer);
    auto a = r.next();
    ASSERT_EQ(a.status, PacketReader::Status::packet) << a.error;
    ASSERT_EQ(r.next().status, PacketReader::Status::need_more);
    EXPECT_EQ(r.buffered(), cut - s.ends[0]);
    std::fill(socket_buffer.begin(), socket_buffer.end(), std::uint8_t{0xee});
    socket_buffer.assign(s.wire.begin() + static_cast<std::ptrdiff_t>(cut), s.wire.end());
    r.feed(socket_buffer);
    auto b = r.next();
    ASSERT_EQ(b.status, PacketReader::Status::packet) << b.error;
    EXPECT_EQ(b.payload, s.payloads[1]);
    auto c = r.next();
    ASSERT_EQ(c.status, PacketReader::Status::packet) << c.error;
    EXPECT_EQ(c.payload, s.payloads[2]);
    EXPECT_EQ(c.seq, 2u);
    EXPECT_EQ(r.next().status, PacketReader::Status::need_more);
  }
}

// A caller that stops before need_more (the transport does while a host key verdict is pending)
// saves the rest with save_input(); feeding again without draining keeps the earlier bytes too.
TEST(PacketReader, SaveInputAndRepeatedFeedsKeepUndecodedBytes) {
  for (const auto& m : all_modes()) {
    SCOPED_TRACE(m.cipher + " " + m.mac);
    const Stream s = sealed_stream(m, {10, 20, 30, 40});
    const std::size_t cut = s.ends[2] + 3;
    Bytes first(s.wire.begin(), s.wire.begin() + static_cast<std::ptrdiff_t>(cut));
    PacketReader r = fresh_reader(m);
    r.feed(first);
    auto a = r.next();
    ASSERT_EQ(a.status, PacketReader::Status::packet) << a.error;
    r.save_input();
    EXPECT_EQ(r.buffered(), cut - s.ends[0]);
    std::fill(first.begin(), first.end(), std::uint8_t{0});
    // Two more feeds without a next() in between; each buffer dies after the following feed.
    auto second = std::make_unique<Bytes>(s.wire.begin() + static_cast<std::ptrdiff_t>(cut),
                                          s.wire.begin() + static_cast<std::ptrdiff_t>(cut + 5));
    r.feed(*second);
    const Bytes third(s.wire.begin() + static_cast<std::ptrdiff_t>(cut + 5), s.wire.end());
    r.feed(third);
    second.reset();
    EXPECT_EQ(r.buffered(), s.wire.size() - s.ends[0]);
    for (std::uint32_t i = 1; i < 4; ++i) {
      auto res = r.next();
      ASSERT_EQ(res.status, PacketReader::Status::packet) << res.error;
      EXPECT_EQ(res.payload, s.payloads[i]);
      EXPECT_EQ(res.seq, i);
    }
    EXPECT_EQ(r.next().status, PacketReader::Status::need_more);
    EXPECT_EQ(r.buffered(), 0u);
  }
}

// The length is checked as soon as it is known: nothing of an oversized packet is kept, however
// its bytes arrive.
TEST(PacketReader, OversizedLengthFailsBeforeTheBodyArrives) {
  PacketReader r(35000);
  const Bytes wire = raw_packet(35008, 4, 0);
  r.feed(ByteView(wire).first(2));
  EXPECT_EQ(r.next().status, PacketReader::Status::need_more);
  r.feed(ByteView(wire).subspan(2));
  auto res = r.next();
  EXPECT_EQ(res.status, PacketReader::Status::error);
  EXPECT_NE(res.error.find("too large"), std::string::npos);
  r.feed(wire);
  EXPECT_EQ(r.buffered(), 0u) << "a failed reader takes nothing more";
}

TEST(PacketReader, AcceptsEmptyPayload) {
  PacketReader r(35000);
  const Bytes wire = raw_packet(12, 11, 11);
  r.feed(wire);
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
