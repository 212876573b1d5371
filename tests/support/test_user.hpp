// The dedicated local account `sshplex-test` used by password, keyboard-interactive and Dropbear
// tests. Created idempotently, only when running as root; its random password is kept in a root-only
// state file so concurrent test processes agree on it.
#pragma once

#include <sys/types.h>

#include <string>

namespace testsupport {

struct TestUser {
  std::string name;
  std::string password;
  std::string home;  // fixed directory owned by root, 0755, holding .ssh/authorized_keys for Dropbear
  uid_t uid = 0;
  gid_t gid = 0;
};

// Exclusive inter-process lock (flock) serialising changes to the test account and its home.
class TestUserLock {
 public:
  TestUserLock();
  ~TestUserLock();
  TestUserLock(const TestUserLock&) = delete;
  TestUserLock& operator=(const TestUserLock&) = delete;
  TestUserLock(TestUserLock&&) = delete;
  TestUserLock& operator=(TestUserLock&&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Creates the account if needed and returns it. On failure (not root, useradd missing...) returns
// false and sets *reason, suitable for GTEST_SKIP.
bool ensure_test_user(TestUser* user, std::string* reason);

}  // namespace testsupport
