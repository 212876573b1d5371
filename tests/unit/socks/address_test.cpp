#include "socks/address.hpp"

#include <gtest/gtest.h>

namespace {

using namespace socks;

Ipv6Address v6(std::initializer_list<unsigned> groups) {
  Ipv6Address a;
  std::size_t i = 0;
  for (unsigned g : groups) {
    a.bytes[i++] = static_cast<std::uint8_t>(g >> 8);
    a.bytes[i++] = static_cast<std::uint8_t>(g & 0xff);
  }
  return a;
}

TEST(SocksAddress, Ipv4DottedQuad) {
  EXPECT_EQ(host_string(Ipv4Address{{192, 0, 2, 1}}), "192.0.2.1");
  EXPECT_EQ(host_string(Ipv4Address{{0, 0, 0, 0}}), "0.0.0.0");
  EXPECT_EQ(host_string(Ipv4Address{{255, 255, 255, 255}}), "255.255.255.255");
}

TEST(SocksAddress, Ipv6Rfc5952Forms) {
  EXPECT_EQ(host_string(v6({0, 0, 0, 0, 0, 0, 0, 1})), "::1");
  EXPECT_EQ(host_string(v6({0, 0, 0, 0, 0, 0, 0, 0})), "::");
  EXPECT_EQ(host_string(v6({1, 0, 0, 0, 0, 0, 0, 0})), "1::");
  EXPECT_EQ(host_string(v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1})), "2001:db8::1");
  // §4.2.3: the longest run is compressed; on a tie the first one.
  EXPECT_EQ(host_string(v6({0x2001, 0, 0, 1, 0, 0, 0, 1})), "2001:0:0:1::1");
  EXPECT_EQ(host_string(v6({0x2001, 0xdb8, 0, 0, 1, 0, 0, 1})), "2001:db8::1:0:0:1");
  // §4.2.2: a single zero group is not compressed.
  EXPECT_EQ(host_string(v6({0x2001, 0xdb8, 0, 1, 1, 1, 1, 1})), "2001:db8:0:1:1:1:1:1");
  // §4.3: lower case, no leading zeros.
  EXPECT_EQ(host_string(v6({0xFE80, 0, 0, 0, 0x0abc, 0xDEF0, 0x000f, 0x1000})), "fe80::abc:def0:f:1000");
  // §5: IPv4-mapped.
  EXPECT_EQ(host_string(v6({0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201})), "::ffff:192.0.2.1");
}

TEST(SocksAddress, DomainUnchanged) { EXPECT_EQ(host_string(DomainName{"example.com"}), "example.com"); }

}  // namespace
