#include "tun/builder.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tun/packet.hpp"
#include "unit/tun/sample_packets.hpp"

namespace {

using namespace tun;

TEST(TunBuilder, UdpMatchesIndependentPacket) {
  // The sample DNS query rebuilt from its parts: identical but for IPv4 identification (we send 0).
  const auto parsed = parse(tun_test::v4_udp_dns).packet;
  const auto payload = std::span(tun_test::v4_udp_dns).subspan(parsed.payload_offset);
  const auto built = build_udp({parsed.source, 5353}, {parsed.destination, 53}, payload);
  ASSERT_TRUE(built);
  ASSERT_EQ(built->size(), tun_test::v4_udp_dns.size());
  EXPECT_TRUE(std::equal(built->begin() + 20, built->end(), tun_test::v4_udp_dns.begin() + 20));
  EXPECT_TRUE(tun_test::checksums_ok(*built, 20, 17));
  const auto again = parse(*built);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.packet.ttl, default_ttl);

  const auto p6 = parse(tun_test::v6_udp_dns).packet;
  const auto b6 = build_udp({p6.source, 5353}, {p6.destination, 53}, std::span(tun_test::v6_udp_dns).subspan(48));
  ASSERT_TRUE(b6);
  EXPECT_EQ(*b6, tun_test::v6_udp_dns);
}

TEST(TunBuilder, UdpRefusesWhatDoesNotFit) {
  const std::vector<std::uint8_t> big(65535 - 28 + 1);
  EXPECT_FALSE(build_udp({IpAddress::v4(1, 1, 1, 1), 1}, {IpAddress::v4(2, 2, 2, 2), 2}, big));
  EXPECT_TRUE(
      build_udp({IpAddress::v4(1, 1, 1, 1), 1}, {IpAddress::v4(2, 2, 2, 2), 2}, std::span(big).first(65535 - 28)));
  IpAddress v6;
  v6.family = Family::v6;
  EXPECT_FALSE(build_udp({IpAddress::v4(1, 1, 1, 1), 1}, {v6, 2}, std::span(big).first(4)));
}

TEST(TunBuilder, ResetForSynAcknowledgesIt) {
  const auto syn = parse(tun_test::v4_tcp_syn).packet;
  const auto rst = build_tcp_reset(syn);
  ASSERT_TRUE(rst);
  EXPECT_TRUE(tun_test::checksums_ok(*rst, 20, 6));
  const auto r = parse(*rst);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.packet.source, syn.destination);
  EXPECT_EQ(r.packet.destination, syn.source);
  EXPECT_EQ(r.packet.tcp.source_port, 443);
  EXPECT_EQ(r.packet.tcp.destination_port, 40000);
  EXPECT_EQ(r.packet.tcp.flags, tcp_rst | tcp_ack);
  EXPECT_EQ(r.packet.tcp.seq, 0u);
  EXPECT_EQ(r.packet.tcp.ack, 0x11223344u + 1);
}

TEST(TunBuilder, ResetForAckUsesItsAck) {
  const auto seg = parse(tun_test::v6_tcp_ext).packet;
  const auto rst = build_tcp_reset(seg);
  ASSERT_TRUE(rst);
  EXPECT_TRUE(tun_test::checksums_ok(*rst, 40, 6));
  const auto r = parse(*rst);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.packet.tcp.flags, tcp_rst);
  EXPECT_EQ(r.packet.tcp.seq, 0x01020304u);
  // Never a reset for a reset, nor for what is not TCP.
  Packet p = seg;
  p.tcp.flags = tcp_rst;
  EXPECT_FALSE(build_tcp_reset(p));
  EXPECT_FALSE(build_tcp_reset(parse(tun_test::v4_udp_dns).packet));
}

}  // namespace
