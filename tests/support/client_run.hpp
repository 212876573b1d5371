// Runs the SSH client under test (sshplex, or stock ssh for validating the harness) with an OpenSSH
// command line and a controlled environment: HOME is a private temp dir, no agent unless asked, no
// DISPLAY, and SSH_ASKPASS/SSH_ASKPASS_REQUIRE=force when a secret is to be supplied.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "support/files.hpp"
#include "support/net.hpp"
#include "support/process.hpp"

namespace testsupport {

// SSHPLEX_TEST_CLIENT from the environment if set (e.g. /usr/bin/ssh), else the SSHPLEX_BINARY
// compile definition.
std::string client_binary();
// Empty when client_binary() is executable; otherwise a skip message.
std::string client_unavailable_reason();

struct ClientOptions {
  std::string user = "root";  // empty: destination is the bare host (use -l in extra_args)
  std::string host = "127.0.0.1";
  int port = 22;
  std::string known_hosts_file;  // -o UserKnownHostsFile=; empty = <home>/known_hosts
  std::string strict_host_key_checking = "yes";
  bool batch_mode = true;  // turned off automatically when askpass_secret is set
  bool identities_only = true;
  std::vector<std::string> identities;      // -i
  std::vector<std::string> local_forwards;  // -L specs
  // Extra -o values, e.g. "Ciphers=aes128-ctr"; one naming a default above (ConnectTimeout=...)
  // replaces that default.
  std::vector<std::string> options;
  std::vector<std::string> extra_args;        // inserted before the destination
  bool no_command = true;                     // -N
  bool verbose = true;                        // -v, so failure dumps say what happened
  std::optional<std::string> askpass_secret;  // answer every SSH_ASKPASS prompt with this
  std::optional<std::string> auth_sock;       // SSH_AUTH_SOCK
  Env extra_env;
  std::vector<std::string> command;  // after the destination (set no_command = false to run it)
  std::string stdin_path = "/dev/null";
  // Runs the client through this command (e.g. unshare), which must exec it in the same process.
  std::vector<std::string> wrapper;
};

class ClientRun {
 public:
  explicit ClientRun(ClientOptions options);
  ~ClientRun();  // kills the client; dumps its stderr if the test failed
  ClientRun(const ClientRun&) = delete;
  ClientRun& operator=(const ClientRun&) = delete;
  ClientRun(ClientRun&&) = delete;
  ClientRun& operator=(ClientRun&&) = delete;

  ::testing::AssertionResult start();
  // Polls until a small echo round trip through `local` works; fails early if the client exits.
  ::testing::AssertionResult wait_forward(const Endpoint& local,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Waits for the client to exit by itself (killed after timeout, reported as timed_out).
  ProcessResult wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool running() { return process_.running(); }
  pid_t pid() const { return process_.pid(); }
  void stop() { process_.stop(); }

  std::string stderr_text() const { return process_.stderr_text(); }
  std::string stdout_text() const { return process_.stdout_text(); }
  std::string stdout_path() const { return process_.stdout_path(); }
  const std::vector<std::string>& argv() const { return argv_; }
  std::string command_line() const;
  const TempDir& home() const { return home_; }
  std::string known_hosts_file() const { return known_hosts_; }
  // Prompts the askpass helper was called with, one per line.
  std::string askpass_prompts() const { return read_file(home_.path() / "askpass.log"); }

 private:
  ClientOptions options_;
  TempDir home_{"sshplex-client"};
  std::string known_hosts_;
  std::vector<std::string> argv_;
  Process process_;
};

// Convenience for the forward tests: a local TCP forward spec "127.0.0.1:LPORT:127.0.0.1:RPORT".
std::string tcp_forward_spec(int local_port, int remote_port);

}  // namespace testsupport
