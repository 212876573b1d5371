#include "gateway/config/values.hpp"

#include <gtest/gtest.h>

namespace {

using namespace gateway::config;

TEST(ConfigValues, Bool) {
  EXPECT_EQ(parse_bool("yes"), true);
  EXPECT_EQ(parse_bool("TRUE"), true);
  EXPECT_EQ(parse_bool("No"), false);
  EXPECT_EQ(parse_bool("false"), false);
  EXPECT_FALSE(parse_bool("1").has_value());
  EXPECT_FALSE(parse_bool("").has_value());
}

TEST(ConfigValues, Uint) {
  EXPECT_EQ(parse_uint("0", 0, 10), 0u);
  EXPECT_EQ(parse_uint("10", 0, 10), 10u);
  EXPECT_FALSE(parse_uint("11", 0, 10));
  EXPECT_FALSE(parse_uint("0", 1, 10));
  EXPECT_FALSE(parse_uint("+1", 0, 10));
  EXPECT_FALSE(parse_uint("", 0, 10));
  EXPECT_FALSE(parse_uint("99999999999999999999", 0, UINT64_MAX));
}

TEST(ConfigValues, Time) {
  EXPECT_EQ(parse_time("0")->count(), 0);
  EXPECT_EQ(parse_time("30")->count(), 30);
  EXPECT_EQ(parse_time("30s")->count(), 30);
  EXPECT_EQ(parse_time("5m")->count(), 300);
  EXPECT_EQ(parse_time("1h30m")->count(), 5400);
  EXPECT_EQ(parse_time("1W2D")->count(), 7 * 86400 + 2 * 86400);
  EXPECT_FALSE(parse_time(""));
  EXPECT_FALSE(parse_time("m"));
  EXPECT_FALSE(parse_time("5x"));
  EXPECT_FALSE(parse_time("-5"));
  EXPECT_FALSE(parse_time("1 h"));
  EXPECT_FALSE(parse_time("100000000w"));  // overflow
  EXPECT_FALSE(parse_time("99999999999999999999"));
}

TEST(ConfigValues, Size) {
  EXPECT_EQ(parse_size("16"), 16u);
  EXPECT_EQ(parse_size("4K"), 4096u);
  EXPECT_EQ(parse_size("512m"), 512ULL << 20);
  EXPECT_EQ(parse_size("2G"), 2ULL << 30);
  EXPECT_FALSE(parse_size("G"));
  EXPECT_FALSE(parse_size("1T"));
  EXPECT_FALSE(parse_size(""));
}

}  // namespace
