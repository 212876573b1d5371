// The gateway's own life cycle against a real sshd: the connection pool (PoolSize), the bounded
// wait of clients while no connection is up, draining on SIGTERM (DrainTimeout), reloading the
// configuration on SIGHUP without dropping established connections, and the SIGUSR1 status lines.
// These are sshplex behaviours; stock ssh has none of them, so the tests skip for it.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// A client connection held open through a forward: one byte out, the same byte back.
class HeldConnection {
 public:
  explicit HeldConnection(const Endpoint& ep) : fd_(connect_endpoint(ep)) {}
  ~HeldConnection() { close(); }
  HeldConnection(const HeldConnection&) = delete;
  HeldConnection& operator=(const HeldConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool echo(char c, milliseconds timeout = milliseconds(5000)) {
    if (fd_ < 0 || ::send(fd_, &c, 1, MSG_NOSIGNAL) != 1) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
    char back = 0;
    return ::recv(fd_, &back, 1, 0) == 1 && back == c;
  }
  // True when the peer closed (EOF or reset) within the timeout.
  bool closed_by_peer(milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
    char buf[64];
    return ::recv(fd_, buf, sizeof buf, 0) <= 0;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

bool wait_until(const std::function<bool()>& condition, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return condition();
}

bool refuses_connections(int port) {
  const int fd = connect_endpoint(Endpoint::tcp(port));
  if (fd >= 0) ::close(fd);
  return fd < 0;
}

// Asks for the status view (SIGUSR1) until it reports `n` connections up.
bool wait_connections_up(ClientRun& client, int n, int pool) {
  const std::string wanted = std::to_string(n) + " of " + std::to_string(pool) + " connections up";
  return wait_until([&] {
    ::kill(client.pid(), SIGUSR1);
    std::this_thread::sleep_for(milliseconds(100));
    return client.stderr_text().find(wanted) != std::string::npos;
  }, seconds(15));
}

class Gateway : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    if (client_binary().find("sshplex") == std::string::npos) GTEST_SKIP() << "sshplex-only behaviour";
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    sshd_.authorize_key(cached_key(KeyType::Ed25519, "user").public_line);
    ASSERT_TRUE(sshd_.start());
    ASSERT_TRUE(sshd_.write_known_hosts(tmp_.file("known_hosts")));
    ASSERT_TRUE(echo_.start_tcp());
  }
  ClientOptions options() const {
    return client_options_for(sshd_.port(), tmp_.file("known_hosts"), cached_key(KeyType::Ed25519, "user"));
  }
  // The client with one -L to the echo server and extra -o settings.
  ClientOptions forward_options(const ForwardTarget& fwd, std::vector<std::string> extra) const {
    ClientOptions o = options();
    o.local_forwards = {fwd.spec};
    for (auto& opt : extra) o.options.push_back(std::move(opt));
    return o;
  }
  std::size_t logins() const { return count_occurrences(sshd_.log(), "Accepted publickey for root"); }

  TempDir tmp_{"sshplex-pool"};
  SshdServer sshd_;
  EchoServer echo_;
};

TEST_F(Gateway, PoolOpensItsConnectionsAndSpreadsChannels) {
  ForwardTarget fwd = tcp_forward_to(echo_.endpoint());
  ClientRun client(forward_options(fwd, {"PoolSize=3"}));
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(fwd.listen));
  EXPECT_TRUE(wait_until([&] { return logins() == 3; }, seconds(15))) << "logins seen: " << logins();
  ASSERT_TRUE(wait_connections_up(client, 3, 3));

  std::vector<std::unique_ptr<HeldConnection>> held;
  for (int i = 0; i < 6; ++i) {
    held.push_back(std::make_unique<HeldConnection>(fwd.listen));
    ASSERT_TRUE(held.back()->echo(static_cast<char>('a' + i)));
  }
  // The status view (SIGUSR1) shows where the channels went: two on each connection.
  ::kill(client.pid(), SIGUSR1);
  EXPECT_TRUE(wait_until([&] { return client.stderr_text().find(", 6 channels") != std::string::npos; }, seconds(5)));
  std::this_thread::sleep_for(milliseconds(100));  // the per-connection lines follow the summary
  const std::string err = client.stderr_text();
  EXPECT_EQ(count_occurrences(err, ", 2 channels"), 3u) << err;
  EXPECT_NE(err.find("3 of 3 connections up, 6 channels"), std::string::npos) << err;
}

// Beyond ChannelsPerConnection the pool opens extra connections (up to PoolMaxSize) for new
// channels, and closes them again once they have been empty for PoolIdleTimeout.
TEST_F(Gateway, PoolGrowsUnderLoadAndShrinksWhenIdle) {
  ForwardTarget fwd = tcp_forward_to(echo_.endpoint());
  ClientRun client(forward_options(
      fwd, {"PoolSize=1", "PoolMaxSize=3", "ChannelsPerConnection=4", "PoolIdleTimeout=1"}));
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(fwd.listen));
  ASSERT_TRUE(wait_connections_up(client, 1, 1));

  std::vector<std::unique_ptr<HeldConnection>> held;
  auto hold = [&](int n) {
    for (int i = 0; i < n; ++i) {
      held.push_back(std::make_unique<HeldConnection>(fwd.listen));
      if (!held.back()->echo('x')) return false;
    }
    return true;
  };
  // The fourth channel finds the only connection at 3/4 of its limit: a second one is opened.
  ASSERT_TRUE(hold(3));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(logins(), 1u) << "grew before the connection was loaded";
  ASSERT_TRUE(hold(1));
  ASSERT_TRUE(wait_connections_up(client, 2, 2));
  // Connection 1 is full (4): the next ones go to connection 2; its fourth makes a third.
  ASSERT_TRUE(hold(4));
  ASSERT_TRUE(wait_connections_up(client, 3, 3));
  // PoolMaxSize caps the growth: beyond every limit channels still open, on the least loaded.
  ASSERT_TRUE(hold(6));
  ::kill(client.pid(), SIGUSR1);
  EXPECT_TRUE(wait_until([&] { return client.stderr_text().find("3 of 3 connections up, 14 channels") != std::string::npos; },
                         seconds(5)))
      << client.stderr_text();
  EXPECT_EQ(logins(), 3u);

  // Empty again: the extra connections close after PoolIdleTimeout; the pool keeps PoolSize.
  const std::size_t before = client.stderr_text().size();
  held.clear();
  EXPECT_TRUE(wait_until([&] {
    ::kill(client.pid(), SIGUSR1);
    std::this_thread::sleep_for(milliseconds(100));
    return client.stderr_text().find("1 of 1 connections up, 0 channels", before) != std::string::npos;
  }, seconds(15)));
  EXPECT_EQ(count_occurrences(client.stderr_text().substr(before), ": not needed any more (empty for"), 2u);
  ASSERT_TRUE(hold(1));
  EXPECT_EQ(logins(), 3u);
}

TEST_F(Gateway, PoolKeepsServingWhenOneConnectionDies) {
  ForwardTarget fwd = tcp_forward_to(echo_.endpoint());
  ClientRun client(forward_options(fwd, {"PoolSize=2"}));
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(fwd.listen));
  ASSERT_TRUE(wait_until([&] { return logins() == 2; }, seconds(15)));
  ASSERT_TRUE(wait_connections_up(client, 2, 2));
  HeldConnection a(fwd.listen);
  HeldConnection b(fwd.listen);
  ASSERT_TRUE(a.echo('a'));
  ASSERT_TRUE(b.echo('b'));
  // One server-side session process goes away: its channel's client sees a close, the other
  // channel keeps working, and the pool logs in again by itself.
  std::vector<pid_t> pids = sshd_.connection_pids();
  ASSERT_FALSE(pids.empty());
  ::kill(pids.front(), SIGKILL);
  const bool a_closed = a.closed_by_peer(seconds(5));
  const bool b_closed = !a_closed && b.closed_by_peer(seconds(5));
  EXPECT_TRUE(a_closed || b_closed) << "the channel on the dead connection was not closed";
  HeldConnection& survivor = a_closed ? b : a;
  EXPECT_TRUE(survivor.echo('s')) << "the channel on the healthy connection was disturbed";
  EXPECT_TRUE(wait_until([&] { return logins() == 3; }, seconds(15))) << "no re-login after the loss";
  EXPECT_TRUE(echo_transfer(fwd.listen, 256 * 1024, 3).ok);
  EXPECT_NE(client.stderr_text().find("Reconnecting to"), std::string::npos);
  EXPECT_TRUE(client.running());
}

TEST_F(Gateway, ClientsWaitBoundedWhileNoConnectionIsUp) {
  ForwardTarget fwd = tcp_forward_to(echo_.endpoint());
  ClientRun client(forward_options(fwd, {"PoolSize=1", "TransportWaitTimeout=2"}));
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(fwd.listen));
  sshd_.stop();
  ASSERT_TRUE(wait_until([&] { return client.stderr_text().find("Reconnecting to") != std::string::npos; },
                         seconds(10)));
  // The listener stays open; a client is held, then refused once the wait runs out.
  HeldConnection c(fwd.listen);
  ASSERT_TRUE(c.connected()) << "the listener closed while the server was away";
  const auto start = Clock::now();
  EXPECT_TRUE(c.closed_by_peer(seconds(10)));
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, milliseconds(1500)) << "the client was not allowed to wait";
  EXPECT_LT(waited, seconds(6)) << "TransportWaitTimeout=2 not honoured";
  EXPECT_TRUE(client.running());
}

TEST_F(Gateway, SigtermDrainsOpenConnectionsThenExitsZero) {
  ForwardTarget fwd = tcp_forward_to(echo_.endpoint());
  ClientRun client(forward_options(fwd, {"DrainTimeout=30"}));
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(fwd.listen));
  HeldConnection held(fwd.listen);
  ASSERT_TRUE(held.echo('x'));
  ::kill(client.pid(), SIGTERM);
  EXPECT_TRUE(wait_until([&] { return refuses_connections(fwd.listen.port); }, seconds(5)))
      << "still accepting after SIGTERM";
  EXPECT_TRUE(held.echo('y')) << "an open connection was cut instead of drained";
  EXPECT_TRUE(client.running());
  held.close();
  ProcessResult r = client.wait_exit(seconds(10));
  EXPECT_FALSE(r.timed_out) << "did not exit once drained";
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 0);
}

TEST_F(Gateway, DrainTimeoutBoundsTheWait) {
  ForwardTarget fwd = tcp_forward_to(echo_.endpoint());
  ClientRun client(forward_options(fwd, {"DrainTimeout=1"}));
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(fwd.listen));
  HeldConnection held(fwd.listen);
  ASSERT_TRUE(held.echo('x'));
  const auto start = Clock::now();
  ::kill(client.pid(), SIGTERM);
  ProcessResult r = client.wait_exit(seconds(10));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_LT(Clock::now() - start, seconds(5));
  EXPECT_TRUE(held.closed_by_peer(seconds(2)));
}

TEST_F(Gateway, SighupAppliesForwardChangesWithoutDroppingConnections) {
  ForwardTarget first = tcp_forward_to(echo_.endpoint());
  ForwardTarget second = tcp_forward_to(echo_.endpoint());
  const std::string config = tmp_.file("gateway.conf");
  auto write_config = [&](const ForwardTarget& fwd) {
    write_file(config, "Host *\n  LocalForward " + std::to_string(fwd.listen.port) + " " +
                           echo_.endpoint().describe() + "\n");
  };
  write_config(first);
  ClientOptions o = options();
  o.extra_args = {"-F", config};
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(first.listen));
  HeldConnection held(first.listen);
  ASSERT_TRUE(held.echo('x'));

  write_config(second);
  ::kill(client.pid(), SIGHUP);
  ASSERT_TRUE(client.wait_forward(second.listen, seconds(10)));
  EXPECT_TRUE(wait_until([&] { return refuses_connections(first.listen.port); }, seconds(5)))
      << "the removed forward still accepts";
  EXPECT_TRUE(held.echo('y')) << "reload dropped an established connection";
  EXPECT_NE(client.stderr_text().find("Configuration reloaded"), std::string::npos);

  // A broken file is reported and the running configuration stays.
  write_file(config, "Host *\n  LocalForward nonsense\n");
  ::kill(client.pid(), SIGHUP);
  EXPECT_TRUE(wait_until([&] { return client.stderr_text().find("not reloaded") != std::string::npos; }, seconds(5)));
  EXPECT_TRUE(echo_transfer(second.listen, 64 * 1024, 5).ok);
  EXPECT_TRUE(client.running());
}

}  // namespace

namespace {

TEST_F(Gateway, ReloadNeverTurnsAProtectedSocksListenerIntoAnOpenProxy) {
  const int port = free_tcp_port();
  const std::string credentials = tmp_.file("socks-users");
  write_file(credentials, "alice:wonderland\n");
  ASSERT_EQ(::chmod(credentials.c_str(), 0600), 0);
  const std::string config = tmp_.file("gateway.conf");
  const std::string listener = "Host *\n  GatewayPorts yes\n  DynamicForward *:" + std::to_string(port) + "\n";
  write_file(config, listener + "  SocksCredentialsFile " + credentials + "\n");
  ClientOptions o = options();
  o.extra_args = {"-F", config};
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(wait_for_port(port, seconds(20)));

  // The credentials line disappears: the listener on every interface must close, not open up.
  write_file(config, listener);
  ::kill(client.pid(), SIGHUP);
  EXPECT_TRUE(wait_until([&] { return refuses_connections(port); }, seconds(5)))
      << "the SOCKS listener kept running without authentication";
  EXPECT_NE(client.stderr_text().find("refusing dynamic forward"), std::string::npos) << client.stderr_text();
  EXPECT_TRUE(client.running());
}

}  // namespace

namespace {

TEST_F(Gateway, RemoteForwardComesBackAfterTheServerSideDies) {
  const int remote_port = free_tcp_port();
  ClientOptions o = options();
  o.extra_args = {"-R", std::to_string(remote_port) + ":" + echo_.endpoint().describe()};
  o.options.push_back("ReconnectMaxDelay=2");
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  const Endpoint remote = Endpoint::tcp(remote_port);
  ASSERT_TRUE(wait_until([&] { return echo_ping(remote, milliseconds(500)); }, seconds(20)));

  // Every server-side session process dies, and with them the server's listening socket.
  for (pid_t p : sshd_.connection_pids()) ::kill(p, SIGKILL);
  const auto start = Clock::now();
  ASSERT_TRUE(wait_until([&] { return !echo_ping(remote, milliseconds(200)); }, seconds(5)));
  EXPECT_TRUE(wait_until([&] { return echo_ping(remote, milliseconds(500)); }, seconds(20)))
      << "the remote forward was not requested again after reconnecting";
  EXPECT_LT(Clock::now() - start, seconds(20));
  EXPECT_TRUE(echo_transfer(remote, 256 * 1024, 11).ok);
  EXPECT_TRUE(client.running());
}

}  // namespace
