#include "tun/icmp_reply.hpp"

#include <algorithm>

#include "tun/builder.hpp"
#include "tun/byte_order.hpp"
#include "tun/checksum.hpp"

namespace tun {

namespace {

constexpr std::uint8_t icmp_unreachable = 3;
constexpr std::uint8_t icmpv6_unreachable = 1;
constexpr std::size_t ipv6_minimum_mtu = 1280;

bool is_icmp_error(const Packet& p) {
  if (p.transport != Transport::icmp) return false;
  if (p.family == Family::v6) return p.icmp.type < 128;  // RFC 4443 §2.1: 0..127 are errors
  // RFC 792 / RFC 1122 §3.2.2: unreachable, source quench, redirect, time exceeded, parameter problem.
  const std::uint8_t t = p.icmp.type;
  return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
}

std::uint8_t code(Family f, Unreachable why) {
  switch (why) {
    case Unreachable::port:
      return f == Family::v4 ? 3 : 4;
    case Unreachable::host:
      return f == Family::v4 ? 1 : 3;
    case Unreachable::admin:
      return f == Family::v4 ? 13 : 1;
  }
  return 0;
}

}  // namespace

IcmpResult build_unreachable(std::span<const std::uint8_t> packet, const Packet& parsed, Unreachable why) {
  IcmpResult r;
  if (packet.size() < parsed.length || parsed.transport_offset > parsed.length) {
    r.refusal = IcmpRefusal::too_short;
    return r;
  }
  if (is_icmp_error(parsed)) {
    r.refusal = IcmpRefusal::about_icmp_error;
    return r;
  }
  if (parsed.transport == Transport::fragment && parsed.family == Family::v4 &&
      (load16(packet.data() + 6) & 0x1fff) != 0) {
    r.refusal = IcmpRefusal::not_first_fragment;
    return r;
  }
  if (is_multicast_or_broadcast(parsed.destination) || is_multicast_or_broadcast(parsed.source) ||
      is_unspecified(parsed.source)) {
    r.refusal = IcmpRefusal::not_unicast;
    return r;
  }
  const Family f = parsed.family;
  const std::size_t header = ip_header_size(f);
  std::size_t quoted;
  if (f == Family::v4) {
    quoted = std::min(parsed.length, parsed.transport_offset + 8);
  } else {
    quoted = std::min(parsed.length, ipv6_minimum_mtu - header - 8);
  }
  const std::size_t icmp_length = 8 + quoted;
  r.packet.assign(header + icmp_length, 0);
  std::uint8_t* out = r.packet.data();
  const std::uint8_t protocol = f == Family::v4 ? protocol_icmp : protocol_icmpv6;
  write_ip_header(out, parsed.destination, parsed.source, protocol, icmp_length);
  std::uint8_t* icmp = out + header;
  icmp[0] = f == Family::v4 ? icmp_unreachable : icmpv6_unreachable;
  icmp[1] = code(f, why);
  // Bytes 4..7 are unused (zero) for both.
  std::copy_n(packet.data(), quoted, icmp + 8);
  // ICMPv6 checksums cover a pseudo-header (RFC 4443 §2.3); ICMP's only the message.
  const std::uint16_t initial = f == Family::v6 ? pseudo_header_sum(parsed.destination, parsed.source, protocol,
                                                                    static_cast<std::uint32_t>(icmp_length))
                                                : std::uint16_t{0};
  store16(icmp + 2, static_cast<std::uint16_t>(~sum({icmp, icmp_length}, initial)));
  return r;
}

}  // namespace tun
