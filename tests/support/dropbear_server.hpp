// Dropbear started on 127.0.0.1:<free port> with a dropbearkey host key. Dropbear 2022.83 reads
// ~/.ssh/authorized_keys of the login user, so clients log in as the `sshplex-test` account whose
// home is a fixture-owned directory; the account lock is held for the server's lifetime so parallel
// test processes do not overwrite each other's authorized_keys.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/files.hpp"
#include "support/process.hpp"
#include "support/test_user.hpp"

namespace testsupport {

class DropbearServer {
 public:
  DropbearServer();
  ~DropbearServer();  // stops dropbear, removes authorized_keys, dumps the log if the test failed
  DropbearServer(const DropbearServer&) = delete;
  DropbearServer& operator=(const DropbearServer&) = delete;
  DropbearServer(DropbearServer&&) = delete;
  DropbearServer& operator=(DropbearServer&&) = delete;

  // Empty when dropbear can run here; otherwise why not.
  static std::string unavailable_reason();

  // Authorized keys must be given before start().
  void authorize_key(const std::string& public_line) { authorized_.push_back(public_line); }
  ::testing::AssertionResult start();
  void stop();

  int port() const { return port_; }
  const TestUser& user() const { return user_; }
  std::string log() const { return read_file(log_path_); }
  // "ssh-ed25519 base64" of the host key, and its known_hosts line.
  const std::string& host_public_line() const { return host_public_line_; }
  std::string known_hosts_line() const;
  bool write_known_hosts(const std::string& path) const;

 private:
  TempDir dir_{"sshplex-dropbear"};
  std::string log_path_;
  std::string host_key_path_;
  std::string host_public_line_;
  std::vector<std::string> authorized_;
  std::unique_ptr<TestUserLock> lock_;
  TestUser user_;
  int port_ = 0;
  Process process_;
};

}  // namespace testsupport
