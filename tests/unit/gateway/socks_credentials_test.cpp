// SOCKS credentials file: parsing, line-numbered errors, permission check, constant-time check.
#include "gateway/auth/socks_credentials.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace {

using gateway::auth::SocksCredentials;

TEST(SocksCredentials, ParsesUserPasswordLines) {
  std::string error;
  auto c = SocksCredentials::parse("# users\nalice:s3cret\n\nbob:pass:with:colons\r\n", "creds", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->size(), 2u);
  EXPECT_TRUE(c->check("alice", "s3cret"));
  EXPECT_TRUE(c->check("bob", "pass:with:colons"));
  EXPECT_FALSE(c->check("alice", "pass:with:colons"));
  EXPECT_FALSE(c->check("alice", "s3cre"));
  EXPECT_FALSE(c->check("carol", "s3cret"));
  EXPECT_FALSE(c->check("", ""));
}

TEST(SocksCredentials, MalformedLinesNameFileAndLine) {
  std::string error;
  EXPECT_FALSE(SocksCredentials::parse("alice:ok\nnocolon\n", "creds", error));
  EXPECT_EQ(error, "creds:2: expected user:password (each 1 to 255 bytes)");
  EXPECT_FALSE(SocksCredentials::parse(":nouser\n", "creds", error));
  EXPECT_FALSE(SocksCredentials::parse("nopass:\n", "creds", error));
  EXPECT_FALSE(SocksCredentials::parse(std::string(256, 'u') + ":p\n", "creds", error));
  EXPECT_FALSE(SocksCredentials::parse("# only a comment\n", "creds", error));
  EXPECT_EQ(error, "creds: no user:password lines");
}

TEST(SocksCredentials, FileReadableByOthersIsRefused) {
  char path[] = "/tmp/sshplex-creds-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << "alice:s3cret\n";
  std::string error;
  ::chmod(path, 0644);
  EXPECT_FALSE(SocksCredentials::load(path, error));
  EXPECT_NE(error.find("accessible by others"), std::string::npos) << error;
  ::chmod(path, 0600);
  auto c = SocksCredentials::load(path, error);
  ASSERT_TRUE(c) << error;
  EXPECT_TRUE(c->check("alice", "s3cret"));
  ::unlink(path);
}

}  // namespace
