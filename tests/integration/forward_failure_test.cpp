// End-to-end failure handling of the client around forwards: no server, a server that never speaks,
// a forward whose remote end refuses, and a server that goes away mid-session. Each must end (or
// carry on) promptly and with the ssh-compatible exit status, never hang.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "support/client_run.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;

constexpr auto kBound = std::chrono::seconds(30);

class ForwardFailure : public ::testing::Test {
 protected:
  void SetUp() override { TESTSUPPORT_SKIP_IF(client_unavailable_reason()); }
  TempDir tmp_{"sshplex-fail"};
};

TEST_F(ForwardFailure, NothingListeningExits255) {
  ClientOptions o = client_options_for(free_tcp_port(), tmp_.file("known_hosts"), cached_key(KeyType::Ed25519, "user"));
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ProcessResult r = client.wait_exit(kBound);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 255);
}

TEST_F(ForwardFailure, SilentServerHitsConnectTimeout) {
  // Accepts TCP connections (kernel backlog) but never sends an identification string.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);

  ClientOptions o =
      client_options_for(ntohs(sa.sin_port), tmp_.file("known_hosts"), cached_key(KeyType::Ed25519, "user"));
  o.options.push_back("ConnectTimeout=2");
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  auto start = std::chrono::steady_clock::now();
  ProcessResult r = client.wait_exit(kBound);
  ::close(fd);
  EXPECT_FALSE(r.timed_out) << "ConnectTimeout did not cover the silent banner exchange";
  EXPECT_EQ(r.exit_code, 255);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8)) << "ConnectTimeout=2 not honoured";
}

class ForwardFailureWithSshd : public ForwardFailure {
 protected:
  void SetUp() override {
    ForwardFailure::SetUp();
    if (IsSkipped()) return;
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    sshd_.authorize_key(cached_key(KeyType::Ed25519, "user").public_line);
    ASSERT_TRUE(sshd_.start());
    ASSERT_TRUE(sshd_.write_known_hosts(tmp_.file("known_hosts")));
    ASSERT_TRUE(echo_.start_tcp());
  }
  ClientOptions options() const {
    return client_options_for(sshd_.port(), tmp_.file("known_hosts"), cached_key(KeyType::Ed25519, "user"));
  }
  SshdServer sshd_;
  EchoServer echo_;
};

TEST_F(ForwardFailureWithSshd, RefusedRemoteEndClosesOnlyThatConnection) {
  ForwardTarget good = tcp_forward_to(echo_.endpoint());
  ForwardTarget dead = tcp_forward_to(Endpoint::tcp(free_tcp_port()));  // nothing listens there
  ClientOptions o = options();
  o.local_forwards = {good.spec, dead.spec};
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(good.listen));

  for (int i = 0; i < 3; ++i) {
    TransferResult r = echo_transfer(dead.listen, 1024, 9, std::chrono::seconds(10));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error.find("timed out"), std::string::npos) << "refused channel left the local connection hanging";
  }
  EXPECT_TRUE(client.running()) << "a refused channel open must not end the session";
  TransferResult r = echo_transfer(good.listen, 512 * 1024, 10);
  EXPECT_TRUE(r.ok) << r.error;
}

// sshplex pools connections and reconnects by default (see pool_test.cpp); with one connection
// and Reconnect=no it ends as ssh does.
std::vector<std::string> no_reconnect() {
  if (client_binary().find("sshplex") == std::string::npos) return {};
  return {"Reconnect=no", "PoolSize=1"};
}

TEST_F(ForwardFailureWithSshd, ServerGoneEndsClientWith255) {
  ForwardTarget fwd = tcp_forward_to(echo_.endpoint());
  ClientOptions o = options();
  o.local_forwards = {fwd.spec};
  for (auto& opt : no_reconnect()) o.options.push_back(opt);
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(fwd.listen));
  sshd_.stop();  // the listener and the per-connection processes
  ProcessResult r = client.wait_exit(kBound);
  EXPECT_FALSE(r.timed_out) << "client did not notice the server went away";
  EXPECT_EQ(r.exit_code, 255);
}

TEST_F(ForwardFailureWithSshd, ServerAliveDetectsAFrozenServer) {
  ForwardTarget fwd = tcp_forward_to(echo_.endpoint());
  ClientOptions o = options();
  o.local_forwards = {fwd.spec};
  o.options.push_back("ServerAliveInterval=1");
  for (auto& opt : no_reconnect()) o.options.push_back(opt);
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(fwd.listen));
  // Freeze the session processes: the TCP connection stays up but nothing answers.
  std::vector<pid_t> frozen = sshd_.connection_pids();
  ASSERT_FALSE(frozen.empty());
  for (pid_t p : frozen) ::kill(p, SIGSTOP);
  auto start = std::chrono::steady_clock::now();
  ProcessResult r = client.wait_exit(kBound);
  for (pid_t p : frozen) ::kill(p, SIGCONT);
  EXPECT_FALSE(r.timed_out) << "ServerAliveInterval=1 did not detect the unresponsive server";
  EXPECT_EQ(r.exit_code, 255);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
}

TEST_F(ForwardFailureWithSshd, LoginNameFromDashL) {
  ClientOptions o = options();
  o.user.clear();
  o.extra_args = {"-l", "root"};
  EXPECT_TRUE(forward_and_verify(o, tcp_forward_to(echo_.endpoint()), 64 * 1024));
  EXPECT_NE(sshd_.log().find("Accepted publickey for root"), std::string::npos);
}

}  // namespace
