// The metrics endpoint (MetricsListen) of the real sshplex against a real sshd: scraped with curl
// while traffic flows, counters move by exactly what was sent; malformed, huge and excess requests
// get an error or a close and disturb nothing (scrapes, forwards and the descriptor count carry on);
// without the directive nothing listens; a port that cannot be bound fails the start.
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;
using namespace std::chrono_literals;

std::size_t open_fds(pid_t pid) {
  std::size_t n = 0;
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) return 0;
  while (const dirent* e = ::readdir(dir)) n += e->d_name[0] != '.';
  ::closedir(dir);
  return n;
}

// The descriptor count once it has not changed for half a second (closes finish asynchronously).
std::size_t settled_fds(pid_t pid, std::size_t want = 0, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t last = open_fds(pid);
  auto stable_since = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    const std::size_t now = open_fds(pid);
    if (now != last) {
      last = now;
      stable_since = std::chrono::steady_clock::now();
    } else if ((want == 0 || now == want) && std::chrono::steady_clock::now() - stable_since > 500ms) {
      break;
    }
  }
  return last;
}

// TCP sockets of `pid` in LISTEN state (its descriptors' inodes looked up in /proc/net/tcp{,6}).
std::size_t listening_sockets(pid_t pid) {
  std::set<std::string> inodes;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return 0;
  while (const dirent* e = ::readdir(d)) {
    char target[256] = {};
    const ssize_t n = ::readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    const std::string link(target, n > 0 ? static_cast<std::size_t>(n) : 0);
    if (link.starts_with("socket:[")) inodes.insert(link.substr(8, link.size() - 9));
  }
  ::closedir(d);
  std::size_t listening = 0;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string sl, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> sl >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
      if (state == "0A" && inodes.contains(inode)) ++listening;
    }
  }
  return listening;
}

std::string scrape(int port) {
  std::string out;
  run_quiet({"curl", "-sS", "--max-time", "10", "http://127.0.0.1:" + std::to_string(port) + "/metrics"}, &out, 15s);
  return out;
}

// The sum of the samples of `name` whose labels contain every fragment; -1 when there is none.
double metric(const std::string& text, const std::string& name, const std::vector<std::string>& fragments = {}) {
  std::istringstream in(text);
  std::string line;
  double sum = -1;
  while (std::getline(in, line)) {
    if (!line.starts_with(name + "{") && !line.starts_with(name + " ")) continue;
    bool all = true;
    for (const auto& f : fragments) all = all && line.find(f) != std::string::npos;
    if (!all) continue;
    sum = (sum < 0 ? 0 : sum) + std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// Sends `request` on a fresh connection and returns whatever came back until the server closed
// (or 10 s passed). Send errors are ignored: a server may answer and close before reading it all.
std::string http_exchange(int port, const std::string& request) {
  const int fd = connect_endpoint(Endpoint::tcp(port), 10s);
  if (fd < 0) return "<connect failed>";
  std::size_t off = 0;
  while (off < request.size()) {
    const ssize_t n = ::send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  std::string reply;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return reply;
}

bool is_sshplex() {
  return client_binary().find("sshplex") != std::string::npos;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    if (!is_sshplex()) GTEST_SKIP() << "MetricsListen is sshplex's own";
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    sshd_.authorize_key(cached_key(KeyType::Ed25519, "user").public_line);
    ASSERT_TRUE(sshd_.start());
    ASSERT_TRUE(sshd_.write_known_hosts(tmp_.file("known_hosts")));
    ASSERT_TRUE(echo_.start_tcp());
  }
  ClientOptions options(bool with_metrics = true) {
    ClientOptions o = client_options_for(sshd_.port(), tmp_.file("known_hosts"), cached_key(KeyType::Ed25519, "user"));
    o.local_forwards = {good_.spec};
    if (with_metrics) o.options.push_back("MetricsListen=" + std::to_string(metrics_port_));
    return o;
  }
  std::string forward_label(const ForwardTarget& f) const {
    return "forward=\"127.0.0.1:" + std::to_string(f.listen.port) + ":";
  }

  TempDir tmp_{"sshplex-metrics"};
  SshdServer sshd_;
  EchoServer echo_;
  ForwardTarget good_;  // -L to the echo server, set by each test
  int metrics_port_ = free_tcp_port();
};

TEST_F(MetricsTest, CountersMoveByWhatWasSent) {
  good_ = tcp_forward_to(echo_.endpoint());
  const ForwardTarget dead = tcp_forward_to(Endpoint::tcp(free_tcp_port()));  // nothing listens there
  const int socks_port = free_tcp_port();
  ClientOptions o = options();
  o.local_forwards.push_back(dead.spec);
  const int remote_port = free_tcp_port();  // sshd listens there for -R
  o.extra_args = {"-D", "127.0.0.1:" + std::to_string(socks_port), "-R",
                  "127.0.0.1:" + std::to_string(remote_port) + ":" + echo_.endpoint().describe()};
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(good_.listen));
  ASSERT_TRUE(wait_for_port(metrics_port_, 10s));

  const std::string before = scrape(metrics_port_);
  const std::vector<std::string> good = {"kind=\"local\"", forward_label(good_)};
  ASSERT_GE(metric(before, "sshplex_forward_opens_total", good), 1) << before;  // wait_forward's ping
  EXPECT_EQ(metric(before, "sshplex_connection_up", {"connection=\"1\""}), 1) << before;
  EXPECT_GE(metric(before, "sshplex_connection_logins_total", {"connection=\"1\""}), 1);
  EXPECT_GE(metric(before, "sshplex_pool_connections"), 1);
  EXPECT_GE(metric(before, "sshplex_pool_connections_wanted"), 1);
  EXPECT_EQ(metric(before, "sshplex_forward_clients", {"kind=\"dynamic\""}), 0) << before;
  EXPECT_GT(metric(before, "process_resident_memory_bytes"), 0);
  EXPECT_GT(metric(before, "process_max_fds"), 0);
  EXPECT_GT(metric(before, "process_start_time_seconds"), 1.6e9);

  // Three clients, each N bytes each way through the echo: the payload counters move by exactly 3N.
  constexpr std::size_t kBytes = 1024 * 1024 + 17;
  for (int i = 0; i < 3; ++i) {
    const TransferResult r = echo_transfer(good_.listen, kBytes, 40 + static_cast<std::uint64_t>(i));
    ASSERT_TRUE(r.ok) << r.error;
  }
  const std::string after = scrape(metrics_port_);
  EXPECT_EQ(metric(after, "sshplex_forward_sent_bytes_total", good) -
                metric(before, "sshplex_forward_sent_bytes_total", good),
            3.0 * kBytes);
  EXPECT_EQ(metric(after, "sshplex_forward_received_bytes_total", good) -
                metric(before, "sshplex_forward_received_bytes_total", good),
            3.0 * kBytes);
  EXPECT_EQ(metric(after, "sshplex_forward_opens_total", good) - metric(before, "sshplex_forward_opens_total", good),
            3);
  // The connection's wire bytes include the payload plus SSH framing.
  EXPECT_GE(
      metric(after, "sshplex_connection_sent_bytes_total") - metric(before, "sshplex_connection_sent_bytes_total"),
      3.0 * kBytes);
  EXPECT_GE(metric(after, "sshplex_connection_received_bytes_total") -
                metric(before, "sshplex_connection_received_bytes_total"),
            3.0 * kBytes);
  // Measured on the loop's millisecond clock: present once a channel opened, 0 on loopback.
  EXPECT_GE(metric(after, "sshplex_connection_rtt_seconds", {"connection=\"1\""}), 0) << after;

  // A remote forward: channels the server opened and we accepted, payload as above.
  ASSERT_TRUE(wait_for_port(remote_port, 10s));
  const std::vector<std::string> remote = {"kind=\"remote\""};
  // The readiness probe's connection is one channel too: counted once it reached sshplex.
  std::string probed = scrape(metrics_port_);
  // Until the probe's channel was counted and is gone again (its close travels through sshd).
  for (int i = 0; i < 100 && (metric(probed, "sshplex_forward_opens_total", remote) < 1 ||
                              metric(probed, "sshplex_forward_clients", remote) != 0);
       ++i) {
    std::this_thread::sleep_for(50ms);
    probed = scrape(metrics_port_);
  }
  ASSERT_EQ(metric(probed, "sshplex_forward_opens_total", remote), 1) << probed;
  EXPECT_EQ(metric(probed, "sshplex_forward_clients", remote), 0) << "the probe's channel is gone";
  {
    // A client held open through the server counts as one until it leaves.
    const int held = connect_endpoint(Endpoint::tcp(remote_port), 10s);
    ASSERT_GE(held, 0);
    std::string seen = scrape(metrics_port_);
    for (int i = 0; i < 100 && metric(seen, "sshplex_forward_clients", remote) < 1; ++i) {
      std::this_thread::sleep_for(50ms);
      seen = scrape(metrics_port_);
    }
    EXPECT_EQ(metric(seen, "sshplex_forward_clients", remote), 1) << seen;
    ::close(held);
    for (int i = 0; i < 100 && metric(seen, "sshplex_forward_clients", remote) > 0; ++i) {
      std::this_thread::sleep_for(50ms);
      seen = scrape(metrics_port_);
    }
    EXPECT_EQ(metric(seen, "sshplex_forward_clients", remote), 0) << seen;
    probed = seen;
  }
  const double remote_opens = metric(probed, "sshplex_forward_opens_total", remote);
  ASSERT_EQ(remote_opens, 2) << probed;
  const double remote_sent = metric(probed, "sshplex_forward_sent_bytes_total", remote);
  const double remote_received = metric(probed, "sshplex_forward_received_bytes_total", remote);
  const TransferResult through_server = echo_transfer(Endpoint::tcp(remote_port), kBytes, 50);
  ASSERT_TRUE(through_server.ok) << through_server.error;
  const std::string after_remote = scrape(metrics_port_);
  EXPECT_EQ(metric(after_remote, "sshplex_forward_opens_total", remote) - remote_opens, 1) << after_remote;
  EXPECT_EQ(metric(after_remote, "sshplex_forward_sent_bytes_total", remote) - remote_sent, 1.0 * kBytes);
  EXPECT_EQ(metric(after_remote, "sshplex_forward_received_bytes_total", remote) - remote_received, 1.0 * kBytes);

  // A forward to a closed port: the server's refusal is counted as connect_failed.
  const std::vector<std::string> refused = {forward_label(dead), "reason=\"connect_failed\""};
  EXPECT_EQ(metric(after, "sshplex_forward_open_failures_total", refused), 0) << after;
  EXPECT_FALSE(echo_transfer(dead.listen, 16, 9, 10s).ok);
  EXPECT_EQ(metric(scrape(metrics_port_), "sshplex_forward_open_failures_total", refused), 1);
  EXPECT_EQ(metric(scrape(metrics_port_), "sshplex_forward_opens_total", {forward_label(dead)}), 0);

  // The process's descriptors as it counts them while serving the scrape: the idle count plus the
  // scrape's own connection.
  const std::size_t idle = settled_fds(client.pid());
  EXPECT_EQ(metric(scrape(metrics_port_), "process_open_fds"), static_cast<double>(idle + 1));
}

TEST_F(MetricsTest, BadRequestsGetAnErrorAndDisturbNothing) {
  good_ = tcp_forward_to(echo_.endpoint());
  ClientRun client(options());
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(good_.listen));
  ASSERT_TRUE(wait_for_port(metrics_port_, 10s));
  ASSERT_NE(scrape(metrics_port_).find("sshplex_connection_up"), std::string::npos);
  const std::size_t baseline = settled_fds(client.pid());

  const std::string garbage = http_exchange(metrics_port_, "\x01\x02 garbage \xff\r\n\r\n");
  EXPECT_TRUE(garbage.empty() || garbage.starts_with("HTTP/1.1 400")) << garbage.substr(0, 200);

  const std::string huge = http_exchange(
      metrics_port_, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1 << 20, 'a') + "\r\n\r\n");
  // An error status, or a close before it could be read (the unread megabyte resets the connection).
  EXPECT_TRUE(huge.empty() || huge.starts_with("HTTP/1.1 4")) << huge.substr(0, 200);
  EXPECT_EQ(huge.find("sshplex_"), std::string::npos);

  const std::string post = http_exchange(
      metrics_port_, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
  EXPECT_TRUE(post.starts_with("HTTP/1.1 405")) << post.substr(0, 200);
  EXPECT_NE(post.find("Allow: GET, HEAD"), std::string::npos) << post;
  const std::string body = http_exchange(
      metrics_port_, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
  EXPECT_TRUE(body.starts_with("HTTP/1.1 413")) << body.substr(0, 200);
  const std::string other = http_exchange(metrics_port_, "GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(other.starts_with("HTTP/1.1 404")) << other.substr(0, 200);
  const std::string head =
      http_exchange(metrics_port_, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200")) << head.substr(0, 200);
  EXPECT_NE(head.find("text/plain; version=0.0.4"), std::string::npos) << head;
  EXPECT_EQ(head.find("sshplex_"), std::string::npos) << "HEAD has no body";

  // 50 idle connections: those beyond the limits are closed at once, the rest after the idle timeout.
  std::vector<int> idle;
  for (int i = 0; i < 50; ++i) {
    const int fd = connect_endpoint(Endpoint::tcp(metrics_port_), 15s);
    if (fd >= 0) idle.push_back(fd);
  }
  // Each must be closed by the server (EOF or reset) well before the test's own 15 s receive
  // timeout: the idle ones after kConnectionTimeoutSeconds (5 s), the rest at once.
  const auto idle_start = std::chrono::steady_clock::now();
  int closed = 0;
  for (int fd : idle) {
    char c;
    const ssize_t n = ::recv(fd, &c, 1, 0);
    closed += n == 0 || (n < 0 && errno == ECONNRESET);
    ::close(fd);
  }
  EXPECT_EQ(closed, static_cast<int>(idle.size())) << "connections the server left open";
  EXPECT_LT(std::chrono::steady_clock::now() - idle_start, 12s) << "idle connections outlived the idle timeout";

  const std::string after = scrape(metrics_port_);
  EXPECT_EQ(metric(after, "sshplex_connection_up", {"connection=\"1\""}), 1) << after;
  const TransferResult r = echo_transfer(good_.listen, 256 * 1024, 7);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(settled_fds(client.pid(), baseline), baseline);
  EXPECT_TRUE(client.running());
}

TEST_F(MetricsTest, OffUnlessSet) {
  good_ = tcp_forward_to(echo_.endpoint());
  ClientRun without(options(false));
  ASSERT_TRUE(without.start());
  ASSERT_TRUE(without.wait_forward(good_.listen));
  EXPECT_EQ(listening_sockets(without.pid()), 1u) << "only the -L listener";
  EXPECT_FALSE(wait_for_port(metrics_port_, 200ms));
  without.stop();

  good_ = tcp_forward_to(echo_.endpoint());
  ClientRun with(options());
  ASSERT_TRUE(with.start());
  ASSERT_TRUE(with.wait_forward(good_.listen));
  EXPECT_EQ(listening_sockets(with.pid()), 2u) << "the -L listener and the endpoint";
}

// The endpoint applies at start: a reload that changes MetricsListen says a restart is needed and
// the endpoint stays where it was.
TEST_F(MetricsTest, ReloadKeepsTheEndpointAndSaysARestartIsNeeded) {
  good_ = tcp_forward_to(echo_.endpoint());
  const std::string config = tmp_.file("metrics.conf");
  write_file(config, "Host *\n  MetricsListen " + std::to_string(metrics_port_) + "\n");
  ClientOptions o = options(false);
  o.extra_args = {"-F", config};
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(good_.listen));
  ASSERT_TRUE(wait_for_port(metrics_port_, 10s));
  const int other_port = free_tcp_port();
  write_file(config, "Host *\n  MetricsListen " + std::to_string(other_port) + "\n");
  ::kill(client.pid(), SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (client.stderr_text().find("Configuration reloaded") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_NE(client.stderr_text().find("MetricsListen changed; restart sshplex to apply it"), std::string::npos)
      << client.stderr_text();
  EXPECT_EQ(metric(scrape(metrics_port_), "sshplex_connection_up", {"connection=\"1\""}), 1);
  EXPECT_FALSE(wait_for_port(other_port, 200ms));
}

TEST_F(MetricsTest, PortInUseFailsTheStart) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(static_cast<std::uint16_t>(metrics_port_));
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  good_ = tcp_forward_to(echo_.endpoint());
  ClientRun client(options());
  ASSERT_TRUE(client.start());
  const ProcessResult r = client.wait_exit(20s);
  ::close(fd);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 255);
  EXPECT_NE(client.stderr_text().find("cannot listen for metrics on 127.0.0.1:" + std::to_string(metrics_port_)),
            std::string::npos)
      << client.stderr_text();
}

}  // namespace
