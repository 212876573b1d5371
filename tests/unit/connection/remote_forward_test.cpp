#include "ssh/connection/remote_forward.hpp"

#include <gtest/gtest.h>

namespace ssh::connection {
namespace {

TEST(RemoteForward, TcpipForwardDataIsAddressThenPort) {
  // RFC 4254 §7.1: string address to bind, uint32 port to bind.
  EXPECT_EQ(tcpip_forward_data("localhost", 8080),
            (Bytes{0, 0, 0, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0, 0, 0x1f, 0x90}));
  EXPECT_EQ(tcpip_forward_data("", 0), (Bytes{0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(RemoteForward, StreamlocalForwardDataIsThePath) {
  EXPECT_EQ(streamlocal_forward_data("/tmp/s"), (Bytes{0, 0, 0, 6, '/', 't', 'm', 'p', '/', 's'}));
}

TEST(RemoteForward, RequestNames) {
  EXPECT_EQ(kTcpipForward, "tcpip-forward");
  EXPECT_EQ(kCancelTcpipForward, "cancel-tcpip-forward");
  EXPECT_EQ(kStreamlocalForward, "streamlocal-forward@openssh.com");
  EXPECT_EQ(kCancelStreamlocalForward, "cancel-streamlocal-forward@openssh.com");
}

TEST(RemoteForward, AllocatedPort) {
  EXPECT_EQ(parse_allocated_port(Bytes{0, 0, 0x04, 0x00}), 1024u);
  EXPECT_EQ(parse_allocated_port(Bytes{0, 0, 0, 1}), 1u);
  EXPECT_FALSE(parse_allocated_port({}));
  EXPECT_FALSE(parse_allocated_port(Bytes{0, 0, 4}));
  EXPECT_FALSE(parse_allocated_port(Bytes{0, 0, 4, 0, 0}));
  EXPECT_FALSE(parse_allocated_port(Bytes{0, 0, 0, 0}));
  EXPECT_FALSE(parse_allocated_port(Bytes{0xff, 0xff, 0xff, 0xff}));
}

}  // namespace
}  // namespace ssh::connection
