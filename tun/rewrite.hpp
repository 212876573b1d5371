#pragma once
// In-place rewriting of a TCP or UDP packet's addresses and ports (the NAT's one operation on the
// data path). The IPv4 header checksum and the TCP / UDP checksum are updated incrementally
// (RFC 1624), so the cost does not depend on the payload size and nothing is allocated.
#include <cstdint>
#include <span>

#include "tun/address.hpp"
#include "tun/packet.hpp"

namespace tun {

enum class RewriteError : std::uint8_t {
  none,
  not_tcp_or_udp,   // ICMP, fragments, other protocols
  family_mismatch,  // the new endpoints are not of the packet's family
  routed,           // an IPv6 routing header with segments left: the checksum names another address
  too_short,        // the span is shorter than the parsed packet (not the span it was parsed from)
};

// Rewrites source and destination of `packet` (the bytes `parsed` was parsed from) and updates
// `parsed` to match. A UDP-over-IPv4 checksum of zero ("none", RFC 768) stays zero; over IPv6 it is
// mandatory (RFC 8200 §8.1) and always updated. A partial checksum (parsed.checksum_partial) is
// updated for the addresses only, as the pseudo-header sum it is.
RewriteError rewrite(std::span<std::uint8_t> packet, Packet& parsed, const Endpoint& source,
                     const Endpoint& destination);

}  // namespace tun
