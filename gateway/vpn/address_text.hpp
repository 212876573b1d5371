#pragma once
// tun's addresses as people and SSH write them: "192.0.2.1", "2001:db8::1" (a direct-tcpip
// target, a nameserver line, a log line).
#include <optional>
#include <string>
#include <string_view>

#include "tun/address.hpp"

namespace gateway::vpn {

std::string to_text(const tun::IpAddress& address);
// "192.0.2.1:53", "[2001:db8::1]:53"
std::string to_text(const tun::Endpoint& endpoint);
// A literal IPv4 or IPv6 address (no scope, no brackets); nullopt for anything else.
std::optional<tun::IpAddress> parse_address(std::string_view text);

}  // namespace gateway::vpn
