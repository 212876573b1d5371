#pragma once
// The VPN's routes and policy rules, planned without touching the kernel, the way wg-quick routes a
// WireGuard tunnel: everything sshplex routes lives in its own table, the pool's own SSH sockets
// carry a mark (SO_MARK) that keeps them out of that table, so the tunnel never carries itself.
//
// With table T, mark M and priorities P, P+1, a plan is what these ip(8) commands would make:
//
//   ip route add 10.0.0.0/8 dev TUN table T              each routed network (a device route)
//   ip route add throw 192.0.2.10/32 table T             each exclusion: the lookup leaves T and
//                                                         goes on to the next rule (main)
//   ip -4 rule add pref P+1 not fwmark M lookup T         per family with any route in T
//   ip -4 rule add pref P lookup main suppress_prefixlength 0
//                                                         only for a family whose default (/0) is
//                                                         routed: main's more specific routes (the
//                                                         LAN) still win, its default does not
//   ip -6 route add unreachable ::/0 table T             IPv6 not carried: the IPv6 networks that
//                                                         would be routed are refused instead, so
//                                                         IPv6 traffic cannot leak around the VPN
//
// An empty routed list means everything: 0.0.0.0/0 and ::/0. Exclusions only count in a family
// that routes something (a throw route in a family sshplex leaves alone would only add a rule).
// An exclusion equal to a routed network wins (the network stays outside); duplicates count once.
// The caller chooses table (not 0 and not one of the kernel's own: 253-255), a mark that is not 0
// and a priority block clear of the kernel's rules (0, 32766, 32767).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tun/address.hpp"
#include "tun/cidr.hpp"

namespace gateway::vpn {

using tun::Cidr;

struct RoutePlanInput {
  std::vector<Cidr> routed;    // empty: everything (0.0.0.0/0 and ::/0)
  std::vector<Cidr> excluded;  // the user's exclusions and the SSH server's own addresses
  bool ipv6_carried = true;    // false: IPv6 networks that would be routed get "unreachable" routes
  std::uint32_t table = 0;     // sshplex's routing table
  std::uint32_t fwmark = 0;    // the mark on the pool's own sockets: they never enter the table
  std::uint32_t priority = 0;  // first of the two rule priorities sshplex uses
};

struct Route {
  enum class Type { device, unreachable, throw_route };
  Cidr destination;
  Type type = Type::device;
  std::uint32_t table = 0;
  bool operator==(const Route&) const = default;
};

struct Rule {
  tun::Family family = tun::Family::v4;
  std::uint32_t priority = 0;
  std::uint32_t table = 0;
  std::uint32_t fwmark = 0;  // 0: the rule does not look at the mark
  bool invert = false;       // "not": the rule applies to everything the selector does not match
  std::optional<std::uint8_t> suppress_prefixlength;
  bool operator==(const Rule&) const = default;
};

struct RoutePlan {
  std::vector<Route> routes;  // routed networks in the given order, then exclusions
  std::vector<Rule> rules;    // IPv4 then IPv6; per family P (if any) then P+1
};

inline constexpr std::uint32_t kMainTable = 254;  // RT_TABLE_MAIN

RoutePlan plan_routes(const RoutePlanInput& in);

// For messages and logs, in ip(8)'s words: "10.0.0.0/8", "throw 192.0.2.10/32", "unreachable ::/0".
std::string route_text(const Route& route);
// "pref 100 not fwmark 0x1cc0 lookup 7368", "pref 99 lookup main suppress_prefixlength 0" with
// "-4 " or "-6 " in front.
std::string rule_text(const Rule& rule);

}  // namespace gateway::vpn
