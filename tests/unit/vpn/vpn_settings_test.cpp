#include "gateway/vpn/vpn_settings.hpp"

#include <gtest/gtest.h>

#include "gateway/config/values.hpp"

namespace gateway::vpn {
namespace {

TEST(VpnSettings, TheTunsAddressesAreHostsOneTwoThreeOfItsNetworks) {
  config::Options o;
  o.vpn = true;
  const VpnSettings s = vpn_settings(o);
  EXPECT_EQ(tun::to_string(s.v4.tun), "198.18.0.1");
  EXPECT_EQ(tun::to_string(s.v4.spare), "198.18.0.2");
  EXPECT_EQ(tun::to_string(s.v4.dns), "198.18.0.3");
  ASSERT_TRUE(s.v6.has_value());
  EXPECT_EQ(tun::to_string(s.v6->tun), "fd73:7368:706c::1");
  EXPECT_EQ(s.dns, VpnSettings::DnsMode::server);
  EXPECT_TRUE(s.routes.empty());
  EXPECT_EQ(s.table, 29544u);

  o.vpn_ipv6 = false;
  o.vpn_network4 = *tun::Cidr::parse("100.64.0.0/10");
  EXPECT_FALSE(vpn_settings(o).v6.has_value()) << "IPv6 not carried: no addresses for it";
  EXPECT_EQ(tun::to_string(vpn_settings(o).v4.dns), "100.64.0.3");
}

TEST(VpnSettings, DnsModes) {
  config::Options o;
  o.vpn_dns = "none";
  EXPECT_EQ(vpn_settings(o).dns, VpnSettings::DnsMode::none);
  o.vpn_dns = "10.0.0.53";
  auto s = vpn_settings(o);
  EXPECT_EQ(s.dns, VpnSettings::DnsMode::resolver);
  ASSERT_TRUE(s.resolver.has_value());
  EXPECT_EQ(tun::to_string(*s.resolver), "10.0.0.53:53");
  o.vpn_dns = "[2001:db8::53]:5353";
  EXPECT_EQ(tun::to_string(*vpn_settings(o).resolver), "[2001:db8::53]:5353");
}

TEST(VpnSettings, ResolverAddresses) {
  const auto text = [](const char* v) {
    const auto e = config::parse_vpn_resolver(v);
    return e ? tun::to_string(*e) : std::string("(rejected)");
  };
  EXPECT_EQ(text("192.0.2.53"), "192.0.2.53:53");
  EXPECT_EQ(text("192.0.2.53:5353"), "192.0.2.53:5353");
  EXPECT_EQ(text("2001:db8::53"), "[2001:db8::53]:53");
  EXPECT_EQ(text("[2001:db8::53]:5353"), "[2001:db8::53]:5353");
  for (const char* bad : {"", "192.0.2.53:", "192.0.2.53:0", "192.0.2.53:65536", "[2001:db8::53]", "[192.0.2.1]:53",
                          "resolver.example", "192.0.2.53:53:53"}) {
    EXPECT_EQ(text(bad), "(rejected)") << bad;
  }
}

TEST(VpnSettings, AReloadThatChangesTheVpnIsNoticed) {
  config::Options a;
  config::Options b;
  EXPECT_FALSE(vpn_settings_differ(a, b));
  b.vpn_routes.push_back(*tun::Cidr::parse("10.0.0.0/8"));
  EXPECT_TRUE(vpn_settings_differ(a, b));
  b = a;
  b.vpn_kill_switch = true;
  b.vpn_table = 77;
  EXPECT_TRUE(vpn_settings_differ(a, b));
  keep_vpn_settings(b, a);
  EXPECT_FALSE(vpn_settings_differ(a, b)) << "a reload keeps the running VPN's settings, marks included";
}

}  // namespace
}  // namespace gateway::vpn
