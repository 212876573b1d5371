#include "tun/rewrite.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "unit/tun/sample_packets.hpp"

namespace {

using namespace tun;
using Bytes = std::vector<std::uint8_t>;

IpAddress random_like(const IpAddress& a, std::mt19937& rng) {
  IpAddress r = a;
  for (std::size_t i = 0; i < a.size(); ++i) r.bytes[i] = static_cast<std::uint8_t>(rng());
  return r;
}

TEST(TunRewrite, RoundTripRestoresPacketAndChecksums) {
  std::mt19937 rng(1624);
  for (const Bytes* sample :
       {&tun_test::v4_tcp_syn, &tun_test::v4_udp_dns, &tun_test::v6_tcp_ext, &tun_test::v6_udp_dns}) {
    for (int round = 0; round < 500; ++round) {
      Bytes p = *sample;
      auto r = parse(p);
      ASSERT_TRUE(r.ok());
      const Endpoint src{r.packet.source, r.packet.source_port()};
      const Endpoint dst{r.packet.destination, r.packet.destination_port()};
      const Endpoint nsrc{random_like(src.address, rng), static_cast<std::uint16_t>(rng())};
      const Endpoint ndst{random_like(dst.address, rng), static_cast<std::uint16_t>(rng())};
      ASSERT_EQ(rewrite(p, r.packet, nsrc, ndst), RewriteError::none);
      EXPECT_TRUE(tun_test::checksums_ok(p, r.packet.transport_offset, r.packet.protocol));
      const auto again = parse(p);
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(again.packet.source, nsrc.address);
      EXPECT_EQ(again.packet.destination_port(), ndst.port);
      EXPECT_EQ(r.packet.source_port(), nsrc.port);
      // And back: the original bytes, checksums included (up to 0x0000 / 0xffff, both one's
      // complement zero, which the samples never hold).
      ASSERT_EQ(rewrite(p, r.packet, src, dst), RewriteError::none);
      EXPECT_EQ(p, *sample);
    }
  }
}

TEST(TunRewrite, UdpOverIpv4WithoutChecksumStaysWithout) {
  Bytes p = tun_test::v4_udp_dns;
  p[26] = p[27] = 0;
  auto r = parse(p);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(rewrite(p, r.packet, {IpAddress::v4(1, 2, 3, 4), 1}, {IpAddress::v4(5, 6, 7, 8), 2}), RewriteError::none);
  EXPECT_EQ(p[26], 0);
  EXPECT_EQ(p[27], 0);
  EXPECT_TRUE(tun_test::checksums_ok(p, 20, 17));
}

TEST(TunRewrite, RefusesWhatItCannotRewrite) {
  Bytes p = tun_test::v4_icmp_echo;
  auto r = parse(p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(rewrite(p, r.packet, {}, {}), RewriteError::not_tcp_or_udp);
  p = tun_test::v4_tcp_syn;
  r = parse(p);
  IpAddress v6;
  v6.family = Family::v6;
  EXPECT_EQ(rewrite(p, r.packet, {v6, 1}, {v6, 2}), RewriteError::family_mismatch);
  EXPECT_EQ(rewrite(std::span(p).first(30), r.packet, {r.packet.source, 1}, {r.packet.destination, 2}),
            RewriteError::too_short);
  EXPECT_EQ(p, tun_test::v4_tcp_syn);
}

}  // namespace
