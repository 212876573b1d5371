#include "gateway/net/socket_mark.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace {

TEST(SocketMark, BadDescriptorIsNamed) {
  std::string error;
  EXPECT_FALSE(gateway::net::mark_socket(-1, 0x1cc0, error));
  EXPECT_EQ(error, "cannot mark socket -1 with 0x1cc0 (SO_MARK): Bad file descriptor");
}

TEST(SocketMark, WithoutTheCapabilityTheErrorSaysWhatIsNeeded) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  std::string error;
  const bool marked = gateway::net::mark_socket(fd, 0x1cc0, error);
  ::close(fd);
  if (marked) GTEST_SKIP() << "this process may set SO_MARK (CAP_NET_ADMIN); the refusal cannot be seen here";
  EXPECT_NE(error.find("Operation not permitted"), std::string::npos) << error;
  EXPECT_NE(error.find("needs CAP_NET_ADMIN"), std::string::npos) << error;
}

}  // namespace
