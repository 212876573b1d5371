#include "ssh/connection/keepalive.hpp"

#include <gtest/gtest.h>

namespace ssh::connection {
namespace {

using namespace std::chrono_literals;
using TP = Keepalive::TimePoint;

TEST(Keepalive, DisabledNeverActs) {
  Keepalive k(0s, 3);
  k.start(TP{});
  EXPECT_FALSE(k.deadline());
  EXPECT_EQ(k.on_timeout(TP{} + 1000s), Keepalive::Action::none);
}

TEST(Keepalive, ProbesThenTimesOutAfterCountMax) {
  const TP t0{};
  Keepalive k(15s, 3);
  k.start(t0);
  ASSERT_TRUE(k.deadline());
  EXPECT_EQ(*k.deadline(), t0 + 15s);
  EXPECT_EQ(k.on_timeout(t0 + 14s), Keepalive::Action::none);
  EXPECT_EQ(k.on_timeout(t0 + 15s), Keepalive::Action::probe);
  EXPECT_EQ(k.on_timeout(t0 + 16s), Keepalive::Action::none);  // next deadline is 30 s
  EXPECT_EQ(k.on_timeout(t0 + 30s), Keepalive::Action::probe);
  EXPECT_EQ(k.on_timeout(t0 + 45s), Keepalive::Action::probe);
  EXPECT_EQ(k.unanswered(), 3u);
  EXPECT_EQ(k.on_timeout(t0 + 60s), Keepalive::Action::timeout);
  EXPECT_FALSE(k.deadline());
}

TEST(Keepalive, TrafficResetsCounterAndDeadline) {
  const TP t0{};
  Keepalive k(10s, 2);
  k.start(t0);
  EXPECT_EQ(k.on_timeout(t0 + 10s), Keepalive::Action::probe);
  EXPECT_EQ(k.on_timeout(t0 + 20s), Keepalive::Action::probe);
  k.on_traffic(t0 + 25s);
  EXPECT_EQ(k.unanswered(), 0u);
  EXPECT_EQ(*k.deadline(), t0 + 35s);
  EXPECT_EQ(k.on_timeout(t0 + 30s), Keepalive::Action::none);
  EXPECT_EQ(k.on_timeout(t0 + 35s), Keepalive::Action::probe);
  EXPECT_EQ(k.on_timeout(t0 + 45s), Keepalive::Action::probe);
  EXPECT_EQ(k.on_timeout(t0 + 55s), Keepalive::Action::timeout);
}

TEST(Keepalive, CountMaxZeroGivesUpAtFirstDeadline) {
  Keepalive k(5s, 0);
  k.start(TP{});
  EXPECT_EQ(k.on_timeout(TP{} + 5s), Keepalive::Action::timeout);
}

TEST(Keepalive, TrafficBeforeStartDoesNotArm) {
  Keepalive k(5s, 1);
  k.on_traffic(TP{});
  EXPECT_FALSE(k.deadline());
}

}  // namespace
}  // namespace ssh::connection
