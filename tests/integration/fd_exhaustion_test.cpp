// End-to-end: sshplex with a -L forward through a real sshd, started under a small descriptor limit
// (prlimit, soft = hard, so the start-up raise cannot lift it). More clients connect than it has
// descriptors for. sshplex must stay up, log "out of file descriptors" once, not spin on the
// listening socket that stays readable (its CPU time over 2 s stays small), and serve new clients
// again once others have gone. It also exercises -E: the log lands in the file, with timestamps.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/log_stamp.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;
using namespace std::chrono_literals;

constexpr int kDescriptorLimit = 64;
constexpr int kClients = 120;  // well beyond what 64 descriptors can hold
constexpr std::string_view kExhausted = "out of file descriptors: refusing new clients on 127.0.0.1:";

// utime + stime of a process, in seconds (proc(5): fields 14 and 15, after the "(comm)" field).
double cpu_seconds(pid_t pid) {
  const std::string text = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  // Field 3 (state) is the first after the name; utime is field 14.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::size_t open_descriptors(pid_t pid) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

class FdExhaustion : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    if (const char* other = std::getenv("SSHPLEX_TEST_CLIENT"); other != nullptr && *other != '\0') {
      GTEST_SKIP() << "sshplex-specific logging and -E";
    }
    if (find_program("prlimit").empty()) GTEST_SKIP() << "prlimit (util-linux) needed";
    const KeyPair& user_key = cached_key(KeyType::Ed25519, "user");
    sshd_.authorize_key(user_key.public_line);
    ASSERT_TRUE(sshd_.start());
    ASSERT_TRUE(sshd_.write_known_hosts(tmp_.file("known_hosts")));
    ASSERT_TRUE(echo_.start_tcp());
    local_port_ = free_tcp_port();
    log_path_ = tmp_.file("sshplex.log");
    argv_ = {find_program("prlimit"),
             "--nofile=" + std::to_string(kDescriptorLimit) + ":" + std::to_string(kDescriptorLimit),
             "--",
             client_binary(),
             "-v",
             "-E",
             log_path_,
             "-F",
             "/dev/null",
             "-o",
             "StrictHostKeyChecking=yes",
             "-o",
             "UserKnownHostsFile=" + tmp_.file("known_hosts"),
             "-o",
             "GlobalKnownHostsFile=/dev/null",
             "-o",
             "BatchMode=yes",
             "-o",
             "IdentitiesOnly=yes",
             "-i",
             user_key.private_path,
             "-p",
             std::to_string(sshd_.port()),
             "-N",
             "-L",
             tcp_forward_spec(local_port_, echo_.port()),
             "root@127.0.0.1"};
    Env env = base_env();
    env.push_back("HOME=" + tmp_.str());
    env.push_back("USER=root");
    ASSERT_TRUE(client_.start(argv_, env, tmp_.file("client.out"), tmp_.file("client.err"))) << client_.error();
  }

  void TearDown() override {
    for (int fd : clients_) ::close(fd);
    client_.stop();
    if (HasFailure()) {
      std::cerr << "----- sshplex log -----\n"
                << tail_file(log_path_) << "----- sshplex stderr -----\n"
                << tail_file(client_.stderr_path()) << "-----\n";
    }
  }

  bool wait_for_forward(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!client_.running()) return false;
      if (echo_ping(Endpoint::tcp(local_port_), 2000ms)) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  std::string log_text() const { return read_file(log_path_); }

  SshdServer sshd_;
  EchoServer echo_;
  TempDir tmp_{"sshplex-fd"};
  int local_port_ = 0;
  std::string log_path_;
  std::vector<std::string> argv_;
  Process client_;
  std::vector<int> clients_;
};

TEST_F(FdExhaustion, RefusesCleanlyWithoutSpinningAndRecovers) {
  ASSERT_TRUE(wait_for_forward(20s)) << "forward never worked";
  const pid_t pid = client_.pid();
  // prlimit execs sshplex in place, so the child is sshplex itself.
  ASSERT_NE(read_file("/proc/" + std::to_string(pid) + "/cmdline").find("sshplex"), std::string::npos);
  EXPECT_NE(log_text().find("open file limit: " + std::to_string(kDescriptorLimit)), std::string::npos);

  for (int i = 0; i < kClients; ++i) {
    const int fd = connect_endpoint(Endpoint::tcp(local_port_));
    ASSERT_GE(fd, 0) << "connect " << i << " failed: the kernel backlog should hold waiting clients";
    clients_.push_back(fd);
  }
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (log_text().find(kExhausted) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_NE(log_text().find(kExhausted), std::string::npos) << "no exhaustion message";
  EXPECT_LE(open_descriptors(pid), static_cast<std::size_t>(kDescriptorLimit));

  // Clients are still waiting in the backlog, so the listening socket stays readable: a loop that
  // polled it regardless would burn a whole core. Allow a small fraction of one.
  const double before = cpu_seconds(pid);
  std::this_thread::sleep_for(2500ms);
  const double used = cpu_seconds(pid) - before;
  EXPECT_LT(used, 0.25) << "sshplex used " << used << " s of CPU in 2.5 s while out of descriptors";
  ASSERT_TRUE(client_.running()) << "sshplex exited while out of descriptors";
  EXPECT_EQ(count_occurrences(log_text(), kExhausted), 1u) << "the message is rate-limited";

  // A client accepted before the limit was reached still works end to end.
  const std::string probe = "still served";
  ASSERT_EQ(::send(clients_.front(), probe.data(), probe.size(), 0), static_cast<ssize_t>(probe.size()));
  std::string echoed(probe.size(), '\0');
  std::size_t got = 0;
  timeval tv{10, 0};
  ::setsockopt(clients_.front(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (got < echoed.size()) {
    const ssize_t r = ::recv(clients_.front(), echoed.data() + got, echoed.size() - got, 0);
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  EXPECT_EQ(echoed, probe);

  // Once the clients go, new ones are served again.
  for (int fd : clients_) ::close(fd);
  clients_.clear();
  EXPECT_TRUE(wait_for_forward(30s)) << "no new client served after descriptors were freed";
  EXPECT_TRUE(client_.running());

  // -E: every line of the file starts with a local timestamp.
  std::istringstream lines(log_text());
  std::string line;
  std::size_t count = 0;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(has_log_stamp(line)) << line;
    ++count;
  }
  EXPECT_GT(count, 3u);
  EXPECT_EQ(read_file(client_.stderr_path()).find(kExhausted), std::string::npos) << "-E: nothing on stderr";

  // A sanitizer build reports leaks and errors on stderr when it exits.
  client_.stop();
  EXPECT_EQ(read_file(client_.stderr_path()).find("Sanitizer"), std::string::npos);
}

}  // namespace
