#pragma once
// An address prefix, "10.0.0.0/8" or "2001:db8::/32": what the VPN routes, excludes and numbers
// its own addresses from.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tun/address.hpp"

namespace tun {

struct Cidr {
  IpAddress address;  // host bits cleared
  std::uint8_t prefix = 0;

  // "10.0.0.0/8", "192.0.2.1" (a /32), "2001:db8::/32", "::1" (a /128). Host bits are cleared
  // ("10.1.2.3/8" is 10.0.0.0/8), as ip(8) does for routes; a prefix beyond the family's width, a
  // name or any other text is rejected.
  static std::optional<Cidr> parse(std::string_view text);
  // The address with host bits as given (not cleared) and the prefix: an interface address such
  // as "198.18.0.1/29".
  static std::optional<std::pair<IpAddress, std::uint8_t>> parse_host(std::string_view text);
  std::string text() const;
  Family family() const { return address.family; }
  bool contains(const IpAddress& a) const;
  // The n-th address of the prefix (0 is the network address itself); nullopt beyond it.
  std::optional<IpAddress> host(std::uint32_t n) const;
  bool operator==(const Cidr&) const = default;
};

}  // namespace tun
