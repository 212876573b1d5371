#include "tun/cidr.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using tun::Cidr;
using tun::Family;
using tun::IpAddress;

std::string text_of(const char* input) {
  const auto c = Cidr::parse(input);
  return c ? c->text() : "(rejected)";
}

IpAddress v6(const char* text) {
  return Cidr::parse(text)->address;
}

TEST(TunCidr, ParsesIpv4Networks) {
  const auto c = Cidr::parse("10.0.0.0/8");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->family(), Family::v4);
  EXPECT_EQ(c->prefix, 8);
  EXPECT_EQ(c->address, IpAddress::v4(10, 0, 0, 0));
  EXPECT_EQ(c->text(), "10.0.0.0/8");
  EXPECT_EQ(text_of("0.0.0.0/0"), "0.0.0.0/0");
  EXPECT_EQ(text_of("192.0.2.128/25"), "192.0.2.128/25");
  EXPECT_EQ(text_of("255.255.255.255/32"), "255.255.255.255/32");
}

TEST(TunCidr, AnAddressAloneIsAHost) {
  const auto c = Cidr::parse("192.0.2.1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->prefix, 32);
  EXPECT_EQ(c->text(), "192.0.2.1/32");
  const auto h = Cidr::parse("::1");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->family(), Family::v6);
  EXPECT_EQ(h->prefix, 128);
  EXPECT_EQ(h->text(), "::1/128");
}

TEST(TunCidr, ParsesIpv6Networks) {
  const auto c = Cidr::parse("2001:db8::/32");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->family(), Family::v6);
  EXPECT_EQ(c->prefix, 32);
  EXPECT_EQ(c->address.bytes[0], 0x20);
  EXPECT_EQ(c->address.bytes[3], 0xb8);
  EXPECT_EQ(c->text(), "2001:db8::/32");
  EXPECT_EQ(text_of("::/0"), "::/0");
  EXPECT_EQ(text_of("::ffff:192.0.2.1/128"), "::ffff:192.0.2.1/128");
  EXPECT_EQ(text_of("2001:DB8:0:0:0:0:0:1"), "2001:db8::1/128");
}

TEST(TunCidr, HostBitsAreClearedByParse) {
  EXPECT_EQ(text_of("10.1.2.3/8"), "10.0.0.0/8");
  EXPECT_EQ(text_of("192.0.2.255/25"), "192.0.2.128/25");
  EXPECT_EQ(text_of("192.0.2.1/0"), "0.0.0.0/0");
  EXPECT_EQ(text_of("2001:db8:ffff::1/33"), "2001:db8:8000::/33");
  EXPECT_EQ(text_of("2001:db8::1/0"), "::/0");
}

TEST(TunCidr, InterfaceAddressKeepsHostBits) {
  const auto c = Cidr::parse_interface_address("10.9.0.1/24");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->text(), "10.9.0.1/24");
  EXPECT_EQ(c->network().text(), "10.9.0.0/24");
  EXPECT_TRUE(c->contains(IpAddress::v4(10, 9, 0, 77)));
  EXPECT_EQ(Cidr::parse_interface_address("fd00::1/64")->text(), "fd00::1/64");
  EXPECT_FALSE(Cidr::parse_interface_address("10.9.0.1/33"));
}

TEST(TunCidr, RejectsMalformedText) {
  for (const char* bad : {"",
                          "/",
                          "/8",
                          "10.0.0.0/",
                          "10.0.0.0/33",
                          "::/129",
                          "10.0.0.0/-1",
                          "10.0.0.0/+8",
                          "10.0.0.0/08",
                          "10.0.0.0/8/8",
                          "10.0.0.0/ 8",
                          " 10.0.0.0/8",
                          "10.0.0.0/8 ",
                          "10.0.0/8",
                          "10",
                          "10.0.0.256",
                          "1.2.3.4.5",
                          "example.com",
                          "fe80::1%eth0",
                          "fe80::1%eth0/64",
                          "2001:db8:::1",
                          "::1/1000",
                          "10.0.0.0/4294967304",
                          "0x0a.0.0.0/8",
                          "1111:2222:3333:4444:5555:6666:7777:8888:9999"}) {
    EXPECT_FALSE(Cidr::parse(bad)) << "accepted \"" << bad << "\"";
  }
}

TEST(TunCidr, ContainsChecksFamilyAndPrefixBits) {
  const auto net = *Cidr::parse("10.0.0.0/8");
  EXPECT_TRUE(net.contains(IpAddress::v4(10, 1, 2, 3)));
  EXPECT_TRUE(net.contains(IpAddress::v4(10, 255, 255, 255)));
  EXPECT_FALSE(net.contains(IpAddress::v4(11, 0, 0, 0)));
  EXPECT_FALSE(net.contains(v6("::ffff:10.1.2.3")));

  const auto odd = *Cidr::parse("192.0.2.128/25");
  EXPECT_TRUE(odd.contains(IpAddress::v4(192, 0, 2, 200)));
  EXPECT_FALSE(odd.contains(IpAddress::v4(192, 0, 2, 127)));

  const auto all4 = Cidr::everything(Family::v4);
  EXPECT_EQ(all4.text(), "0.0.0.0/0");
  EXPECT_TRUE(all4.is_default());
  EXPECT_TRUE(all4.contains(IpAddress::v4(203, 0, 113, 9)));
  EXPECT_FALSE(all4.contains(v6("2001:db8::1")));

  const auto doc6 = *Cidr::parse("2001:db8::/33");
  EXPECT_TRUE(doc6.contains(v6("2001:db8:7fff::1")));
  EXPECT_FALSE(doc6.contains(v6("2001:db8:8000::1")));
  EXPECT_TRUE(Cidr::everything(Family::v6).contains(v6("::1")));

  const auto host = *Cidr::parse("2001:db8::1");
  EXPECT_TRUE(host.contains(v6("2001:db8::1")));
  EXPECT_FALSE(host.contains(v6("2001:db8::2")));
}

TEST(TunCidr, EqualityIsAfterMasking) {
  EXPECT_EQ(*Cidr::parse("10.1.2.3/8"), *Cidr::parse("10.0.0.0/8"));
  EXPECT_NE(*Cidr::parse("10.0.0.0/8"), *Cidr::parse("10.0.0.0/9"));
  EXPECT_NE(*Cidr::parse("0.0.0.0/0"), *Cidr::parse("::/0"));
}

TEST(TunCidr, HostsAreNumberedFromTheNetwork) {
  const auto net = *Cidr::parse("198.18.0.0/29");
  EXPECT_EQ(tun::to_string(*net.host(1)), "198.18.0.1");
  EXPECT_EQ(tun::to_string(*net.host(7)), "198.18.0.7");
  EXPECT_FALSE(net.host(8).has_value());
  EXPECT_EQ(tun::to_string(*Cidr::parse("fd73:7368:706c::/64")->host(3)), "fd73:7368:706c::3");
  EXPECT_EQ(tun::to_string(*Cidr::parse("10.0.0.0/8")->host(256)), "10.0.1.0");
  // Numbered from the network, whatever host bits an interface address carries.
  EXPECT_EQ(tun::to_string(*Cidr::parse_interface_address("10.9.0.5/24")->host(1)), "10.9.0.1");
}

}  // namespace
