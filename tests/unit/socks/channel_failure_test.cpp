#include "socks/channel_failure.hpp"

#include <gtest/gtest.h>

namespace {

using namespace socks;

TEST(SocksChannelFailure, OpenSshDescriptions) {
  const std::uint32_t failed = ssh_open_connect_failed;
  EXPECT_EQ(reply_for_channel_open_failure(failed, "Connection refused"), ReplyCode::connection_refused);
  EXPECT_EQ(reply_for_channel_open_failure(failed, "No route to host"), ReplyCode::host_unreachable);
  EXPECT_EQ(reply_for_channel_open_failure(failed, "Name or service not known"), ReplyCode::host_unreachable);
  EXPECT_EQ(reply_for_channel_open_failure(failed, "Temporary failure in name resolution"),
            ReplyCode::host_unreachable);
  EXPECT_EQ(reply_for_channel_open_failure(failed, "nodename nor servname provided, or not known"),
            ReplyCode::host_unreachable);
  EXPECT_EQ(reply_for_channel_open_failure(failed, "Host is unreachable"), ReplyCode::host_unreachable);
  EXPECT_EQ(reply_for_channel_open_failure(failed, "Network is unreachable"), ReplyCode::network_unreachable);
  EXPECT_EQ(reply_for_channel_open_failure(failed, "Connection timed out"), ReplyCode::ttl_expired);
  // Case and surrounding text do not matter.
  EXPECT_EQ(reply_for_channel_open_failure(failed, "connect failed: CONNECTION REFUSED"),
            ReplyCode::connection_refused);
}

TEST(SocksChannelFailure, ReasonCodes) {
  // A policy refusal stays a policy refusal whatever text accompanies it.
  EXPECT_EQ(reply_for_channel_open_failure(ssh_open_administratively_prohibited, "open failed"),
            ReplyCode::not_allowed);
  EXPECT_EQ(reply_for_channel_open_failure(ssh_open_administratively_prohibited, "Connection refused"),
            ReplyCode::not_allowed);
  EXPECT_EQ(reply_for_channel_open_failure(ssh_open_connect_failed, "administratively prohibited"),
            ReplyCode::not_allowed);
  EXPECT_EQ(reply_for_channel_open_failure(ssh_open_connect_failed, ""), ReplyCode::general_failure);
  EXPECT_EQ(reply_for_channel_open_failure(ssh_open_unknown_channel_type, "unknown channel type"),
            ReplyCode::general_failure);
  EXPECT_EQ(reply_for_channel_open_failure(ssh_open_resource_shortage, "too many channels"),
            ReplyCode::general_failure);
  EXPECT_EQ(reply_for_channel_open_failure(99, "weird"), ReplyCode::general_failure);
}

}  // namespace
