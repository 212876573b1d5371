#include "tun/nat_table.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tun/builder.hpp"
#include "tun/rewrite.hpp"
#include "unit/tun/sample_packets.hpp"

namespace {

using namespace tun;
using namespace std::chrono_literals;

const IpAddress tun_a = IpAddress::v4(172, 19, 0, 1);
const IpAddress spare_b = IpAddress::v4(172, 19, 0, 2);
constexpr std::uint16_t listener = 7000;

NatConfig config() {
  NatConfig c;
  c.v4 = NatConfig::Addresses{tun_a, spare_b};
  c.v6 = NatConfig::Addresses{IpAddress::v6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x19, 1}),
                              IpAddress::v6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x19, 2})};
  c.listener_port = listener;
  c.first_port = 20000;
  c.last_port = 20009;
  c.max_flows = 8;
  return c;
}

// A TCP segment S:sp -> D:dp with the given flags and seq/ack, built from the SYN sample.
Bytes segment(const Endpoint& from, const Endpoint& to, std::uint8_t flags, std::uint32_t seq = 1000,
              std::uint32_t ack = 0) {
  Bytes p = tun_test::v4_tcp_syn;
  auto r = parse(p);
  rewrite(p, r.packet, from, to);
  // Flags, seq and ack by a full recomputation of the TCP checksum.
  p[20 + 13] = flags;
  for (unsigned i = 0; i < 4; ++i) {
    p[24 + i] = static_cast<std::uint8_t>(seq >> (24 - 8 * i));
    p[28 + i] = static_cast<std::uint8_t>(ack >> (24 - 8 * i));
  }
  p[36] = p[37] = 0;
  std::uint32_t pseudo = tun_test::naive_sum(p.data() + 12, 8) + 6u + static_cast<std::uint32_t>(p.size() - 20);
  const auto c = static_cast<std::uint16_t>(~tun_test::naive_sum(p.data() + 20, p.size() - 20, pseudo));
  p[36] = static_cast<std::uint8_t>(c >> 8);
  p[37] = static_cast<std::uint8_t>(c);
  return p;
}

const Endpoint app{IpAddress::v4(172, 19, 0, 1), 40000};
const Endpoint dest{IpAddress::v4(93, 184, 216, 34), 443};
const TimePoint t0{};

struct Fed {
  Verdict v;
  Bytes packet;
  Packet parsed;
};

Fed feed(NatTable& nat, Bytes p, TimePoint now = t0) {
  auto r = parse(p);
  EXPECT_TRUE(r.ok());
  Fed out;
  out.v = nat.handle(p, r.packet, now);
  out.packet = std::move(p);
  out.parsed = r.packet;
  return out;
}

TEST(TunNatTable, HoldConfirmAndTranslateBothWays) {
  NatTable nat(config());
  const Bytes syn = segment(app, dest, tcp_syn, 5000);
  const Fed held = feed(nat, syn);
  ASSERT_EQ(held.v.action, Action::hold);
  const std::uint16_t port = held.v.port;
  EXPECT_EQ(port, 20000);
  ASSERT_TRUE(nat.lookup(port));
  EXPECT_EQ(nat.lookup(port)->client, app);
  EXPECT_EQ(nat.lookup(port)->destination, dest);
  EXPECT_EQ(nat.lookup(port)->state, FlowState::opening);
  EXPECT_EQ(nat.live_flows(), 1u);

  // Retransmits while opening are dropped.
  const Fed again = feed(nat, syn);
  EXPECT_EQ(again.v.action, Action::drop);
  EXPECT_EQ(again.v.reason, NatReason::syn_while_opening);

  const auto injected = nat.confirm(port);
  ASSERT_TRUE(injected);
  EXPECT_FALSE(nat.confirm(port));
  const auto r = parse(*injected);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.packet.source, spare_b);
  EXPECT_EQ(r.packet.tcp.source_port, port);
  EXPECT_EQ(r.packet.destination, tun_a);
  EXPECT_EQ(r.packet.tcp.destination_port, listener);
  EXPECT_EQ(r.packet.tcp.seq, 5000u);
  EXPECT_TRUE(tun_test::checksums_ok(*injected, 20, 6));
  EXPECT_EQ(nat.lookup(port)->state, FlowState::open);

  // The kernel's SYN-ACK from the listener goes back as if from D:dp.
  const Fed back = feed(nat, segment({tun_a, listener}, {spare_b, port}, tcp_syn | tcp_ack, 9000, 5001));
  ASSERT_EQ(back.v.action, Action::forward);
  EXPECT_EQ(back.parsed.source, dest.address);
  EXPECT_EQ(back.parsed.tcp.source_port, dest.port);
  EXPECT_EQ(back.parsed.destination, app.address);
  EXPECT_EQ(back.parsed.tcp.destination_port, app.port);
  EXPECT_TRUE(tun_test::checksums_ok(back.packet, 20, 6));

  // The application's ACK goes to the listener; a SYN retransmitted after confirm goes too.
  const Fed ack = feed(nat, segment(app, dest, tcp_ack, 5001, 9001));
  ASSERT_EQ(ack.v.action, Action::forward);
  EXPECT_EQ(ack.parsed.source, spare_b);
  EXPECT_EQ(ack.parsed.tcp.destination_port, listener);
  EXPECT_TRUE(tun_test::checksums_ok(ack.packet, 20, 6));
  EXPECT_EQ(feed(nat, syn).v.action, Action::forward);
}

TEST(TunNatTable, RefuseAnswersWithReset) {
  NatTable nat(config());
  const Fed held = feed(nat, segment(app, dest, tcp_syn, 0xfffffffe));
  ASSERT_EQ(held.v.action, Action::hold);
  const auto rst = nat.refuse(held.v.port);
  ASSERT_TRUE(rst);
  EXPECT_TRUE(tun_test::checksums_ok(*rst, 20, 6));
  const auto r = parse(*rst);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.packet.source, dest.address);
  EXPECT_EQ(r.packet.tcp.source_port, dest.port);
  EXPECT_EQ(r.packet.destination, app.address);
  EXPECT_EQ(r.packet.tcp.destination_port, app.port);
  EXPECT_EQ(r.packet.tcp.flags, tcp_rst | tcp_ack);
  EXPECT_EQ(r.packet.tcp.ack, 0xffffffffu);
  EXPECT_FALSE(nat.lookup(held.v.port));
  EXPECT_FALSE(nat.refuse(held.v.port));
  EXPECT_EQ(nat.live_flows(), 0u);
}

TEST(TunNatTable, UnknownFlowsAreReset) {
  NatTable nat(config());
  const Fed ack = feed(nat, segment(app, dest, tcp_ack, 10, 77));
  ASSERT_EQ(ack.v.action, Action::reply);
  EXPECT_EQ(ack.v.reason, NatReason::unknown_flow);
  const auto r = parse(ack.v.reply);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.packet.tcp.flags, tcp_rst);
  EXPECT_EQ(r.packet.tcp.seq, 77u);
  // A reset is never answered.
  EXPECT_EQ(feed(nat, segment(app, dest, tcp_rst | tcp_ack)).v.action, Action::drop);
  // The listener writing to a port we never gave out is reset too.
  EXPECT_EQ(feed(nat, segment({tun_a, listener}, {spare_b, 20005}, tcp_ack)).v.action, Action::reply);
}

TEST(TunNatTable, ReleaseQuarantinesThePort) {
  NatConfig c = config();
  c.first_port = 30000;
  c.last_port = 30000;  // one port
  NatTable nat(c);
  const Fed held = feed(nat, segment(app, dest, tcp_syn));
  ASSERT_EQ(held.v.action, Action::hold);
  ASSERT_TRUE(nat.confirm(30000));
  EXPECT_TRUE(nat.release(30000, t0));
  EXPECT_FALSE(nat.release(30000, t0));
  EXPECT_EQ(nat.next_expiry(), t0 + 60s);
  // The closing segments still pass both ways during the quarantine.
  EXPECT_EQ(feed(nat, segment({tun_a, listener}, {spare_b, 30000}, tcp_fin | tcp_ack), t0 + 1s).v.action,
            Action::forward);
  EXPECT_EQ(feed(nat, segment(app, dest, tcp_ack), t0 + 1s).v.action, Action::forward);
  // A new flow has to wait: the only port is quarantined.
  const Endpoint other{app.address, 40001};
  const Fed full = feed(nat, segment(other, dest, tcp_syn), t0 + 59s);
  ASSERT_EQ(full.v.action, Action::reply);
  EXPECT_EQ(full.v.reason, NatReason::ports_exhausted);
  // Once the quarantine is over the port is reused, and the old flow is gone.
  const Fed later = feed(nat, segment(other, dest, tcp_syn), t0 + 60s);
  ASSERT_EQ(later.v.action, Action::hold);
  EXPECT_EQ(later.v.port, 30000);
  EXPECT_EQ(nat.lookup(30000)->client, other);
  EXPECT_EQ(feed(nat, segment(app, dest, tcp_ack), t0 + 61s).v.reason, NatReason::unknown_flow);
}

TEST(TunNatTable, NewSynOnReleasedTupleGetsNewPort) {
  NatTable nat(config());
  const Fed first = feed(nat, segment(app, dest, tcp_syn));
  ASSERT_TRUE(nat.confirm(first.v.port));
  ASSERT_TRUE(nat.release(first.v.port, t0));
  const Fed second = feed(nat, segment(app, dest, tcp_syn, 999999));
  ASSERT_EQ(second.v.action, Action::hold);
  EXPECT_NE(second.v.port, first.v.port);
  // The old port still translates the kernel's late segments.
  EXPECT_EQ(feed(nat, segment({tun_a, listener}, {spare_b, first.v.port}, tcp_ack)).v.action, Action::forward);
  nat.expire(t0 + 60s);
  EXPECT_FALSE(nat.lookup(first.v.port));
  EXPECT_EQ(nat.lookup(second.v.port)->state, FlowState::opening);
}

TEST(TunNatTable, BoundOnLiveFlows) {
  NatTable nat(config());  // max_flows 8, ten ports
  for (std::uint16_t i = 0; i < 8; ++i) {
    EXPECT_EQ(feed(nat, segment({app.address, static_cast<std::uint16_t>(41000 + i)}, dest, tcp_syn)).v.action,
              Action::hold);
  }
  const Fed ninth = feed(nat, segment({app.address, 42000}, dest, tcp_syn));
  ASSERT_EQ(ninth.v.action, Action::reply);
  EXPECT_EQ(ninth.v.reason, NatReason::too_many_flows);
  EXPECT_EQ(parse(ninth.v.reply).packet.tcp.flags, tcp_rst | tcp_ack);
  // A refused flow frees its slot and its port at once.
  ASSERT_TRUE(nat.refuse(20003));
  EXPECT_EQ(feed(nat, segment({app.address, 42000}, dest, tcp_syn)).v.action, Action::hold);
  EXPECT_EQ(nat.live_flows(), 8u);
}

TEST(TunNatTable, Ipv6AndOtherTraffic) {
  NatTable nat(config());
  Bytes p = tun_test::v6_tcp_ext;  // PSH|ACK of an unknown flow
  auto r = parse(p);
  const Verdict v = nat.handle(p, r.packet, t0);
  EXPECT_EQ(v.action, Action::reply);
  const auto rst = parse(v.reply);
  ASSERT_TRUE(rst.ok());
  EXPECT_EQ(rst.packet.family, Family::v6);
  Bytes u = tun_test::v4_udp_dns;
  auto ru = parse(u);
  EXPECT_EQ(nat.handle(u, ru.packet, t0).reason, NatReason::not_tcp);
  NatConfig c = config();
  c.v6.reset();
  NatTable v4_only(c);
  EXPECT_EQ(v4_only.handle(p, r.packet, t0).reason, NatReason::family_not_configured);
  Bytes syn = segment(app, dest, tcp_syn);
  auto rs = parse(syn);
  EXPECT_EQ(nat.handle(std::span(syn).first(30), rs.packet, t0).reason, NatReason::short_buffer);
  EXPECT_EQ(nat.live_flows(), 0u);
}

}  // namespace
