#include "gateway/tunnel/tunnel_framing.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "gateway/tunnel/tunnel_forward.hpp"

namespace {

using gateway::config::kTunnelAny;
using gateway::config::TunnelMode;
using gateway::tunnel::Deframer;
using gateway::tunnel::frame_packet;
using Bytes = std::vector<std::uint8_t>;

Bytes ipv4_packet(std::uint16_t length, std::uint8_t fill) {
  Bytes p(length, fill);
  p[0] = 0x45;
  p[2] = static_cast<std::uint8_t>(length >> 8);
  p[3] = static_cast<std::uint8_t>(length);
  return p;
}

Bytes ipv6_packet(std::uint16_t payload, std::uint8_t fill) {
  Bytes p(40 + payload, fill);
  p[0] = 0x60;
  p[4] = static_cast<std::uint8_t>(payload >> 8);
  p[5] = static_cast<std::uint8_t>(payload);
  return p;
}

std::vector<Bytes> push_all(Deframer& d, const std::vector<Bytes>& messages) {
  std::vector<Bytes> out;
  for (const auto& m : messages) {
    d.push(m, [&](std::span<const std::uint8_t> p) { out.emplace_back(p.begin(), p.end()); });
  }
  return out;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(TunnelFraming, PointToPointPrependsOpenBsdAddressFamilies) {
  const Bytes v4 = ipv4_packet(28, 1);
  const Bytes framed4 = frame_packet(TunnelMode::point_to_point, v4);
  ASSERT_EQ(framed4.size(), 32u);
  EXPECT_EQ(Bytes(framed4.begin(), framed4.begin() + 4), (Bytes{0, 0, 0, 2}));
  EXPECT_EQ(Bytes(framed4.begin() + 4, framed4.end()), v4);

  const Bytes v6 = ipv6_packet(8, 2);
  const Bytes framed6 = frame_packet(TunnelMode::point_to_point, v6);
  ASSERT_EQ(framed6.size(), 52u);
  EXPECT_EQ(Bytes(framed6.begin(), framed6.begin() + 4), (Bytes{0, 0, 0, 24}));
}

TEST(TunnelFraming, PointToPointDropsWhatIsNotIp) {
  EXPECT_TRUE(frame_packet(TunnelMode::point_to_point, Bytes{0x10, 0, 0, 0}).empty());
  EXPECT_TRUE(frame_packet(TunnelMode::point_to_point, Bytes{}).empty());
}

TEST(TunnelFraming, EthernetFramesTravelAsTheyAre) {
  const Bytes frame(60, 0xab);
  EXPECT_EQ(frame_packet(TunnelMode::ethernet, frame), frame);
  Deframer d(TunnelMode::ethernet);
  const auto out = push_all(d, {frame, Bytes(14, 1)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], frame);
  EXPECT_EQ(out[1].size(), 14u);
}

TEST(TunnelFraming, OnePacketPerMessageRoundTrips) {
  Deframer d(TunnelMode::point_to_point);
  const Bytes v4 = ipv4_packet(84, 3);
  const Bytes v6 = ipv6_packet(64, 4);
  const auto out =
      push_all(d, {frame_packet(TunnelMode::point_to_point, v4), frame_packet(TunnelMode::point_to_point, v6)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], v4);
  EXPECT_EQ(out[1], v6);
  EXPECT_EQ(d.pending(), 0u);
}

TEST(TunnelFraming, PacketsSplitAcrossMessagesAndSeveralInOne) {
  const Bytes a = frame_packet(TunnelMode::point_to_point, ipv4_packet(100, 5));
  const Bytes b = frame_packet(TunnelMode::point_to_point, ipv6_packet(30, 6));
  const Bytes c = frame_packet(TunnelMode::point_to_point, ipv4_packet(20, 7));
  const Bytes stream = concat({a, b, c});
  // Every way of cutting the stream in two, and byte by byte.
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    Deframer d(TunnelMode::point_to_point);
    const auto out = push_all(d, {Bytes(stream.begin(), stream.begin() + static_cast<long>(cut)),
                                  Bytes(stream.begin() + static_cast<long>(cut), stream.end())});
    ASSERT_EQ(out.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(out[0].size(), 100u);
    EXPECT_EQ(out[1].size(), 70u);
    EXPECT_EQ(out[2].size(), 20u);
    EXPECT_EQ(d.pending(), 0u);
  }
  Deframer d(TunnelMode::point_to_point);
  std::vector<Bytes> bytes;
  for (auto byte : stream) bytes.push_back(Bytes{byte});
  EXPECT_EQ(push_all(d, bytes).size(), 3u);
}

TEST(TunnelFraming, GarbageIsDroppedAndTheNextMessageStartsClean) {
  Deframer d(TunnelMode::point_to_point);
  // A wrong family for the version, then a length shorter than the header.
  Bytes bad_family = frame_packet(TunnelMode::point_to_point, ipv4_packet(20, 0));
  bad_family[3] = 24;
  Bytes bad_length = frame_packet(TunnelMode::point_to_point, ipv4_packet(20, 0));
  bad_length[4 + 3] = 10;
  const Bytes good = frame_packet(TunnelMode::point_to_point, ipv4_packet(40, 9));
  const auto out = push_all(d, {bad_family, bad_length, good});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].size(), 40u);
  EXPECT_EQ(d.counters().dropped, 2u);
  EXPECT_EQ(d.counters().packets, 1u);
}

TEST(TunnelFraming, ChannelOpenDataAndDeviceNames) {
  gateway::tunnel::TunnelSettings s;
  s.mode = TunnelMode::point_to_point;
  s.local_unit = 0;
  s.remote_unit = kTunnelAny;
  EXPECT_EQ(gateway::tunnel::tun_open_data(s), (Bytes{0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff}));
  EXPECT_EQ(gateway::tunnel::local_device_name(s), "tun0");
  s.mode = TunnelMode::ethernet;
  s.local_unit = kTunnelAny;
  s.remote_unit = 3;
  EXPECT_EQ(gateway::tunnel::tun_open_data(s), (Bytes{0, 0, 0, 2, 0, 0, 0, 3}));
  EXPECT_EQ(gateway::tunnel::local_device_name(s), "tap%d");
}

}  // namespace
