#include "tun/cidr.hpp"

#include <gtest/gtest.h>

namespace tun {
namespace {

TEST(TunCidr, ParsesPrefixesAndBareAddresses) {
  const auto a = Cidr::parse("10.0.0.0/8");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->text(), "10.0.0.0/8");
  EXPECT_EQ(Cidr::parse("192.0.2.1")->text(), "192.0.2.1/32");
  EXPECT_EQ(Cidr::parse("2001:db8::/32")->text(), "2001:db8::/32");
  EXPECT_EQ(Cidr::parse("::1")->text(), "::1/128");
  EXPECT_EQ(Cidr::parse("0.0.0.0/0")->text(), "0.0.0.0/0");
  EXPECT_EQ(Cidr::parse("::/0")->family(), Family::v6);
}

TEST(TunCidr, ClearsHostBits) {
  EXPECT_EQ(Cidr::parse("10.1.2.3/8")->text(), "10.0.0.0/8");
  EXPECT_EQ(Cidr::parse("192.168.77.200/20")->text(), "192.168.64.0/20");
  EXPECT_EQ(Cidr::parse("2001:db8:ffff::1/36")->text(), "2001:db8:f000::/36");
  const auto host = Cidr::parse_host("198.18.0.1/29");
  ASSERT_TRUE(host.has_value());
  EXPECT_EQ(to_string(host->first), "198.18.0.1");
  EXPECT_EQ(host->second, 29);
}

TEST(TunCidr, RejectsWhatIsNoPrefix) {
  for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/8x", "10.0.0.0/-1",
                          "example.org/8", "10.0.0.0/ 8", "10.0.0.0/+8"}) {
    EXPECT_FALSE(Cidr::parse(bad).has_value()) << bad;
  }
}

TEST(TunCidr, ContainsAndHosts) {
  const auto net = *Cidr::parse("198.18.0.0/29");
  EXPECT_TRUE(net.contains(IpAddress::v4(198, 18, 0, 7)));
  EXPECT_FALSE(net.contains(IpAddress::v4(198, 18, 0, 8)));
  EXPECT_FALSE(net.contains(*parse_address("::1")));
  EXPECT_EQ(to_string(*net.host(1)), "198.18.0.1");
  EXPECT_EQ(to_string(*net.host(7)), "198.18.0.7");
  EXPECT_FALSE(net.host(8).has_value());
  const auto v6 = *Cidr::parse("fd73:7368:706c::/64");
  EXPECT_EQ(to_string(*v6.host(3)), "fd73:7368:706c::3");
  EXPECT_EQ(to_string(*Cidr::parse("10.0.0.0/8")->host(256)), "10.0.1.0");
  EXPECT_TRUE(Cidr::parse("0.0.0.0/0")->contains(IpAddress::v4(8, 8, 8, 8)));
}

}  // namespace
}  // namespace tun
