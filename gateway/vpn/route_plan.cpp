#include "gateway/vpn/route_plan.hpp"

#include <algorithm>
#include <cstdio>

namespace gateway::vpn {
namespace {

constexpr tun::Family kFamilies[] = {tun::Family::v4, tun::Family::v6};

bool has_family(const std::vector<Cidr>& list, tun::Family family) {
  return std::any_of(list.begin(), list.end(), [&](const Cidr& c) { return c.family() == family; });
}

bool listed(const std::vector<Cidr>& list, const Cidr& cidr) {
  return std::find(list.begin(), list.end(), cidr) != list.end();
}

}  // namespace

RoutePlan plan_routes(const RoutePlanInput& in) {
  std::vector<Cidr> routed;
  if (in.routed.empty()) {
    for (const auto family : kFamilies) routed.push_back(Cidr::everything(family));
  } else {
    // Cleared host bits and no duplicates: the kernel would refuse a second identical route.
    for (const auto& c : in.routed) {
      if (!listed(routed, c.network())) routed.push_back(c.network());
    }
  }
  std::vector<Cidr> excluded;
  for (const auto& c : in.excluded) {
    const Cidr n = c.network();
    if (has_family(routed, n.family()) && !listed(excluded, n)) excluded.push_back(n);
  }

  RoutePlan plan;
  for (const auto& c : routed) {
    if (listed(excluded, c)) continue;  // the same network excluded: it stays outside
    const bool refused = c.family() == tun::Family::v6 && !in.ipv6_carried;
    plan.routes.push_back({c, refused ? Route::Type::unreachable : Route::Type::device, in.table});
  }
  for (const auto& c : excluded) plan.routes.push_back({c, Route::Type::throw_route, in.table});

  for (const auto family : kFamilies) {
    // Decided on the networks asked for, so an exclusion of the whole family still gets its rule
    // and its throw route takes the lookup back to main.
    if (!has_family(routed, family)) continue;
    const bool default_routed = std::any_of(routed.begin(), routed.end(), [&](const Cidr& c) {
      return c.family() == family && c.is_default() && !listed(excluded, c);
    });
    if (default_routed) {
      Rule main_first;
      main_first.family = family;
      main_first.priority = in.priority;
      main_first.table = kMainTable;
      main_first.suppress_prefixlength = 0;
      plan.rules.push_back(main_first);
    }
    Rule into_table;
    into_table.family = family;
    into_table.priority = in.priority + 1;
    into_table.table = in.table;
    into_table.fwmark = in.fwmark;
    into_table.invert = true;
    plan.rules.push_back(into_table);
  }
  return plan;
}

std::string route_text(const Route& route) {
  switch (route.type) {
    case Route::Type::device:
      return route.destination.text();
    case Route::Type::unreachable:
      return "unreachable " + route.destination.text();
    case Route::Type::throw_route:
      return "throw " + route.destination.text();
  }
  return route.destination.text();
}

std::string rule_text(const Rule& rule) {
  std::string text = rule.family == tun::Family::v4 ? "-4 pref " : "-6 pref ";
  text += std::to_string(rule.priority);
  if (rule.invert) text += " not";
  if (rule.fwmark != 0) {
    char mark[16];
    std::snprintf(mark, sizeof(mark), "0x%x", rule.fwmark);
    text += std::string(" fwmark ") + mark;
  }
  text += " lookup ";
  text += rule.table == kMainTable ? std::string("main") : std::to_string(rule.table);
  if (rule.suppress_prefixlength) text += " suppress_prefixlength " + std::to_string(*rule.suppress_prefixlength);
  return text;
}

}  // namespace gateway::vpn
