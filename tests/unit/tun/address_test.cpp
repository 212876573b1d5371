#include "tun/address.hpp"

#include <gtest/gtest.h>

namespace tun {
namespace {

TEST(TunAddress, FormatsBothFamiliesAndEndpoints) {
  EXPECT_EQ(to_string(IpAddress::v4(192, 0, 2, 1)), "192.0.2.1");
  const auto v6 = parse_address("2001:db8::1");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->family, Family::v6);
  EXPECT_EQ(to_string(*v6), "2001:db8::1");
  EXPECT_EQ(to_string(Endpoint{IpAddress::v4(10, 0, 0, 7), 53}), "10.0.0.7:53");
  EXPECT_EQ(to_string(Endpoint{*v6, 443}), "[2001:db8::1]:443");
}

TEST(TunAddress, ParsesOnlyNumericAddresses) {
  const auto v4 = parse_address("198.18.0.1");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(*v4, IpAddress::v4(198, 18, 0, 1));
  EXPECT_FALSE(parse_address("").has_value());
  EXPECT_FALSE(parse_address("localhost").has_value());
  EXPECT_FALSE(parse_address("10.0.0.256").has_value());
  EXPECT_FALSE(parse_address("fe80::1%eth0").has_value());
  EXPECT_FALSE(parse_address("10.0.0.1/8").has_value());
  EXPECT_FALSE(parse_address(std::string(100, '1')).has_value());
}

}  // namespace
}  // namespace tun
