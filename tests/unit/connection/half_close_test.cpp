#include "ssh/connection/half_close.hpp"

#include <gtest/gtest.h>

namespace ssh::connection {
namespace {

TEST(HalfClose, EofThenCloseEachDirection) {
  HalfClose h;
  EXPECT_TRUE(h.can_send());
  EXPECT_TRUE(h.accepts_data());
  EXPECT_TRUE(h.local_eof());
  EXPECT_FALSE(h.local_eof());
  EXPECT_FALSE(h.can_send());
  EXPECT_TRUE(h.may_send_anything());
  EXPECT_FALSE(h.both_eof());
  EXPECT_TRUE(h.remote_eof());
  EXPECT_FALSE(h.remote_eof());
  EXPECT_FALSE(h.accepts_data());
  EXPECT_TRUE(h.both_eof());
  EXPECT_TRUE(h.local_close());
  EXPECT_FALSE(h.local_close());
  EXPECT_FALSE(h.finished());
  h.remote_close();
  EXPECT_TRUE(h.finished());
}

TEST(HalfClose, CloseWithoutEof) {
  HalfClose h;
  h.remote_close();
  EXPECT_FALSE(h.remote_eof());  // EOF after CLOSE changes nothing
  EXPECT_FALSE(h.finished());
  EXPECT_TRUE(h.local_close());
  EXPECT_TRUE(h.finished());
}

TEST(HalfClose, OurCloseStopsDataAndEof) {
  HalfClose h;
  EXPECT_TRUE(h.local_close());
  EXPECT_FALSE(h.can_send());
  EXPECT_FALSE(h.accepts_data());
  EXPECT_FALSE(h.may_send_anything());
  EXPECT_FALSE(h.local_eof());
}

}  // namespace
}  // namespace ssh::connection
