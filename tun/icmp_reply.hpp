#pragma once
// ICMP destination unreachable (RFC 792) and ICMPv6 destination unreachable (RFC 4443 §3.1) for a
// packet we will not carry (UDP other than DNS, a refused flow when a reset is not wanted), sent as
// if from the packet's destination, quoting the packet so the sender's stack finds its socket.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "tun/packet.hpp"

namespace tun {

using Bytes = std::vector<std::uint8_t>;

enum class Unreachable : std::uint8_t {
  port,   // IPv4 code 3, ICMPv6 code 4: "connection refused" for UDP
  host,   // IPv4 code 1, ICMPv6 code 3 (address unreachable)
  admin,  // IPv4 code 13 (communication administratively prohibited, RFC 1812 §5.2.7.1), ICMPv6 code 1
};

enum class IcmpRefusal : std::uint8_t {
  none,
  about_icmp_error,  // never an error about an error (RFC 1122 §3.2.2, RFC 4443 §2.4 e.1)
  not_first_fragment,
  not_unicast,  // to or from multicast / broadcast / unspecified (RFC 1122 §3.2.2, RFC 4443 §2.4 e)
  too_short,    // `packet` is shorter than `parsed` says
};

struct IcmpResult {
  IcmpRefusal refusal = IcmpRefusal::none;
  Bytes packet;
};

// The error for `packet` (as parsed into `parsed`): IPv4 quotes the IP header and the first 8 bytes
// of its data (RFC 792); IPv6 quotes as much of the packet as keeps the error within the minimum MTU
// of 1280 bytes (RFC 4443 §2.4 c).
IcmpResult build_unreachable(std::span<const std::uint8_t> packet, const Packet& parsed, Unreachable why);

}  // namespace tun
