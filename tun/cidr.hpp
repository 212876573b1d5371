#pragma once
// An IP network in CIDR notation: the VPN's routed networks, its exclusions and the tun's own
// addresses. One type for both families (IpAddress keeps IPv4 in the first four bytes).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tun/address.hpp"

namespace tun {

struct Cidr {
  IpAddress address;
  std::uint8_t prefix = 0;

  // "10.0.0.0/8", "192.0.2.1" (a host: /32), "2001:db8::/32", "::1" (/128). Host bits below the
  // prefix are accepted and cleared ("10.1.2.3/8" is 10.0.0.0/8), as ip(8) and the kernel treat a
  // route's destination; anything else (no address, a prefix beyond 32 or 128, a sign, spaces,
  // leading zeros, a zone index such as "%eth0") is rejected with nullopt.
  static std::optional<Cidr> parse(std::string_view text);
  // The same syntax, host bits kept: an interface address with its on-link prefix ("10.9.0.1/24"),
  // as `ip address add` takes it.
  static std::optional<Cidr> parse_interface_address(std::string_view text);
  // 0.0.0.0/0 or ::/0.
  static Cidr everything(Family family);

  // Always with the prefix: "10.0.0.0/8", "192.0.2.1/32", "2001:db8::/32".
  std::string text() const;
  // Same family and the same first `prefix` bits.
  bool contains(const IpAddress& a) const;
  Family family() const { return address.family; }
  std::uint8_t max_prefix() const { return family() == Family::v4 ? 32 : 128; }
  bool is_default() const { return prefix == 0; }
  // The address with every bit below the prefix cleared.
  Cidr network() const;
  // The n-th address of the network (0 is the network address itself); nullopt beyond it.
  std::optional<IpAddress> host(std::uint32_t n) const;

  bool operator==(const Cidr&) const = default;
};

}  // namespace tun
