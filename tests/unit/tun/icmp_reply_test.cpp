#include "tun/icmp_reply.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "tun/builder.hpp"
#include "unit/tun/sample_packets.hpp"

namespace {

using namespace tun;

TEST(TunIcmpReply, Ipv4PortUnreachableQuotesHeaderAndEightBytes) {
  const auto& q = tun_test::v4_udp_dns;
  const auto parsed = parse(q).packet;
  const IcmpResult r = build_unreachable(q, parsed, Unreachable::port);
  ASSERT_EQ(r.refusal, IcmpRefusal::none);
  ASSERT_EQ(r.packet.size(), 20u + 8 + 20 + 8);
  EXPECT_TRUE(tun_test::checksums_ok(r.packet, 20, 1));
  const auto p = parse(r.packet);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.packet.source, parsed.destination);
  EXPECT_EQ(p.packet.destination, parsed.source);
  EXPECT_EQ(p.packet.icmp.type, 3);
  EXPECT_EQ(p.packet.icmp.code, 3);
  EXPECT_TRUE(std::equal(r.packet.begin() + 28, r.packet.end(), q.begin()));
  EXPECT_EQ(build_unreachable(q, parsed, Unreachable::host).packet[21], 1);
  EXPECT_EQ(build_unreachable(q, parsed, Unreachable::admin).packet[21], 13);
}

TEST(TunIcmpReply, Ipv6QuotesWholePacketWithinMinimumMtu) {
  const auto& q = tun_test::v6_udp_dns;
  const auto parsed = parse(q).packet;
  const IcmpResult r = build_unreachable(q, parsed, Unreachable::port);
  ASSERT_EQ(r.refusal, IcmpRefusal::none);
  ASSERT_EQ(r.packet.size(), 40u + 8 + q.size());
  EXPECT_TRUE(tun_test::checksums_ok(r.packet, 40, 58));
  const auto p = parse(r.packet);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.packet.icmp.type, 1);
  EXPECT_EQ(p.packet.icmp.code, 4);
  EXPECT_TRUE(std::equal(r.packet.begin() + 48, r.packet.end(), q.begin()));

  // A large datagram is cut so that the error is exactly 1280 bytes.
  std::vector<std::uint8_t> payload(3000, 0x5a);
  const auto big = build_udp({parsed.source, 1}, {parsed.destination, 9}, payload);
  ASSERT_TRUE(big);
  const auto bp = parse(*big).packet;
  const IcmpResult rb = build_unreachable(*big, bp, Unreachable::port);
  ASSERT_EQ(rb.packet.size(), 1280u);
  EXPECT_TRUE(tun_test::checksums_ok(rb.packet, 40, 58));
  EXPECT_EQ(build_unreachable(*big, bp, Unreachable::host).packet[41], 3);
  EXPECT_EQ(build_unreachable(*big, bp, Unreachable::admin).packet[41], 1);
}

TEST(TunIcmpReply, NeverAboutErrorsOrMulticast) {
  const auto& q = tun_test::v4_udp_dns;
  const IcmpResult err = build_unreachable(q, parse(q).packet, Unreachable::port);
  EXPECT_EQ(build_unreachable(err.packet, parse(err.packet).packet, Unreachable::port).refusal,
            IcmpRefusal::about_icmp_error);
  // An echo request is not an error: it may be answered.
  EXPECT_EQ(build_unreachable(tun_test::v4_icmp_echo, parse(tun_test::v4_icmp_echo).packet, Unreachable::port).refusal,
            IcmpRefusal::none);
  Packet multicast = parse(q).packet;
  multicast.destination = IpAddress::v4(224, 0, 0, 251);
  EXPECT_EQ(build_unreachable(q, multicast, Unreachable::port).refusal, IcmpRefusal::not_unicast);
  multicast.destination = IpAddress::v4(255, 255, 255, 255);
  EXPECT_EQ(build_unreachable(q, multicast, Unreachable::port).refusal, IcmpRefusal::not_unicast);
  EXPECT_EQ(build_unreachable(std::span(q).first(10), parse(q).packet, Unreachable::port).refusal,
            IcmpRefusal::too_short);
}

}  // namespace
