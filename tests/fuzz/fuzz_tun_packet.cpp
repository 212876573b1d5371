// Packets from a tun device: parsing never reads outside the span; what parses rewrites and
// translates with checksums that still verify; the NAT table keeps its bounds and its round trip.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "tun/builder.hpp"
#include "tun/checksum.hpp"
#include "tun/icmp_reply.hpp"
#include "tun/nat_table.hpp"
#include "tun/packet.hpp"
#include "tun/rewrite.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// The transport checksum of a parsed TCP/UDP/ICMP packet verifies (UDP over IPv4 may have none).
bool transport_checksum_ok(const std::vector<std::uint8_t>& p, const tun::Packet& parsed) {
  const std::span<const std::uint8_t> l4(p.data() + parsed.transport_offset, parsed.length - parsed.transport_offset);
  if (parsed.transport == tun::Transport::icmp && parsed.family == tun::Family::v4) return tun::verifies(l4);
  if (parsed.transport == tun::Transport::udp && parsed.family == tun::Family::v4 && l4[6] == 0 && l4[7] == 0) {
    return true;
  }
  const auto length = parsed.transport == tun::Transport::udp ? parsed.udp.length : l4.size();
  return tun::verifies(l4.first(length), tun::pseudo_header_sum(parsed.source, parsed.destination, parsed.protocol,
                                                                static_cast<std::uint32_t>(length)));
}

tun::NatConfig nat_config() {
  tun::NatConfig c;
  c.v4 = tun::NatConfig::Addresses{tun::IpAddress::v4(10, 0, 0, 1), tun::IpAddress::v4(10, 0, 0, 2)};
  c.v6 = tun::NatConfig::Addresses{tun::IpAddress::v6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
                                   tun::IpAddress::v6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2})};
  c.listener_port = 7000;
  c.first_port = 50000;
  c.last_port = 50003;
  c.max_flows = 3;
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0];
  // A copy of exactly the input's size, so that any read past it is caught by the sanitizers.
  std::vector<std::uint8_t> packet(data + 1, data + size);
  auto parsed = tun::parse(packet);
  if (!parsed.ok()) return 0;
  tun::Packet& p = parsed.packet;
  check(p.length <= packet.size());
  check(p.transport_offset <= p.payload_offset && p.payload_offset <= p.payload_end && p.payload_end <= p.length);

  (void)tun::build_tcp_reset(p);
  const auto icmp = tun::build_unreachable(packet, p, static_cast<tun::Unreachable>(mode % 3));
  if (icmp.refusal == tun::IcmpRefusal::none) {
    check(icmp.packet.size() <= 1280 || p.family == tun::Family::v4);
    const auto e = tun::parse(icmp.packet);
    check(e.ok() && e.packet.transport == tun::Transport::icmp && transport_checksum_ok(icmp.packet, e.packet));
  }

  if (p.transport != tun::Transport::tcp && p.transport != tun::Transport::udp) return 0;
  const bool checksum_was_ok = transport_checksum_ok(packet, p);
  if (p.routed) {
    check(tun::rewrite(packet, p, {p.source, 1}, {p.destination, 2}) == tun::RewriteError::routed);
    return 0;
  }

  // Rewrite there and back: the bytes come back, and a good checksum stays good.
  const std::vector<std::uint8_t> original = packet;
  const tun::Endpoint src{p.source, p.source_port()};
  const tun::Endpoint dst{p.destination, p.destination_port()};
  tun::Endpoint nsrc = src, ndst = dst;
  nsrc.address.bytes[0] ^= mode;
  nsrc.port = static_cast<std::uint16_t>(nsrc.port + mode);
  ndst.address.bytes[3] ^= 0x5a;
  check(tun::rewrite(packet, p, nsrc, ndst) == tun::RewriteError::none);
  const auto reparsed = tun::parse(packet);
  check(reparsed.ok());
  check(reparsed.packet.source == nsrc.address && reparsed.packet.destination_port() == ndst.port);
  if (checksum_was_ok) check(transport_checksum_ok(packet, reparsed.packet));
  check(tun::rewrite(packet, p, src, dst) == tun::RewriteError::none);
  // The IP headers come back equal but for the IPv4 header checksum, which may come back as the
  // other one's complement zero (0xffff for 0x0000, RFC 1624 §3); it still verifies. The same holds
  // for the transport checksum.
  if (checksum_was_ok) check(transport_checksum_ok(packet, p));
  for (std::size_t i = 0; i < p.transport_offset; ++i) {
    if (p.family == tun::Family::v4 && (i == 10 || i == 11)) continue;
    check(packet[i] == original[i]);
  }
  if (p.family == tun::Family::v4) check(tun::verifies(std::span(packet).first(p.transport_offset)));

  // The NAT table: hold / confirm / refuse / release in an order the mode picks.
  tun::NatTable nat(nat_config());
  const tun::TimePoint now{};
  const auto v = nat.handle(packet, p, now);
  check(nat.live_flows() <= 3 && nat.entries() <= 4);
  if (v.action == tun::Action::reply) {
    const auto r = tun::parse(v.reply);
    check(r.ok() && r.packet.transport == tun::Transport::tcp && (r.packet.tcp.flags & tun::tcp_rst) != 0);
    check(transport_checksum_ok(v.reply, r.packet));
  }
  if (v.action == tun::Action::forward) {
    const auto r = tun::parse(packet);
    check(r.ok());
    if (checksum_was_ok) check(transport_checksum_ok(packet, r.packet));
  }
  if (v.action == tun::Action::hold) {
    check(nat.lookup(v.port).has_value());
    if ((mode & 0x80) != 0) {
      const auto rst = nat.refuse(v.port);
      check(rst.has_value() && !nat.lookup(v.port));
      const auto r = tun::parse(*rst);
      const auto occupied =
          static_cast<std::uint32_t>(1 + p.payload_size() + ((p.tcp.flags & tun::tcp_fin) != 0 ? 1 : 0));
      check(r.ok() && r.packet.tcp.ack == p.tcp.seq + occupied);
    } else {
      const auto syn = nat.confirm(v.port);
      check(syn.has_value());
      const auto r = tun::parse(*syn);
      check(r.ok() && r.packet.tcp.source_port == v.port && r.packet.tcp.destination_port == 7000);
      if (checksum_was_ok) check(transport_checksum_ok(*syn, r.packet));
      check(nat.release(v.port, now));
      check(nat.lookup(v.port)->state == tun::FlowState::released);
      nat.expire(now + std::chrono::seconds(60));
      check(!nat.lookup(v.port) && nat.live_flows() == 0);
    }
  }
  return 0;
}
