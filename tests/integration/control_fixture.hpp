// Shared by the control-socket tests: sshd on loopback, sshplex as the master (-M -S sock -N), and
// stock OpenSSH clients riding it. Every passenger names port 1 and an empty known_hosts file, so a
// silent fallback to a direct connection cannot pass: only the master can carry it.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/sshd_server.hpp"

namespace controltest {

using namespace testsupport;
using namespace std::chrono_literals;

inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Outcome {
  ProcessResult result;
  std::string out;
  std::string err;
  int code() const { return result.exited ? result.exit_code : -1; }
};

// Descriptors a process holds now (/proc/PID/fd).
inline std::size_t open_descriptors(pid_t pid) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

class ControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    ssh_ = find_program("ssh");
    if (ssh_.empty()) GTEST_SKIP() << "stock ssh needed (openssh-client)";
    sshd_ = std::make_unique<SshdServer>(sshd_options());
    sshd_->authorize_key(key().public_line);
    ASSERT_TRUE(sshd_->start());
    ASSERT_TRUE(sshd_->write_known_hosts(tmp_.file("known_hosts")));
    sock_ = tmp_.file("ctl");
  }

  virtual SshdOptions sshd_options() {
    SshdOptions o;
    o.log_level = "VERBOSE";
    o.extra_lines = {"Subsystem sftp internal-sftp"};  // scp and sftp
    return o;
  }

  static const KeyPair& key() { return cached_key(KeyType::Ed25519, "user"); }

  // sshplex -N -M -S sock with `extra` arguments; waits for the socket.
  void start_master(std::vector<std::string> extra = {}, Env env = {}) {
    ClientOptions o = client_options_for(sshd_->port(), tmp_.file("known_hosts"), key());
    o.extra_args = {"-M", "-S", sock_};
    o.extra_env = std::move(env);
    o.extra_args.insert(o.extra_args.end(), extra.begin(), extra.end());
    master_ = std::make_unique<ClientRun>(std::move(o));
    ASSERT_TRUE(master_->start());
    // Listening, not just there (a stale file may be in the way until the master replaces it).
    auto live = [&] {
      const int fd = connect_endpoint(Endpoint::unix_socket(sock_));
      if (fd < 0) return false;
      ::close(fd);
      return true;
    };
    ASSERT_TRUE(wait_until([&] { return live() || !master_->running(); }, 20s)) << master_->stderr_text();
    ASSERT_TRUE(master_->running()) << master_->stderr_text();
  }

  // Stock ssh through the master: -S sock, port 1, no known host. `args` go after the options
  // (e.g. {"-O", "check"}); `command` after the destination.
  std::vector<std::string> passenger_argv(const std::vector<std::string>& args,
                                          const std::vector<std::string>& command) const {
    std::vector<std::string> argv = {ssh_,
                                     "-F",
                                     "/dev/null",
                                     "-S",
                                     sock_,
                                     "-o",
                                     "ControlMaster=no",
                                     "-o",
                                     "BatchMode=yes",
                                     "-o",
                                     "StrictHostKeyChecking=yes",
                                     "-o",
                                     "UserKnownHostsFile=/dev/null",
                                     "-o",
                                     "GlobalKnownHostsFile=/dev/null",
                                     "-p",
                                     "1"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("root@127.0.0.1");
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
  }

  Env client_env() const {
    Env env = base_env();
    env.push_back("HOME=" + tmp_.str());
    return env;
  }

  Outcome run(const std::vector<std::string>& argv, const std::string& stdin_data = "",
              std::chrono::seconds timeout = 60s) {
    const std::string tag = std::to_string(++runs_);
    const std::string in = tmp_.file("in." + tag);
    write_file(in, stdin_data);
    Process p;
    EXPECT_TRUE(p.start(argv, client_env(), tmp_.file("out." + tag), tmp_.file("err." + tag), in)) << p.error();
    Outcome r;
    r.result = p.wait(timeout);
    r.out = p.stdout_text();
    r.err = p.stderr_text();
    std::filesystem::remove(in);
    return r;
  }

  Outcome passenger(const std::vector<std::string>& command, const std::string& stdin_data = "",
                    const std::vector<std::string>& args = {}) {
    return run(passenger_argv(args, command), stdin_data);
  }

  // sshplex itself as a -O client.
  Outcome sshplex_control(const std::string& command, const std::vector<std::string>& args = {}) {
    std::vector<std::string> argv = {client_binary(), "-F", "none", "-S", sock_, "-O", command};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("root@127.0.0.1");
    return run(argv);
  }

  std::size_t logins() const { return count_occurrences(sshd_->log(), "Accepted publickey"); }

  TempDir tmp_{"sshplex-ctl"};
  std::unique_ptr<SshdServer> sshd_;
  std::unique_ptr<ClientRun> master_;
  std::string ssh_;
  std::string sock_;
  int runs_ = 0;
};

}  // namespace controltest
