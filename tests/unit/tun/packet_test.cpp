#include "tun/packet.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tun/rewrite.hpp"
#include "unit/tun/sample_packets.hpp"

namespace {

using namespace tun;
using Bytes = std::vector<std::uint8_t>;

const std::vector<const Bytes*>& samples() {
  static const std::vector<const Bytes*> all = {&tun_test::v4_tcp_syn, &tun_test::v4_udp_dns, &tun_test::v4_icmp_echo,
                                                &tun_test::v6_tcp_ext, &tun_test::v6_udp_dns, &tun_test::v6_icmp_echo,
                                                &tun_test::v6_fragment};
  return all;
}

TEST(TunPacket, Ipv4TcpSyn) {
  const auto r = parse(tun_test::v4_tcp_syn);
  ASSERT_TRUE(r.ok()) << to_string(r.error);
  const Packet& p = r.packet;
  EXPECT_EQ(p.family, Family::v4);
  EXPECT_EQ(p.source, IpAddress::v4(10, 0, 0, 2));
  EXPECT_EQ(p.destination, IpAddress::v4(93, 184, 216, 34));
  EXPECT_EQ(p.ttl, 64);
  EXPECT_EQ(p.transport, Transport::tcp);
  EXPECT_EQ(p.tcp.source_port, 40000);
  EXPECT_EQ(p.tcp.destination_port, 443);
  EXPECT_EQ(p.tcp.seq, 0x11223344u);
  EXPECT_EQ(p.tcp.flags, tcp_syn);
  EXPECT_EQ(p.tcp.window, 64240);
  EXPECT_EQ(p.transport_offset, 20u);
  EXPECT_EQ(p.payload_offset, 60u);  // 20 + 40 (20 bytes of options)
  EXPECT_EQ(p.payload_size(), 0u);
  EXPECT_EQ(p.length, 60u);
}

TEST(TunPacket, Ipv4UdpAndIcmp) {
  const auto u = parse(tun_test::v4_udp_dns);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u.packet.transport, Transport::udp);
  EXPECT_EQ(u.packet.udp.source_port, 5353);
  EXPECT_EQ(u.packet.udp.destination_port, 53);
  EXPECT_EQ(u.packet.udp.length, 8 + 29);
  EXPECT_EQ(u.packet.payload_offset, 28u);
  EXPECT_EQ(u.packet.payload_size(), 29u);
  const auto i = parse(tun_test::v4_icmp_echo);
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i.packet.transport, Transport::icmp);
  EXPECT_EQ(i.packet.icmp.type, 8);
  EXPECT_EQ(i.packet.icmp.code, 0);
  EXPECT_EQ(i.packet.source_port(), 0);
}

TEST(TunPacket, Ipv6WalksExtensionHeaders) {
  const auto r = parse(tun_test::v6_tcp_ext);
  ASSERT_TRUE(r.ok()) << to_string(r.error);
  const Packet& p = r.packet;
  EXPECT_EQ(p.family, Family::v6);
  EXPECT_EQ(p.source.bytes[0], 0xfd);
  EXPECT_EQ(p.source.bytes[15], 2);
  EXPECT_EQ(p.destination.bytes[1], 0x01);
  EXPECT_EQ(p.protocol, protocol_tcp);
  EXPECT_EQ(p.transport_offset, 56u);  // 40 + hop-by-hop 8 + destination options 8
  EXPECT_EQ(p.tcp.flags, tcp_psh | tcp_ack);
  EXPECT_EQ(p.tcp.seq, 0xdeadbeefu);
  EXPECT_EQ(p.tcp.ack, 0x01020304u);
  EXPECT_EQ(p.payload_size(), 13u);
  const auto u = parse(tun_test::v6_udp_dns);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u.packet.transport, Transport::udp);
  EXPECT_EQ(u.packet.udp.destination_port, 53);
  const auto i = parse(tun_test::v6_icmp_echo);
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i.packet.transport, Transport::icmp);
  EXPECT_EQ(i.packet.icmp.type, 128);
}

TEST(TunPacket, RoutingHeaderWithSegmentsLeftIsMarked) {
  // Turn the hop-by-hop header of the sample into a routing header (type 0 bytes aside): segments
  // left 0 is an ordinary packet, 1 means the destination field is not the final one.
  Bytes p = tun_test::v6_tcp_ext;
  p[6] = 43;
  p[43] = 0;
  auto r = parse(p);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.packet.routed);
  p[43] = 1;
  r = parse(p);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.packet.routed);
  EXPECT_EQ(rewrite(p, r.packet, {r.packet.source, 1}, {r.packet.destination, 2}), RewriteError::routed);
}

TEST(TunPacket, FragmentsAreReported) {
  const auto r6 = parse(tun_test::v6_fragment);
  ASSERT_TRUE(r6.ok());
  EXPECT_EQ(r6.packet.transport, Transport::fragment);
  // IPv4: more-fragments set, then a non-zero offset. The header checksum is fixed by hand.
  for (int frag : {0x2000, 0x0001}) {
    Bytes p = tun_test::v4_udp_dns;
    p[6] = static_cast<std::uint8_t>(frag >> 8);
    p[7] = static_cast<std::uint8_t>(frag);
    p[10] = p[11] = 0;
    const std::uint16_t c = static_cast<std::uint16_t>(~tun_test::naive_sum(p.data(), 20));
    p[10] = static_cast<std::uint8_t>(c >> 8);
    p[11] = static_cast<std::uint8_t>(c);
    const auto r = parse(p);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.packet.transport, Transport::fragment);
  }
}

TEST(TunPacket, RejectsWithReasons) {
  EXPECT_EQ(parse(Bytes{}).error, ParseError::empty);
  EXPECT_EQ(parse(Bytes{0x55, 0, 0}).error, ParseError::bad_version);
  Bytes p = tun_test::v4_tcp_syn;
  p[11] ^= 1;
  EXPECT_EQ(parse(p).error, ParseError::bad_header_checksum);
  p = tun_test::v4_tcp_syn;
  p[0] = 0x44;
  EXPECT_EQ(parse(p).error, ParseError::bad_ihl);
  p = tun_test::v6_udp_dns;
  p[5] = static_cast<std::uint8_t>(p[5] + 1);
  EXPECT_EQ(parse(p).error, ParseError::bad_payload_length);
  p = tun_test::v6_udp_dns;
  p[44] = 0;
  p[45] = 7;  // UDP length 7
  EXPECT_EQ(parse(p).error, ParseError::bad_udp_length);
  p = tun_test::v6_tcp_ext;
  p[41] = 50;  // hop-by-hop claims 408 bytes
  EXPECT_EQ(parse(p).error, ParseError::truncated_extension);
  p = tun_test::v6_tcp_ext;
  p[56 + 12] = 0x40;  // data offset 4
  EXPECT_EQ(parse(p).error, ParseError::bad_tcp_data_offset);
  p = tun_test::v6_tcp_ext;
  p[56 + 12] = 0xf0;  // data offset 15 = 60 bytes, beyond the 33-byte segment
  EXPECT_EQ(parse(p).error, ParseError::bad_tcp_data_offset);
}

TEST(TunPacket, BytesBeyondThePacketAreIgnored) {
  Bytes p = tun_test::v4_udp_dns;
  p.insert(p.end(), {1, 2, 3});
  const auto r = parse(p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.packet.length, tun_test::v4_udp_dns.size());
}

TEST(TunPacket, EveryTruncationIsRejectedOrInBounds) {
  for (const Bytes* sample : samples()) {
    for (std::size_t n = 0; n < sample->size(); ++n) {
      // A fresh allocation of exactly n bytes, so a sanitizer build catches any read past it.
      const Bytes prefix(sample->begin(), sample->begin() + static_cast<std::ptrdiff_t>(n));
      const auto r = parse(prefix);
      // The samples' lengths are exact, so every strict prefix lacks part of what the header promises.
      EXPECT_FALSE(r.ok()) << n;
    }
    // Shortening the IP length field too (IPv6 payload length, IPv4 total length, checksum fixed)
    // gives packets that parse or are rejected, never read past the new length.
    for (std::size_t n = 0; n < sample->size(); ++n) {
      Bytes p = *sample;
      const bool v4 = (p[0] >> 4) == 4;
      if (v4 && n < 20) continue;
      if (!v4 && n < 40) continue;
      p.resize(n);
      if (v4) {
        p[2] = static_cast<std::uint8_t>(n >> 8);
        p[3] = static_cast<std::uint8_t>(n);
        p[10] = p[11] = 0;
        const auto c = static_cast<std::uint16_t>(~tun_test::naive_sum(p.data(), 20));
        p[10] = static_cast<std::uint8_t>(c >> 8);
        p[11] = static_cast<std::uint8_t>(c);
      } else {
        p[4] = static_cast<std::uint8_t>((n - 40) >> 8);
        p[5] = static_cast<std::uint8_t>(n - 40);
      }
      const auto r = parse(p);
      if (r.ok()) {
        EXPECT_LE(r.packet.length, n);
        EXPECT_LE(r.packet.payload_offset, r.packet.payload_end);
        EXPECT_LE(r.packet.payload_end, r.packet.length);
      }
    }
  }
}

TEST(TunPacket, RandomMutationsStayInBounds) {
  std::mt19937 rng(791);
  for (int round = 0; round < 20000; ++round) {
    Bytes p = *samples()[rng() % samples().size()];
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) p[rng() % p.size()] = static_cast<std::uint8_t>(rng());
    p.resize(rng() % (p.size() + 1));
    const auto r = parse(p);
    if (r.ok()) {
      EXPECT_LE(r.packet.length, p.size());
      EXPECT_LE(r.packet.transport_offset, r.packet.payload_offset);
      EXPECT_LE(r.packet.payload_offset, r.packet.payload_end);
      EXPECT_LE(r.packet.payload_end, r.packet.length);
    }
  }
}

}  // namespace
