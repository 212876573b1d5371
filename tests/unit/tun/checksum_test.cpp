#include "tun/checksum.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tun/byte_order.hpp"
#include "unit/tun/sample_packets.hpp"

namespace {

using namespace tun;

TEST(TunChecksum, Rfc1071Example) {
  // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
  const std::vector<std::uint8_t> data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(sum(data), 0xddf2);
  EXPECT_EQ(internet_checksum(data), 0x220d);
  // Byte order independence (RFC 1071 §2 B) does not apply to our big-endian words, but an odd
  // length pads with a zero byte.
  EXPECT_EQ(sum(std::vector<std::uint8_t>{0x12}), 0x1200);
  EXPECT_EQ(sum(std::vector<std::uint8_t>{}), 0);
}

TEST(TunChecksum, KnownIpv4Header) {
  // A widely quoted header: 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7.
  std::vector<std::uint8_t> h = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_TRUE(verifies(h));
  h[10] = h[11] = 0;
  EXPECT_EQ(internet_checksum(h), 0xb861);
}

TEST(TunChecksum, PseudoHeaderMatchesSamplePackets) {
  const auto& p = tun_test::v4_tcp_syn;
  const IpAddress s = IpAddress::v4(10, 0, 0, 2), d = IpAddress::v4(93, 184, 216, 34);
  EXPECT_TRUE(
      verifies(std::span(p).subspan(20), pseudo_header_sum(s, d, 6, static_cast<std::uint32_t>(p.size() - 20))));
  const auto& q = tun_test::v6_udp_dns;
  IpAddress s6 = IpAddress::v6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
  IpAddress d6 = IpAddress::v6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  EXPECT_TRUE(
      verifies(std::span(q).subspan(40), pseudo_header_sum(s6, d6, 17, static_cast<std::uint32_t>(q.size() - 40))));
  EXPECT_FALSE(
      verifies(std::span(q).subspan(40), pseudo_header_sum(d6, d6, 17, static_cast<std::uint32_t>(q.size() - 40))));
}

TEST(TunChecksum, IncrementalEqualsRecomputation) {
  std::mt19937 rng(1624);
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::uint8_t> data(2 + 2 * (rng() % 40));
    for (auto& b : data) b = static_cast<std::uint8_t>(rng());
    const std::uint16_t before = internet_checksum(data);
    // Change a 16-bit word, a 32-bit word and a 16-byte run, then compare with a full pass.
    const std::size_t i = 2 * (rng() % (data.size() / 2));
    const std::uint16_t old16 = load16(&data[i]);
    const auto new16 = static_cast<std::uint16_t>(rng());
    store16(&data[i], new16);
    std::uint16_t inc = update16(before, old16, new16);
    EXPECT_EQ(static_cast<std::uint16_t>(~sum(data)), inc);
    if (data.size() >= 4) {
      const std::size_t j = 2 * (rng() % ((data.size() - 2) / 2));
      const std::uint32_t old32 = load32(&data[j]);
      const std::uint32_t new32 = static_cast<std::uint32_t>(rng());
      store32(&data[j], new32);
      inc = update32(inc, old32, new32);
      EXPECT_EQ(static_cast<std::uint16_t>(~sum(data)), inc);
    }
    if (data.size() >= 16) {
      std::vector<std::uint8_t> old_run(data.begin(), data.begin() + 16);
      for (std::size_t k = 0; k < 16; ++k) data[k] = static_cast<std::uint8_t>(rng());
      inc = update_bytes(inc, old_run, std::span(data).first(16));
      EXPECT_EQ(static_cast<std::uint16_t>(~sum(data)), inc);
    }
  }
}

TEST(TunChecksum, SumAgreesWithNaiveOnOddLengths) {
  std::mt19937 rng(7);
  for (std::size_t n = 0; n < 200; ++n) {
    std::vector<std::uint8_t> data(n);
    for (auto& b : data) b = static_cast<std::uint8_t>(rng());
    std::uint16_t expected = tun_test::naive_sum(data.data(), n);
    EXPECT_EQ(sum(data), expected) << n;
  }
}

}  // namespace
