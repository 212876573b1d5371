// ResolvConfFile on files in a temporary directory (the real /etc/resolv.conf is exercised as root
// in a private mount namespace by tests/integration/vpn_dns_test.cpp): a regular file and a symlink
// are replaced and put back as they were, a copy left by a dead process is restored by
// restore_resolv_leftovers, and a file someone else rewrote meanwhile is left alone.
#include "gateway/vpn/resolv_conf_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace gateway::vpn {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
void put(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

class ResolvConfFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sshplex-resolv-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    file_ = dir_ / "resolv.conf";
    state_ = dir_ / "state";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::size_t copies() const {
    if (!fs::exists(state_)) return 0;
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(state_), fs::directory_iterator()));
  }

  fs::path dir_, file_, state_;
  const tun::IpAddress dns_ = tun::IpAddress::v4(10, 99, 0, 1);
};

TEST_F(ResolvConfFileTest, RegularFileReplacedAndRestoredWithItsMode) {
  put(file_, "nameserver 203.0.113.9\nsearch example\n");
  ::chmod(file_.c_str(), 0640);
  std::string error;
  {
    auto f = ResolvConfFile::replace(file_, state_, dns_, error);
    ASSERT_TRUE(f.has_value()) << error;
    EXPECT_NE(slurp(file_).find("\nnameserver 10.99.0.1\n"), std::string::npos);
    EXPECT_EQ(slurp(file_).find("203.0.113.9"), std::string::npos);
    EXPECT_EQ(copies(), 1u);
  }
  EXPECT_EQ(slurp(file_), "nameserver 203.0.113.9\nsearch example\n");
  EXPECT_EQ(fs::status(file_).permissions() & fs::perms::all, fs::perms(0640));
  EXPECT_EQ(copies(), 0u);
}

TEST_F(ResolvConfFileTest, SymlinkReplacedByAFileAndRestoredAsTheLink) {
  put(dir_ / "stub-resolv.conf", "nameserver 127.0.0.53\n");
  fs::create_symlink("stub-resolv.conf", file_);
  std::string error;
  auto f = ResolvConfFile::replace(file_, state_, dns_, error);
  ASSERT_TRUE(f.has_value()) << error;
  EXPECT_FALSE(fs::is_symlink(file_));
  EXPECT_EQ(slurp(dir_ / "stub-resolv.conf"), "nameserver 127.0.0.53\n");  // the target is untouched
  ASSERT_TRUE(f->restore(error)) << error;
  ASSERT_TRUE(fs::is_symlink(file_));
  EXPECT_EQ(fs::read_symlink(file_), "stub-resolv.conf");
  EXPECT_EQ(copies(), 0u);
}

TEST_F(ResolvConfFileTest, LeftoverOfADeadProcessIsRestored) {
  put(file_, "nameserver 203.0.113.9\n");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string error;
    auto f = ResolvConfFile::replace(file_, state_, dns_, error);
    ::_exit(f ? 0 : 1);  // dies without restoring, as a crash would
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(slurp(file_).find("nameserver 10.99.0.1"), std::string::npos);
  EXPECT_EQ(copies(), 1u);
  EXPECT_EQ(restore_resolv_leftovers(state_, file_), 1);
  EXPECT_EQ(slurp(file_), "nameserver 203.0.113.9\n");
  EXPECT_EQ(copies(), 0u);
  EXPECT_EQ(restore_resolv_leftovers(state_, file_), 0);
}

TEST_F(ResolvConfFileTest, LiveOwnersCopyIsNotTouched) {
  put(file_, "nameserver 203.0.113.9\n");
  std::string error;
  auto f = ResolvConfFile::replace(file_, state_, dns_, error);
  ASSERT_TRUE(f.has_value()) << error;
  EXPECT_EQ(restore_resolv_leftovers(state_, file_), 0);
  EXPECT_NE(slurp(file_).find("nameserver 10.99.0.1"), std::string::npos);
}

TEST_F(ResolvConfFileTest, AFileRewrittenMeanwhileIsLeftAlone) {
  put(file_, "nameserver 203.0.113.9\n");
  std::string error;
  auto f = ResolvConfFile::replace(file_, state_, dns_, error);
  ASSERT_TRUE(f.has_value()) << error;
  put(file_, "nameserver 198.51.100.1\n");  // NetworkManager, say
  ASSERT_TRUE(f->restore(error)) << error;
  EXPECT_EQ(slurp(file_), "nameserver 198.51.100.1\n");
  EXPECT_EQ(copies(), 0u);
}

TEST_F(ResolvConfFileTest, MissingFileChangesNothing) {
  std::string error;
  EXPECT_FALSE(ResolvConfFile::replace(file_, state_, dns_, error).has_value());
  EXPECT_NE(error.find("resolv.conf"), std::string::npos);
  EXPECT_FALSE(fs::exists(file_));
  EXPECT_EQ(copies(), 0u);
}

}  // namespace
}  // namespace gateway::vpn
