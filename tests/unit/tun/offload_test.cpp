#include "tun/offload.hpp"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <vector>

#include "tun/checksum.hpp"
#include "tun/rewrite.hpp"
#include "unit/tun/sample_packets.hpp"

namespace {

using namespace tun;
using Bytes = std::vector<std::uint8_t>;

std::size_t checksum_field(const Packet& p) {
  return p.transport_offset + (p.transport == Transport::tcp ? 16 : 6);
}

// The packet as the kernel hands it over with checksum offload: the transport checksum field holds
// the pseudo-header sum (uncomplemented), and the header says where the field is.
OffloadHeader make_partial(Bytes& packet, const Packet& p) {
  const auto length = static_cast<std::uint32_t>(p.payload_end - p.transport_offset);
  const std::uint16_t pseudo = pseudo_header_sum(p.source, p.destination, p.protocol, length);
  packet[checksum_field(p)] = static_cast<std::uint8_t>(pseudo >> 8);
  packet[checksum_field(p) + 1] = static_cast<std::uint8_t>(pseudo & 0xff);
  OffloadHeader h;
  h.flags = OffloadHeader::needs_checksum;
  h.checksum_start = static_cast<std::uint16_t>(p.transport_offset);
  h.checksum_offset = static_cast<std::uint16_t>(checksum_field(p) - p.transport_offset);
  return h;
}

TEST(TunOffload, HeaderIsTenLittleEndianBytes) {
  const std::array<std::uint8_t, 10> wire{0x01, 0x81, 0x42, 0x00, 0xa8, 0x05, 0x14, 0x00, 0x10, 0x00};
  const auto h = parse_offload_header(wire);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->partial());
  EXPECT_TRUE(h->segmented());
  EXPECT_EQ(h->gso_type, OffloadHeader::gso_tcpv4 | OffloadHeader::gso_ecn);
  EXPECT_EQ(h->header_length, 0x42);
  EXPECT_EQ(h->segment_size, 1448);
  EXPECT_EQ(h->checksum_start, 20);
  EXPECT_EQ(h->checksum_offset, 16);
  std::array<std::uint8_t, 10> again{};
  encode_offload_header(*h, again);
  EXPECT_EQ(again, wire);
  EXPECT_FALSE(parse_offload_header(std::span(wire).first(9)));
  EXPECT_FALSE(OffloadHeader{}.partial());
  EXPECT_FALSE(OffloadHeader{}.segmented());
}

TEST(TunOffload, CompletedChecksumIsTheOneTheSenderWouldHaveComputed) {
  for (const Bytes* sample :
       {&tun_test::v4_tcp_syn, &tun_test::v4_udp_dns, &tun_test::v6_tcp_ext, &tun_test::v6_udp_dns}) {
    Bytes p = *sample;
    const auto r = parse(p);
    ASSERT_TRUE(r.ok());
    const OffloadHeader h = make_partial(p, r.packet);
    ASSERT_NE(p, *sample);
    ASSERT_EQ(complete_checksum(p, r.packet, h), OffloadError::none);
    EXPECT_EQ(p, *sample);
    EXPECT_TRUE(tun_test::checksums_ok(p, r.packet.transport_offset, r.packet.protocol));
  }
}

TEST(TunOffload, WholePacketsAreLeftAlone) {
  Bytes p = tun_test::v4_tcp_syn;
  const auto r = parse(p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(complete_checksum(p, r.packet, OffloadHeader{}), OffloadError::none);
  EXPECT_EQ(p, tun_test::v4_tcp_syn);
}

TEST(TunOffload, PartialRewriteCompletesToWhatAFullRewriteGives) {
  std::mt19937 rng(7);
  for (const Bytes* sample : {&tun_test::v4_tcp_syn, &tun_test::v6_tcp_ext, &tun_test::v6_udp_dns}) {
    for (int round = 0; round < 200; ++round) {
      Bytes full = *sample;
      auto rf = parse(full);
      ASSERT_TRUE(rf.ok());
      Bytes partial = full;
      auto rp = parse(partial);
      const OffloadHeader h = make_partial(partial, rp.packet);
      rp.packet.checksum_partial = true;

      IpAddress src = rf.packet.source;
      IpAddress dst = rf.packet.destination;
      for (std::size_t i = 0; i < src.size(); ++i) {
        src.bytes[i] = static_cast<std::uint8_t>(rng());
        dst.bytes[i] = static_cast<std::uint8_t>(rng());
      }
      const Endpoint s{src, static_cast<std::uint16_t>(rng())};
      const Endpoint d{dst, static_cast<std::uint16_t>(rng())};
      ASSERT_EQ(rewrite(full, rf.packet, s, d), RewriteError::none);
      ASSERT_EQ(rewrite(partial, rp.packet, s, d), RewriteError::none);
      // Still partial: the pseudo-header sum of the new addresses.
      const auto length = static_cast<std::uint32_t>(rp.packet.payload_end - rp.packet.transport_offset);
      const std::uint16_t field = static_cast<std::uint16_t>((partial[checksum_field(rp.packet)] << 8) |
                                                             partial[checksum_field(rp.packet) + 1]);
      EXPECT_EQ(field, pseudo_header_sum(src, dst, rp.packet.protocol, length));
      ASSERT_EQ(complete_checksum(partial, rp.packet, h), OffloadError::none);
      EXPECT_TRUE(tun_test::checksums_ok(partial, rp.packet.transport_offset, rp.packet.protocol));
      EXPECT_EQ(partial, full);
    }
  }
}

TEST(TunOffload, SegmentedMustBeTcpOfItsFamilyWithTheChecksumWhereTcpHasIt) {
  Bytes v4 = tun_test::v4_tcp_syn;
  const auto r4 = parse(v4);
  ASSERT_TRUE(r4.ok());
  OffloadHeader h = make_partial(v4, r4.packet);
  h.gso_type = OffloadHeader::gso_tcpv4;
  h.segment_size = 1448;
  EXPECT_EQ(check_segmented(r4.packet, h), OffloadError::none);
  h.gso_type = OffloadHeader::gso_tcpv4 | OffloadHeader::gso_ecn;
  EXPECT_EQ(check_segmented(r4.packet, h), OffloadError::none);

  OffloadHeader wrong = h;
  wrong.gso_type = OffloadHeader::gso_tcpv6;
  EXPECT_EQ(check_segmented(r4.packet, wrong), OffloadError::bad_segmentation);
  wrong = h;
  wrong.segment_size = 0;
  EXPECT_EQ(check_segmented(r4.packet, wrong), OffloadError::bad_segmentation);
  wrong = h;
  wrong.flags = 0;
  EXPECT_EQ(check_segmented(r4.packet, wrong), OffloadError::bad_checksum_place);
  wrong = h;
  wrong.checksum_offset = 6;
  EXPECT_EQ(check_segmented(r4.packet, wrong), OffloadError::bad_checksum_place);
  EXPECT_EQ(complete_checksum(v4, r4.packet, wrong), OffloadError::bad_checksum_place);
  wrong = h;
  wrong.checksum_start = 0;
  EXPECT_EQ(complete_checksum(v4, r4.packet, wrong), OffloadError::bad_checksum_place);

  Bytes udp = tun_test::v4_udp_dns;
  const auto ru = parse(udp);
  ASSERT_TRUE(ru.ok());
  OffloadHeader hu = make_partial(udp, ru.packet);
  hu.gso_type = OffloadHeader::gso_tcpv4;
  hu.segment_size = 1448;
  EXPECT_EQ(check_segmented(ru.packet, hu), OffloadError::bad_segmentation);
}

}  // namespace
