#include "support/dropbear_server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "support/net.hpp"

namespace testsupport {
namespace {
constexpr const char* kDropbear = "/usr/sbin/dropbear";
}

DropbearServer::DropbearServer() {
  log_path_ = dir_.file("dropbear.log");
  host_key_path_ = dir_.file("dropbear_ed25519_host_key");
}

DropbearServer::~DropbearServer() {
  stop();
  if (lock_) {
    std::error_code ec;
    std::filesystem::remove(user_.home + "/.ssh/authorized_keys", ec);
  }
  if (::testing::Test::HasFailure()) {
    std::cerr << "----- dropbear log (" << log_path_ << ", tail) -----\n"
              << tail_file(log_path_) << "----- end of dropbear log -----\n";
  }
}

std::string DropbearServer::unavailable_reason() {
  if (::access(kDropbear, X_OK) != 0) return std::string(kDropbear) + " not installed (apt-get install dropbear-bin)";
  if (find_program("dropbearkey").empty()) return "dropbearkey not installed";
  if (::geteuid() != 0) return "dropbear tests need root (login as the local sshplex-test account)";
  return {};
}

::testing::AssertionResult DropbearServer::start() {
  std::string why = unavailable_reason();
  if (!why.empty()) return ::testing::AssertionFailure() << why;
  if (!ensure_test_user(&user_, &why)) return ::testing::AssertionFailure() << why;
  lock_ = std::make_unique<TestUserLock>();
  if (!lock_->held()) return ::testing::AssertionFailure() << "cannot lock the test account";

  std::error_code ec;
  const std::string ssh_dir = user_.home + "/.ssh";
  std::filesystem::create_directories(ssh_dir, ec);
  ::chmod(ssh_dir.c_str(), 0755);
  std::string keys;
  for (const auto& k : authorized_) keys += k + "\n";
  // Owned by root and not group/world writable: dropbear accepts that for any user.
  if (!write_file(ssh_dir + "/authorized_keys", keys, 0644)) {
    return ::testing::AssertionFailure() << "cannot write " << ssh_dir << "/authorized_keys";
  }

  std::string out;
  if (!run_quiet({"dropbearkey", "-t", "ed25519", "-f", host_key_path_}, &out)) {
    return ::testing::AssertionFailure() << "dropbearkey failed: " << out;
  }
  std::string pub;
  if (!run_quiet({"dropbearkey", "-y", "-f", host_key_path_}, &pub)) {
    return ::testing::AssertionFailure() << "dropbearkey -y failed: " << pub;
  }
  std::istringstream lines(pub);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("ssh-", 0) == 0) host_public_line_ = strip_key_comment(line);
  }
  if (host_public_line_.empty()) return ::testing::AssertionFailure() << "no public key in: " << pub;

  std::string last_error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_tcp_port();
    // -F foreground, -E log to stderr, -s no password logins, -w no root logins.
    if (!process_.start(
            {kDropbear, "-F", "-E", "-s", "-w", "-p", "127.0.0.1:" + std::to_string(port_), "-r", host_key_path_},
            base_env(), dir_.file("dropbear.out"), log_path_)) {
      return ::testing::AssertionFailure() << "cannot start dropbear: " << process_.error();
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (!process_.running()) break;
      if (wait_for_port(port_, std::chrono::milliseconds(50))) return ::testing::AssertionSuccess();
    }
    last_error = tail_file(log_path_, 4096);
    process_.stop();
    if (last_error.find("in use") == std::string::npos) break;
  }
  return ::testing::AssertionFailure() << "dropbear did not start on port " << port_ << ":\n" << last_error;
}

void DropbearServer::stop() {
  process_.stop();
}

std::string DropbearServer::known_hosts_line() const {
  return "[127.0.0.1]:" + std::to_string(port_) + " " + host_public_line_;
}

bool DropbearServer::write_known_hosts(const std::string& path) const {
  return write_file(path, known_hosts_line() + "\n", 0644);
}

}  // namespace testsupport
