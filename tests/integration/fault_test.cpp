// Faults between the gateway and a real sshd, and the gateway's recovery: its listeners stay up
// while the server is away, it reconnects by itself (exponential backoff with jitter, capped by
// ReconnectMaxDelay), ServerAlive* notices a silently dead path, and repeated reconnects leak
// neither descriptors nor memory. sshplex behaviour: stock ssh exits instead, so the tests skip for it.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/sanitizer.hpp"
#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/load_client.hpp"
#include "support/net.hpp"
#include "support/netns.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// How long the service may take to come back after the server does: the first retry is due within
// about a second and ReconnectMaxDelay=2 caps every later one, so 10 s leaves room for a slow CI.
constexpr milliseconds kRecovery = seconds(10);

// Short timers so every fault resolves in seconds. IgnoreUnknown keeps the command line valid for a
// build that lacks the reconnect keywords: the tests then fail on behaviour, not on option parsing.
std::vector<std::string> fault_options() {
  return {"IgnoreUnknown=Reconnect,ReconnectMaxDelay",
          "Reconnect=yes",
          "ReconnectMaxDelay=2",
          "ServerAliveInterval=1",
          "ServerAliveCountMax=2",
          "ConnectTimeout=3"};
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Lines of the client's log that announce a reconnect with its delay ("Reconnecting ... in 1.2 s: why").
std::vector<std::string> reconnect_lines(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (lower(line).find("reconnecting") != std::string::npos) out.push_back(line);
  }
  return out;
}

bool has_digit(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// SIGKILLs every per-connection sshd process (children of the listener, not the listener itself).
std::set<pid_t> kill_server_sessions(const SshdServer& sshd) {
  std::set<pid_t> killed;
  for (pid_t p : sshd.connection_pids()) {
    if (::kill(p, SIGKILL) == 0) killed.insert(p);
  }
  return killed;
}

// True once sshd has a session process that is not one of `old`.
bool has_new_session(const SshdServer& sshd, const std::set<pid_t>& old) {
  for (pid_t p : sshd.connection_pids()) {
    if (old.count(p) == 0) return true;
  }
  return false;
}

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    if (client_binary().find("sshplex") == std::string::npos) GTEST_SKIP() << "reconnecting is sshplex's own";
    user_key_ = &cached_key(KeyType::Ed25519, "user");
  }

  // sshd on loopback, an echo target, and the client with one -L and one -D.
  void start_on_loopback() {
    SshdOptions so;
    so.log_level = "VERBOSE";
    sshd_ = std::make_unique<SshdServer>(so);
    sshd_->authorize_key(user_key_->public_line);
    ASSERT_TRUE(sshd_->start());
    ASSERT_TRUE(sshd_->write_known_hosts(tmp_.file("known_hosts")));
    ASSERT_TRUE(echo_.start_tcp());
    fwd_ = tcp_forward_to(echo_.endpoint());
    socks_port_ = free_tcp_port();
    ClientOptions o = client_options_for(sshd_->port(), tmp_.file("known_hosts"), *user_key_);
    o.options = fault_options();
    o.local_forwards = {fwd_.spec};
    o.extra_args = {"-D", "127.0.0.1:" + std::to_string(socks_port_)};
    client_ = std::make_unique<ClientRun>(o);
    ASSERT_TRUE(client_->start());
    ASSERT_TRUE(client_->wait_forward(fwd_.listen));
  }

  // Polls a small echo through the -L forward until it works; fails at once if the client exited.
  ::testing::AssertionResult service_returns(milliseconds timeout, milliseconds* took = nullptr) {
    const auto t0 = Clock::now();
    while (Clock::now() - t0 < timeout) {
      if (!client_->running()) {
        return ::testing::AssertionFailure() << "sshplex exited instead of reconnecting";
      }
      if (echo_ping(fwd_.listen, milliseconds(1000))) {
        if (took != nullptr) *took = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
        return ::testing::AssertionSuccess();
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    return ::testing::AssertionFailure() << "the -L forward did not work again within " << timeout.count() << " ms";
  }

  ::testing::AssertionResult socks_works() {
    SocksLoadOptions o;
    o.proxy_port = socks_port_;
    o.target_port = echo_.port();
    o.connections = 4;
    o.deadline = seconds(10);
    const SocksLoadResult r = run_socks_load(o);
    if (r.ok == o.connections) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "SOCKS after the fault: " << r.summary();
  }

  void expect_reconnect_logged() {
    const auto lines = reconnect_lines(client_->stderr_text());
    ASSERT_FALSE(lines.empty()) << "no \"reconnecting\" line in the client log";
    EXPECT_TRUE(has_digit(lines.front())) << "the reconnect line names no delay: " << lines.front();
  }

  TempDir tmp_{"sshplex-fault"};
  const KeyPair* user_key_ = nullptr;
  std::unique_ptr<SshdServer> sshd_;
  EchoServer echo_;
  ForwardTarget fwd_;
  int socks_port_ = 0;
  std::unique_ptr<ClientRun> client_;
};

// (a) The server's session processes die (the listener survives): the gateway notices the closed
// connections, reconnects, and both the -L and the SOCKS service work again without intervention.
TEST_F(FaultTest, KilledServerSessionsAreReplacedAutomatically) {
  start_on_loopback();
  const std::set<pid_t> killed = kill_server_sessions(*sshd_);
  ASSERT_FALSE(killed.empty()) << "no sshd session process to kill";

  milliseconds took{0};
  ASSERT_TRUE(service_returns(kRecovery, &took));
  std::cerr << "[ fault   ] -L service back " << took.count() << " ms after the sessions were killed\n";
  EXPECT_TRUE(has_new_session(*sshd_, killed)) << "no new server session";
  EXPECT_TRUE(socks_works());
  expect_reconnect_logged();
}

// (b) sshd goes away entirely (connection refused for a while), then comes back on the same port.
TEST_F(FaultTest, ServiceReturnsAfterServerRestartOnSamePort) {
  start_on_loopback();
  sshd_->stop();
  // While the server is away the gateway keeps its listeners and keeps trying.
  const auto away = Clock::now();
  std::this_thread::sleep_for(milliseconds(1500));
  ASSERT_TRUE(client_->running()) << "sshplex exited when the server went away";
  for (const Endpoint& ep : {fwd_.listen, Endpoint::tcp(socks_port_)}) {
    const int fd = connect_endpoint(ep);
    EXPECT_GE(fd, 0) << "listener " << ep.describe() << " closed while the server was away";
    if (fd >= 0) ::close(fd);
  }
  const std::size_t attempts_early = reconnect_lines(client_->stderr_text()).size();
  std::this_thread::sleep_for(milliseconds(4000) - (Clock::now() - away));
  // With ReconnectMaxDelay=2 every pool slot retries at least once in any 2 s while refused (2.5 s
  // here, so a retry scheduled just before the first count still lands inside the window).
  EXPECT_GT(reconnect_lines(client_->stderr_text()).size(), attempts_early)
      << "no further reconnect attempts while the server was away";

  ASSERT_TRUE(sshd_->restart());
  milliseconds took{0};
  ASSERT_TRUE(service_returns(kRecovery, &took));
  std::cerr << "[ fault   ] -L service back " << took.count() << " ms after sshd restarted\n";
  EXPECT_TRUE(socks_works());
  expect_reconnect_logged();
}

// (c) The path goes silent (packets dropped, nothing reset) for 5 s: ServerAliveInterval 1 x 2 must
// declare the server dead, and once the path is back the gateway reconnects by itself. sshd runs in
// one network namespace, the gateway in another, joined by a veth pair that is blackholed.
TEST_F(FaultTest, SilentPathLossIsDetectedAndRecovered) {
  TESTSUPPORT_SKIP_IF(NetnsPair::unavailable_reason());
  NetnsPair net;
  ASSERT_TRUE(net.create());

  SshdOptions so;
  so.log_level = "VERBOSE";
  so.listen_address = "0.0.0.0";  // loopback for the readiness probe, the veth address for the client
  sshd_ = std::make_unique<SshdServer>(so);
  sshd_->authorize_key(user_key_->public_line);
  {
    NetnsScope in_server(net.server_ns());
    ASSERT_TRUE(in_server.ok()) << in_server.error();
    ASSERT_TRUE(sshd_->start());
    ASSERT_TRUE(echo_.start_tcp());  // 127.0.0.1 of the server namespace, where sshd connects
  }
  std::string known_hosts;
  for (const auto& l : sshd_->known_hosts_lines_for(net.server_address())) known_hosts += l + "\n";
  ASSERT_TRUE(write_file(tmp_.file("known_hosts"), known_hosts, 0644));

  NetnsScope in_client(net.client_ns());  // the client, its listeners and our probes live here
  ASSERT_TRUE(in_client.ok()) << in_client.error();
  fwd_ = tcp_forward_to(echo_.endpoint());
  ClientOptions o = client_options_for(sshd_->port(), tmp_.file("known_hosts"), *user_key_);
  o.host = net.server_address();
  o.options = fault_options();
  o.local_forwards = {fwd_.spec};
  client_ = std::make_unique<ClientRun>(o);
  ASSERT_TRUE(client_->start());
  ASSERT_TRUE(client_->wait_forward(fwd_.listen));

  // Let the pool's later connections come up too, so the cut hits established sessions only.
  std::this_thread::sleep_for(milliseconds(1000));
  const std::size_t lines_before = reconnect_lines(client_->stderr_text()).size();
  ASSERT_TRUE(net.blackhole());
  const auto cut = Clock::now();
  // Keepalive 1 s x 2: dead after about 3 s; allow 5 s for the notice. Only a reconnect announced
  // after the cut for a keepalive timeout counts (new connects into the blackhole fail differently).
  auto keepalive_notice = [&]() -> std::string {
    const auto lines = reconnect_lines(client_->stderr_text());
    for (std::size_t i = lines_before; i < lines.size(); ++i) {
      const std::string l = lower(lines[i]);
      if (l.find("not responding") != std::string::npos || l.find("timeout") != std::string::npos) return lines[i];
    }
    return {};
  };
  bool noticed = false;
  while (Clock::now() - cut < seconds(5) && !noticed) {
    noticed = !keepalive_notice().empty();
    if (!noticed) std::this_thread::sleep_for(milliseconds(100));
  }
  const auto noticed_after = std::chrono::duration_cast<milliseconds>(Clock::now() - cut);
  if (Clock::now() - cut < seconds(5)) std::this_thread::sleep_for(seconds(5) - (Clock::now() - cut));
  EXPECT_TRUE(client_->running()) << "sshplex exited during the outage";
  ASSERT_TRUE(net.restore());
  EXPECT_TRUE(noticed) << "the dead path was not detected within 5 s (no \"reconnecting\" line for a timeout)";
  if (noticed) {
    std::cerr << "[ fault   ] dead path noticed after " << noticed_after.count() << " ms: " << keepalive_notice()
              << "\n";
  }

  milliseconds took{0};
  ASSERT_TRUE(service_returns(kRecovery, &took));
  std::cerr << "[ fault   ] -L service back " << took.count() << " ms after the path was restored\n";
}

// (d) 100 kill/reconnect cycles. After the pool has settled, descriptors and memory at cycle 100
// must match cycle 10 within a small bound: a leak of one descriptor or one session's buffers per
// cycle would show as 90 descriptors or several MiB.
constexpr int kCycles = 100;
constexpr std::size_t kFdSlack = 4;            // a pool slot mid-handshake at sampling time
constexpr std::size_t kRssSlackKib = 4 * 1024;  // allocator noise; far below 90 leaked sessions
// Measured: 100 cycles in ~27 s, descriptors 14 -> 14, VmRSS unchanged between cycles 10 and 100.

TEST_F(FaultTest, HundredReconnectCyclesLeakNothing) {
  start_on_loopback();
  const pid_t pid = find_descendant_running(client_binary());
  ASSERT_GT(pid, 0);
  // Samples once the pool is back to full strength (both sessions up) so the counts are comparable.
  auto settled_sample = [&](std::size_t* fds, std::size_t* rss) {
    std::this_thread::sleep_for(milliseconds(1500));
    *fds = open_fd_count(pid).value_or(0);
    *rss = rss_kib(pid).value_or(0);
  };
  std::size_t fds10 = 0;
  std::size_t rss10 = 0;
  std::size_t fds100 = 0;
  std::size_t rss100 = 0;
  milliseconds worst{0};
  const auto t0 = Clock::now();
  for (int cycle = 1; cycle <= kCycles; ++cycle) {
    const std::set<pid_t> killed = kill_server_sessions(*sshd_);
    ASSERT_FALSE(killed.empty()) << "cycle " << cycle << ": no session to kill";
    milliseconds took{0};
    ASSERT_TRUE(service_returns(kRecovery, &took)) << "cycle " << cycle;
    worst = std::max(worst, took);
    if (cycle == 10) settled_sample(&fds10, &rss10);
    if (cycle == kCycles) settled_sample(&fds100, &rss100);
  }
  const auto total = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
  std::cerr << "[ fault   ] " << kCycles << " cycles in " << total.count() << " ms (worst recovery " << worst.count()
            << " ms); fds " << fds10 << " -> " << fds100 << ", VmRSS " << rss10 << " -> " << rss100 << " KiB\n";
  ASSERT_GT(fds10, 0u);
  ASSERT_GT(rss10, 0u);
  EXPECT_LE(fds100, fds10 + kFdSlack) << "descriptor leak across reconnects";
  if (kAddressSanitizer) {
    std::cerr << "[ fault   ] resident memory not bounded under AddressSanitizer (its quarantine keeps freed memory)\n";
  } else {
    EXPECT_LE(rss100, rss10 + kRssSlackKib) << "memory growth across reconnects";
  }
  EXPECT_TRUE(socks_works());
}

}  // namespace
