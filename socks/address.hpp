#pragma once
// Destination and bound addresses as SOCKS carries them: IPv4, IPv6 or a domain name (RFC 1928 §5,
// SOCKS4a), plus their text form for an SSH direct-tcpip "host to connect" (RFC 4254 §7.2).
#include <array>
#include <cstdint>
#include <string>
#include <variant>

namespace socks {

struct Ipv4Address {
  std::array<std::uint8_t, 4> bytes{};
  bool operator==(const Ipv4Address&) const = default;
};

struct Ipv6Address {
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const Ipv6Address&) const = default;
};

// A name the client wants us to resolve (SOCKS5 ATYP 3, SOCKS4a). 1..255 bytes, no NUL.
struct DomainName {
  std::string name;
  bool operator==(const DomainName&) const = default;
};

using Address = std::variant<Ipv4Address, Ipv6Address, DomainName>;

// Text form: dotted quad, RFC 5952 IPv6 (lower case, longest zero run compressed, IPv4-mapped as
// ::ffff:a.b.c.d, no brackets) or the domain name unchanged.
std::string host_string(const Address& address);

}  // namespace socks
