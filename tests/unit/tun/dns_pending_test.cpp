#include "tun/dns_pending.hpp"

#include <gtest/gtest.h>

#include <set>

namespace {

using namespace tun;

TEST(TunDnsPending, MatchesAnswersAndRestoresIds) {
  DnsPending pending;
  const Endpoint server{IpAddress::v4(10, 0, 0, 1), 53};
  // Two clients using the same id get different ids on the wire.
  const auto a = pending.add({{IpAddress::v4(10, 0, 0, 2), 1000}, server, 7});
  const auto b = pending.add({{IpAddress::v4(10, 0, 0, 3), 1000}, server, 7});
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  // Answers in any order.
  const auto qb = pending.take(*b);
  ASSERT_TRUE(qb);
  EXPECT_EQ(qb->client.address, IpAddress::v4(10, 0, 0, 3));
  EXPECT_EQ(qb->client_id, 7);
  EXPECT_FALSE(pending.take(*b));
  EXPECT_TRUE(pending.take(*a));
  EXPECT_EQ(pending.size(), 0u);
}

TEST(TunDnsPending, BoundedAndIdsUnique) {
  DnsPending pending(3);
  std::set<std::uint16_t> ids;
  for (int i = 0; i < 3; ++i) ids.insert(*pending.add({}));
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_FALSE(pending.add({}));
  pending.take(*ids.begin());
  EXPECT_TRUE(pending.add({}));
  // A full id space still hands out unique ids, skipping those in flight.
  DnsPending all(65536);
  std::set<std::uint16_t> every;
  for (int i = 0; i < 65536; ++i) every.insert(*all.add({}));
  EXPECT_EQ(every.size(), 65536u);
  EXPECT_FALSE(all.add({}));
}

}  // namespace
