#include "gateway/vpn/route_plan.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using gateway::vpn::Cidr;
using gateway::vpn::plan_routes;
using gateway::vpn::Route;
using gateway::vpn::RoutePlan;
using gateway::vpn::RoutePlanInput;
using gateway::vpn::Rule;

constexpr std::uint32_t kTable = 7368;
constexpr std::uint32_t kMark = 0x1cc0;
constexpr std::uint32_t kPriority = 100;

Cidr cidr(const char* text) {
  return *Cidr::parse(text);
}

RoutePlanInput input(std::vector<Cidr> routed, std::vector<Cidr> excluded = {}) {
  RoutePlanInput in;
  in.routed = std::move(routed);
  in.excluded = std::move(excluded);
  in.table = kTable;
  in.fwmark = kMark;
  in.priority = kPriority;
  return in;
}

// The plan in ip(8)'s words, one line per entry, so a failure shows the whole plan.
std::vector<std::string> routes_of(const RoutePlan& plan) {
  std::vector<std::string> lines;
  for (const auto& r : plan.routes) {
    EXPECT_EQ(r.table, kTable);
    lines.push_back(gateway::vpn::route_text(r));
  }
  return lines;
}

std::vector<std::string> rules_of(const RoutePlan& plan) {
  std::vector<std::string> lines;
  for (const auto& r : plan.rules) lines.push_back(gateway::vpn::rule_text(r));
  return lines;
}

using Lines = std::vector<std::string>;

TEST(RoutePlan, EverythingRoutesBothDefaultsWithSuppressRules) {
  const auto plan = plan_routes(input({}));
  EXPECT_EQ(routes_of(plan), (Lines{"0.0.0.0/0", "::/0"}));
  EXPECT_EQ(rules_of(plan),
            (Lines{"-4 pref 100 lookup main suppress_prefixlength 0", "-4 pref 101 not fwmark 0x1cc0 lookup 7368",
                   "-6 pref 100 lookup main suppress_prefixlength 0", "-6 pref 101 not fwmark 0x1cc0 lookup 7368"}));
}

TEST(RoutePlan, RuleFieldsAreWgQuicks) {
  const auto plan = plan_routes(input({}));
  ASSERT_EQ(plan.rules.size(), 4U);
  const Rule& main_first = plan.rules[0];
  EXPECT_EQ(main_first.family, tun::Family::v4);
  EXPECT_EQ(main_first.priority, kPriority);
  EXPECT_EQ(main_first.table, gateway::vpn::kMainTable);
  EXPECT_EQ(main_first.fwmark, 0U);
  EXPECT_FALSE(main_first.invert);
  ASSERT_TRUE(main_first.suppress_prefixlength);
  EXPECT_EQ(*main_first.suppress_prefixlength, 0);
  const Rule& into_table = plan.rules[1];
  EXPECT_EQ(into_table.priority, kPriority + 1);
  EXPECT_EQ(into_table.table, kTable);
  EXPECT_EQ(into_table.fwmark, kMark);
  EXPECT_TRUE(into_table.invert);
  EXPECT_FALSE(into_table.suppress_prefixlength);
  EXPECT_EQ(plan.routes[0].type, Route::Type::device);
  EXPECT_EQ(plan.routes[1].type, Route::Type::device);
}

TEST(RoutePlan, ExplicitDefaultOfOneFamily) {
  const auto plan = plan_routes(input({cidr("0.0.0.0/0")}));
  EXPECT_EQ(routes_of(plan), (Lines{"0.0.0.0/0"}));
  EXPECT_EQ(rules_of(plan),
            (Lines{"-4 pref 100 lookup main suppress_prefixlength 0", "-4 pref 101 not fwmark 0x1cc0 lookup 7368"}));
  const auto plan6 = plan_routes(input({cidr("::/0")}));
  EXPECT_EQ(routes_of(plan6), (Lines{"::/0"}));
  EXPECT_EQ(rules_of(plan6),
            (Lines{"-6 pref 100 lookup main suppress_prefixlength 0", "-6 pref 101 not fwmark 0x1cc0 lookup 7368"}));
}

TEST(RoutePlan, ListOfNetworksHasNoSuppressRule) {
  const auto plan = plan_routes(input({cidr("10.0.0.0/8"), cidr("192.168.0.0/16"), cidr("2001:db8::/32")}));
  EXPECT_EQ(routes_of(plan), (Lines{"10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32"}));
  EXPECT_EQ(rules_of(plan),
            (Lines{"-4 pref 101 not fwmark 0x1cc0 lookup 7368", "-6 pref 101 not fwmark 0x1cc0 lookup 7368"}));
}

TEST(RoutePlan, OnlyFamiliesWithRoutesGetRules) {
  const auto plan = plan_routes(input({cidr("10.0.0.0/8")}));
  EXPECT_EQ(routes_of(plan), (Lines{"10.0.0.0/8"}));
  EXPECT_EQ(rules_of(plan), (Lines{"-4 pref 101 not fwmark 0x1cc0 lookup 7368"}));
}

TEST(RoutePlan, DefaultAmongOtherNetworks) {
  const auto plan = plan_routes(input({cidr("10.0.0.0/8"), cidr("0.0.0.0/0"), cidr("2001:db8::/32")}));
  EXPECT_EQ(routes_of(plan), (Lines{"10.0.0.0/8", "0.0.0.0/0", "2001:db8::/32"}));
  EXPECT_EQ(rules_of(plan),
            (Lines{"-4 pref 100 lookup main suppress_prefixlength 0", "-4 pref 101 not fwmark 0x1cc0 lookup 7368",
                   "-6 pref 101 not fwmark 0x1cc0 lookup 7368"}));
}

TEST(RoutePlan, ExclusionsAreThrowRoutes) {
  const auto plan = plan_routes(input({}, {cidr("192.0.2.10"), cidr("2001:db8::10"), cidr("198.51.100.0/24")}));
  EXPECT_EQ(routes_of(plan),
            (Lines{"0.0.0.0/0", "::/0", "throw 192.0.2.10/32", "throw 2001:db8::10/128", "throw 198.51.100.0/24"}));
  EXPECT_EQ(plan.routes[2].type, Route::Type::throw_route);
  EXPECT_EQ(rules_of(plan).size(), 4U);
}

TEST(RoutePlan, ExclusionsOfAFamilyNotRoutedAreLeftOut) {
  // The SSH server's IPv6 address need not be thrown out of a table that routes no IPv6.
  const auto plan = plan_routes(input({cidr("10.0.0.0/8")}, {cidr("10.1.0.0/16"), cidr("2001:db8::10")}));
  EXPECT_EQ(routes_of(plan), (Lines{"10.0.0.0/8", "throw 10.1.0.0/16"}));
  EXPECT_EQ(rules_of(plan), (Lines{"-4 pref 101 not fwmark 0x1cc0 lookup 7368"}));
}

TEST(RoutePlan, ExcludingARoutedNetworkWins) {
  const auto plan = plan_routes(input({cidr("10.0.0.0/8"), cidr("172.16.0.0/12")}, {cidr("10.0.0.0/8")}));
  EXPECT_EQ(routes_of(plan), (Lines{"172.16.0.0/12", "throw 10.0.0.0/8"}));
  // Excluding a whole default: no device route, no suppress rule, the table still sends the
  // lookup back to main.
  const auto none = plan_routes(input({cidr("0.0.0.0/0")}, {cidr("0.0.0.0/0")}));
  EXPECT_EQ(routes_of(none), (Lines{"throw 0.0.0.0/0"}));
  EXPECT_EQ(rules_of(none), (Lines{"-4 pref 101 not fwmark 0x1cc0 lookup 7368"}));
}

TEST(RoutePlan, DuplicatesAndHostBitsCountOnce) {
  Cidr with_host_bits = cidr("10.0.0.0/8");
  with_host_bits.address = tun::IpAddress::v4(10, 1, 2, 3);  // as a caller might build one
  const auto plan = plan_routes(
      input({cidr("10.0.0.0/8"), with_host_bits, cidr("10.0.0.0/8")}, {cidr("10.9.0.0/16"), cidr("10.9.1.2/16")}));
  EXPECT_EQ(routes_of(plan), (Lines{"10.0.0.0/8", "throw 10.9.0.0/16"}));
}

TEST(RoutePlan, Ipv6NotCarriedBecomesUnreachable) {
  auto in = input({});
  in.ipv6_carried = false;
  const auto plan = plan_routes(in);
  EXPECT_EQ(routes_of(plan), (Lines{"0.0.0.0/0", "unreachable ::/0"}));
  EXPECT_EQ(plan.routes[1].type, Route::Type::unreachable);
  // The same rules: IPv6 is looked up in the table and refused there.
  EXPECT_EQ(rules_of(plan), rules_of(plan_routes(input({}))));
}

TEST(RoutePlan, Ipv6NotCarriedWithNetworksAndExclusions) {
  auto in = input({cidr("10.0.0.0/8"), cidr("2001:db8::/32")}, {cidr("2001:db8::10")});
  in.ipv6_carried = false;
  const auto plan = plan_routes(in);
  EXPECT_EQ(routes_of(plan), (Lines{"10.0.0.0/8", "unreachable 2001:db8::/32", "throw 2001:db8::10/128"}));
  EXPECT_EQ(rules_of(plan),
            (Lines{"-4 pref 101 not fwmark 0x1cc0 lookup 7368", "-6 pref 101 not fwmark 0x1cc0 lookup 7368"}));
}

TEST(RoutePlan, Ipv4OnlyListIgnoresIpv6NotCarried) {
  auto in = input({cidr("10.0.0.0/8")});
  in.ipv6_carried = false;
  EXPECT_EQ(routes_of(plan_routes(in)), (Lines{"10.0.0.0/8"}));
}

TEST(RoutePlan, TableAndPriorityComeFromTheInput) {
  RoutePlanInput in;
  in.table = 51820;
  in.fwmark = 0xca6c;
  in.priority = 5000;
  const auto plan = plan_routes(in);
  for (const auto& r : plan.routes) EXPECT_EQ(r.table, 51820U);
  EXPECT_EQ(gateway::vpn::rule_text(plan.rules[1]), "-4 pref 5001 not fwmark 0xca6c lookup 51820");
}

TEST(RoutePlan, TextOfEachRouteType) {
  EXPECT_EQ(gateway::vpn::route_text({cidr("10.0.0.0/8"), Route::Type::device, kTable}), "10.0.0.0/8");
  EXPECT_EQ(gateway::vpn::route_text({cidr("::/0"), Route::Type::unreachable, kTable}), "unreachable ::/0");
  EXPECT_EQ(gateway::vpn::route_text({cidr("192.0.2.1"), Route::Type::throw_route, kTable}), "throw 192.0.2.1/32");
}

}  // namespace
