// The control socket's listening side on real unix sockets: created 0600, a stale socket replaced,
// a live one (another master) never taken over, a path too long refused with the limit named, and
// the socket unlinked on stop only when it is still ours.
#include "gateway/control/control_listener.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

using gateway::control::ControlListener;

class ControlListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sshplex-cl.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/ctl";
    uv_loop_init(&loop_);
  }
  void TearDown() override {
    uv_run(&loop_, UV_RUN_NOWAIT);
    uv_loop_close(&loop_);
    std::filesystem::remove_all(dir_);
  }

  // A socket file with nobody behind it, as a master that died leaves it.
  void make_stale(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
  }

  uv_loop_t loop_{};
  std::string dir_;
  std::string path_;
};

TEST_F(ControlListenerTest, CreatedPrivateAndUnlinkedOnStop) {
  ControlListener listener(&loop_, [](int fd) { ::close(fd); });
  std::string error;
  ASSERT_TRUE(listener.listen(path_, error)) << error;
  struct stat st {};
  ASSERT_EQ(::lstat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(gateway::control::socket_is_live(path_));
  // Only the socket: no temporary name left beside it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), std::filesystem::directory_iterator()), 1);
  listener.stop();
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(ControlListenerTest, StaleSocketIsReplaced) {
  make_stale(path_);
  ASSERT_FALSE(gateway::control::socket_is_live(path_));
  ControlListener listener(&loop_, [](int fd) { ::close(fd); });
  std::string error;
  ASSERT_TRUE(listener.listen(path_, error)) << error;
  EXPECT_TRUE(gateway::control::socket_is_live(path_));
}

TEST_F(ControlListenerTest, LiveSocketAndOtherFilesAreNeverTaken) {
  ControlListener first(&loop_, [](int fd) { ::close(fd); });
  std::string error;
  ASSERT_TRUE(first.listen(path_, error)) << error;
  ControlListener second(&loop_, [](int fd) { ::close(fd); });
  EXPECT_FALSE(second.listen(path_, error));
  EXPECT_EQ(error, "ControlSocket " + path_ + " already exists, disabling multiplexing");
  second.stop();
  EXPECT_TRUE(gateway::control::socket_is_live(path_)) << "the second listener removed the first one's socket";

  // A regular file at the path is not a stale socket: left alone.
  const std::string file = dir_ + "/plain";
  std::FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  ControlListener third(&loop_, [](int fd) { ::close(fd); });
  EXPECT_FALSE(third.listen(file, error));
  EXPECT_TRUE(std::filesystem::is_regular_file(file));
}

TEST_F(ControlListenerTest, StopLeavesAReplacementAlone) {
  ControlListener listener(&loop_, [](int fd) { ::close(fd); });
  std::string error;
  ASSERT_TRUE(listener.listen(path_, error)) << error;
  // Someone removed our socket and another master made its own at the same path.
  ::unlink(path_.c_str());
  ControlListener other(&loop_, [](int fd) { ::close(fd); });
  ASSERT_TRUE(other.listen(path_, error)) << error;
  listener.stop();
  EXPECT_TRUE(gateway::control::socket_is_live(path_));
}

TEST_F(ControlListenerTest, PathTooLongNamesTheLimit) {
  const std::string path = dir_ + "/" + std::string(100, 'x');
  ControlListener listener(&loop_, [](int fd) { ::close(fd); });
  std::string error;
  EXPECT_FALSE(listener.listen(path, error));
  EXPECT_NE(error.find("ControlPath too long"), std::string::npos) << error;
  EXPECT_NE(error.find("at most 90"), std::string::npos) << error;
  EXPECT_TRUE(gateway::control::check_control_path(dir_ + "/ok", error));
}

}  // namespace
