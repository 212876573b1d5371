// A real ssh-agent (OpenSSH) in the foreground on a private socket, with keys loaded by ssh-add.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "support/files.hpp"
#include "support/process.hpp"

namespace testsupport {

class SshAgent {
 public:
  SshAgent();
  ~SshAgent();
  SshAgent(const SshAgent&) = delete;
  SshAgent& operator=(const SshAgent&) = delete;
  SshAgent(SshAgent&&) = delete;
  SshAgent& operator=(SshAgent&&) = delete;

  static std::string unavailable_reason();
  ::testing::AssertionResult start();
  // ssh-add of an unencrypted private key file.
  ::testing::AssertionResult add_key(const std::string& private_path);
  // ssh-add -L: the public keys the agent holds.
  std::string list_keys() const;

  const std::string& socket_path() const { return socket_path_; }
  std::string auth_sock_env() const { return "SSH_AUTH_SOCK=" + socket_path_; }

 private:
  TempDir dir_{"sshplex-agent"};
  std::string socket_path_;
  Process process_;
};

}  // namespace testsupport
