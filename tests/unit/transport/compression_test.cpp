// Payload compression on its own: the offer and its negotiation, packets through a Compressor and
// a Decompressor (checked against plain zlib both ways), fresh streams at a key change, the bound
// on inflated size and corrupt input.
#include "ssh/transport/compression.hpp"

#include <gtest/gtest.h>

#define ZLIB_CONST
#include <zlib.h>

#include <random>
#include <string>

#include "ssh/transport/algorithms.hpp"
#include "ssh/transport/kex_init.hpp"

namespace ssh::transport {
namespace {

using V = std::vector<std::string>;
constexpr std::size_t kMax = 256 * 1024;

Bytes random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

// Text-like data: compressible, not trivially.
Bytes texty(std::size_t n, unsigned seed) {
  static const char* kWords[] = {"channel ", "window ", "adjust ", "data ", "ssh ", "zlib\n", "openssh ", "packet "};
  std::mt19937 rng(seed);
  Bytes out;
  while (out.size() < n) {
    const std::string_view w = kWords[rng() % 8];
    out.insert(out.end(), w.begin(), w.end());
  }
  out.resize(n);
  return out;
}

Bytes concat(ByteView a, ByteView b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Plain zlib, independent of the code under test: one stream, each chunk flushed.
struct ZlibDeflate {
  z_stream z{};
  explicit ZlibDeflate(int flush_mode = Z_SYNC_FLUSH) : flush(flush_mode) {
    deflateInit_(&z, 6, ZLIB_VERSION, static_cast<int>(sizeof(z_stream)));
  }
  ~ZlibDeflate() { deflateEnd(&z); }
  Bytes operator()(ByteView in) {
    Bytes out(in.size() + 1024);
    z.next_in = in.data();
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_NE(deflate(&z, flush), Z_STREAM_ERROR);
    EXPECT_EQ(z.avail_in, 0u);
    out.resize(out.size() - z.avail_out);
    return out;
  }
  int flush;
};

struct ZlibInflate {
  z_stream z{};
  ZlibInflate() { inflateInit_(&z, ZLIB_VERSION, static_cast<int>(sizeof(z_stream))); }
  ~ZlibInflate() { inflateEnd(&z); }
  Bytes operator()(ByteView in) {
    Bytes out(64 * 1024);
    z.next_in = in.data();
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    const int status = inflate(&z, Z_SYNC_FLUSH);
    EXPECT_TRUE(status == Z_OK || status == Z_BUF_ERROR) << status;
    EXPECT_EQ(z.avail_in, 0u) << "each packet must decode on its own";
    out.resize(out.size() - z.avail_out);
    return out;
  }
};

TEST(CompressionNegotiation, OfferFollowsTheCompressionOption) {
  EXPECT_EQ(compression_algorithm_list(true), (V{"zlib@openssh.com", "zlib", "none"})) << "ssh 9.x's -C order";
  EXPECT_EQ(compression_algorithm_list(false), V{"none"});
  EXPECT_EQ(default_algorithms().compression, V{"none"});
  auto prefs = default_algorithms();
  EXPECT_EQ(make_client_kexinit(prefs, true).compression_s2c, V{"none"});
  prefs.compression = compression_algorithm_list(true);
  const auto k = make_client_kexinit(prefs, false);
  EXPECT_EQ(k.compression_c2s, (V{"zlib@openssh.com", "zlib", "none"}));
  EXPECT_EQ(k.compression_s2c, k.compression_c2s);
  const auto back = parse_kexinit(encode_kexinit(k));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->compression_c2s, k.compression_c2s);
}

KexInit server_offer(V c2s, V s2c) {
  KexInit s;
  s.kex = {"curve25519-sha256", "ext-info-s"};
  s.host_key = {"ssh-ed25519"};
  s.cipher_c2s = s.cipher_s2c = {"aes128-ctr"};
  s.mac_c2s = s.mac_s2c = {"hmac-sha2-256"};
  s.compression_c2s = std::move(c2s);
  s.compression_s2c = std::move(s2c);
  return s;
}

TEST(CompressionNegotiation, ChosenPerDirection) {
  auto prefs = default_algorithms();
  prefs.compression = compression_algorithm_list(true);
  const auto client = make_client_kexinit(prefs, true);
  // sshd's default offer: "none,zlib@openssh.com"; the client's order decides.
  auto r = negotiate_kexinit(client, server_offer({"none", "zlib@openssh.com"}, {"none", "zlib@openssh.com"}), true);
  ASSERT_TRUE(r.algorithms) << r.error;
  EXPECT_EQ(r.algorithms->compression_c2s, "zlib@openssh.com");
  EXPECT_EQ(r.algorithms->compression_s2c, "zlib@openssh.com");
  // Directions are independent.
  r = negotiate_kexinit(client, server_offer({"none"}, {"zlib", "none"}), true);
  ASSERT_TRUE(r.algorithms) << r.error;
  EXPECT_EQ(r.algorithms->compression_c2s, "none");
  EXPECT_EQ(r.algorithms->compression_s2c, "zlib");
  // Without Compression yes: none, even when the server prefers zlib.
  const auto plain = make_client_kexinit(default_algorithms(), true);
  r = negotiate_kexinit(plain, server_offer({"zlib@openssh.com", "none"}, {"zlib@openssh.com", "none"}), true);
  ASSERT_TRUE(r.algorithms) << r.error;
  EXPECT_EQ(r.algorithms->compression_c2s, "none");
  EXPECT_EQ(r.algorithms->compression_s2c, "none");
  // A server that compresses always and a client that never does have nothing in common.
  r = negotiate_kexinit(plain, server_offer({"zlib@openssh.com"}, {"none"}), true);
  EXPECT_FALSE(r.algorithms);
  EXPECT_EQ(r.error, "no common client-to-server compression");
}

TEST(CompressionNegotiation, WhenEachMethodStarts) {
  EXPECT_EQ(compression_start("none"), CompressionStart::never);
  EXPECT_EQ(compression_start("zlib"), CompressionStart::after_newkeys);
  EXPECT_EQ(compression_start("zlib@openssh.com"), CompressionStart::after_auth);
  EXPECT_EQ(compression_start("lz4@example.com"), CompressionStart::never);
}

TEST(Compression, PacketsRoundTripAndEachDecodesAlone) {
  Compressor c;
  Decompressor d(kMax);
  ZlibInflate reference;
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(d.ok());
  std::uint64_t raw = 0, packed = 0;
  for (unsigned i = 0; i < 600; ++i) {
    // A message header plus data of varying kind and size (up to a full 32 KiB channel packet).
    const Bytes head = {94, 0, 0, 0, static_cast<std::uint8_t>(i), 0, 0, 0x80, 0};
    const std::size_t n = (i * 7919) % (32 * 1024 + 1);
    const Bytes body = i % 3 == 0 ? random_bytes(n, i) : i % 3 == 1 ? texty(n, i) : Bytes(n, 0);
    Bytes wire;
    ASSERT_TRUE(c.compress(head, body, wire));
    const Bytes whole = concat(head, body);
    Bytes out;
    ASSERT_EQ(d.decompress(wire, out), Decompressor::Status::ok) << i;
    ASSERT_EQ(out, whole) << i;
    ASSERT_EQ(reference(wire), whole) << "plain zlib reads it too, packet " << i;
    raw += whole.size();
    packed += wire.size();
  }
  EXPECT_EQ(c.total_in(), raw);
  EXPECT_EQ(c.total_out(), packed);
  EXPECT_EQ(d.total_in(), packed);
  EXPECT_EQ(d.total_out(), raw);
  EXPECT_LT(packed, raw * 3 / 4) << "two thirds of the data compresses well";
}

TEST(Compression, ReadsWhatPlainZlibWrites) {
  ZlibDeflate reference(Z_PARTIAL_FLUSH);
  Decompressor d(kMax);
  for (unsigned i = 0; i < 200; ++i) {
    const Bytes payload = concat(Bytes{94}, texty(1 + i * 97, i));
    Bytes out;
    ASSERT_EQ(d.decompress(reference(payload), out), Decompressor::Status::ok) << i;
    ASSERT_EQ(out, payload) << i;
  }
}

TEST(Compression, RepetitionShrinksAcrossPackets) {
  // The dictionary carries from packet to packet: a packet repeating the previous one costs little.
  Compressor c;
  const Bytes body = random_bytes(4000, 7);
  Bytes first, second;
  ASSERT_TRUE(c.compress(Bytes{94}, body, first));
  ASSERT_TRUE(c.compress(Bytes{94}, body, second));
  EXPECT_GT(first.size(), 4000u);
  EXPECT_LT(second.size(), 100u);
}

TEST(Compression, KeyChangeStartsFreshStreamsOnBothSides) {
  // OpenSSH restarts each direction's stream at every NEWKEYS; both ends must do the same.
  auto c = std::make_unique<Compressor>();
  auto d = std::make_unique<Decompressor>(kMax);
  const Bytes payload = concat(Bytes{94, 0, 0, 0, 1}, texty(5000, 3));
  for (int i = 0; i < 10; ++i) {
    Bytes wire, out;
    ASSERT_TRUE(c->compress(payload, {}, wire));
    ASSERT_EQ(d->decompress(wire, out), Decompressor::Status::ok);
  }
  // Re-key: both replaced; the data flows on.
  c = std::make_unique<Compressor>();
  d = std::make_unique<Decompressor>(kMax);
  for (int i = 0; i < 10; ++i) {
    Bytes wire, out;
    ASSERT_TRUE(c->compress(payload, {}, wire));
    ASSERT_EQ(d->decompress(wire, out), Decompressor::Status::ok) << i;
    EXPECT_EQ(out, payload);
  }
  // A side that kept its old stream is not understood by a fresh one.
  Bytes wire, out;
  ASSERT_TRUE(c->compress(payload, {}, wire));
  Decompressor fresh(kMax);
  EXPECT_NE(fresh.decompress(wire, out), Decompressor::Status::ok);
}

TEST(Compression, InflatingPastTheLimitFailsWithoutGrowing) {
  // A tiny packet that would inflate to 1 MiB of zeros.
  ZlibDeflate reference;
  const Bytes bomb = reference(Bytes(1024 * 1024, 0));
  ASSERT_LT(bomb.size(), 2000u);
  Decompressor d(kMax);
  Bytes out;
  EXPECT_EQ(d.decompress(bomb, out), Decompressor::Status::too_large);
  EXPECT_TRUE(out.empty());
  EXPECT_LE(out.capacity(), kMax + 1) << "output stopped at the limit";
  EXPECT_FALSE(d.ok());
  EXPECT_EQ(d.decompress(ZlibDeflate()(Bytes{94}), out), Decompressor::Status::corrupt) << "the stream stays failed";
}

TEST(Compression, ExactlyAtTheLimitIsAccepted) {
  ZlibDeflate reference;
  Decompressor d(kMax);
  Bytes out;
  ASSERT_EQ(d.decompress(reference(Bytes(kMax, 'a')), out), Decompressor::Status::ok);
  EXPECT_EQ(out.size(), kMax);
  EXPECT_EQ(d.decompress(reference(Bytes(kMax + 1, 'a')), out), Decompressor::Status::too_large);
}

TEST(Compression, CorruptInputIsACleanError) {
  {
    Decompressor d(kMax);
    Bytes out;
    EXPECT_EQ(d.decompress(random_bytes(500, 1), out), Decompressor::Status::corrupt);
    EXPECT_TRUE(out.empty());
  }
  {
    // A good first packet, then a damaged one.
    Compressor c;
    Decompressor d(kMax);
    Bytes a, b, out;
    ASSERT_TRUE(c.compress(Bytes{94}, texty(3000, 1), a));
    ASSERT_TRUE(c.compress(Bytes{94}, texty(3000, 2), b));
    ASSERT_EQ(d.decompress(a, out), Decompressor::Status::ok);
    for (std::size_t i = 0; i < b.size(); i += 3) b[i] ^= 0x5a;
    const auto status = d.decompress(b, out);
    // Damage may decode as different data, but never as the original.
    if (status == Decompressor::Status::ok) {
      EXPECT_NE(out, concat(Bytes{94}, texty(3000, 2)));
    } else {
      EXPECT_EQ(status, Decompressor::Status::corrupt);
    }
  }
  {
    // The peer ended its stream (Z_FINISH): nothing may follow, so it is an error.
    ZlibDeflate finished(Z_FINISH);
    Decompressor d(kMax);
    Bytes out;
    EXPECT_EQ(d.decompress(finished(Bytes{94, 1, 2}), out), Decompressor::Status::corrupt);
  }
  {
    // A packet cut short decodes what it has and waits for nothing: the rest never comes.
    Compressor c;
    Decompressor d(kMax);
    Bytes wire, out;
    ASSERT_TRUE(c.compress(Bytes{94}, random_bytes(2000, 5), wire));
    wire.resize(wire.size() / 2);
    const auto status = d.decompress(wire, out);
    if (status == Decompressor::Status::ok) {
      EXPECT_LT(out.size(), 2001u);
    }
  }
}

TEST(Compression, EmptyBodyStillFlushes) {
  Compressor c;
  Decompressor d(kMax);
  for (int i = 0; i < 5; ++i) {
    Bytes wire, out;
    ASSERT_TRUE(c.compress(Bytes{2, 0, 0, 0, 0}, {}, wire));
    ASSERT_EQ(d.decompress(wire, out), Decompressor::Status::ok);
    EXPECT_EQ(out, (Bytes{2, 0, 0, 0, 0}));
  }
}

}  // namespace
}  // namespace ssh::transport
