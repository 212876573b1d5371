// Failed SOCKS opens leave nothing behind. Every client whose channel open fails (the destination
// refuses, the name does not resolve on the server, the server's PermitOpen prohibits it) gets its
// SOCKS error reply and its socket is closed inside sshplex: the descriptor count returns to where
// it was, and SIGTERM with no live client exits at once instead of waiting out DrainTimeout.
// Found with a real browser through -D (every refused open used to keep the client's socket).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/client_run.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/load_client.hpp"
#include "support/net.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;
using namespace std::chrono_literals;

constexpr const char* kBadName = "no-such-host.invalid";

enum class Flavour { socks4, socks4a, socks5_ip, socks5_name };

struct Attempt {
  Flavour flavour;
  std::string host;  // an IPv4 literal or a name
  int port;
  const char* why;
};

std::vector<std::uint8_t> port_bytes(int port) {
  return {static_cast<std::uint8_t>(port >> 8), static_cast<std::uint8_t>(port & 0xff)};
}

// Sends one CONNECT and returns the reply code (SOCKS4: 0x5a granted, 0x5b rejected; SOCKS5: REP),
// or -1 when no reply came. The client closes its socket afterwards, as a browser does.
int attempt(int proxy_port, const Attempt& a) {
  const int fd = connect_endpoint(Endpoint::tcp(proxy_port), 10s);
  if (fd < 0) return -1;
  std::vector<std::uint8_t> request;
  const auto p = port_bytes(a.port);
  int code = -1;
  switch (a.flavour) {
    case Flavour::socks4:
    case Flavour::socks4a: {
      request = {4, 1, p[0], p[1]};
      if (a.flavour == Flavour::socks4) {
        // Only the IPv4 literals of these tests: 127.0.0.x.
        request.insert(request.end(), {127, 0, 0, static_cast<std::uint8_t>(a.host.back() - '0')});
        request.push_back(0);  // empty user id
      } else {
        request.insert(request.end(), {0, 0, 0, 1, 0});  // 0.0.0.x: the name follows the user id
        request.insert(request.end(), a.host.begin(), a.host.end());
        request.push_back(0);
      }
      std::array<std::uint8_t, 8> reply{};
      if (::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()) &&
          recv_exact(fd, reply.data(), reply.size())) {
        code = reply[1];
      }
      break;
    }
    case Flavour::socks5_ip:
    case Flavour::socks5_name: {
      const std::uint8_t hello[] = {5, 1, 0};
      std::array<std::uint8_t, 2> choice{};
      if (::send(fd, hello, sizeof hello, 0) != 3 || !recv_exact(fd, choice.data(), 2) || choice[1] != 0) break;
      request = {5, 1, 0};
      if (a.flavour == Flavour::socks5_ip) {
        request.insert(request.end(), {1, 127, 0, 0, static_cast<std::uint8_t>(a.host.back() - '0')});
      } else {
        request.push_back(3);
        request.push_back(static_cast<std::uint8_t>(a.host.size()));
        request.insert(request.end(), a.host.begin(), a.host.end());
      }
      request.insert(request.end(), p.begin(), p.end());
      std::array<std::uint8_t, 10> reply{};
      if (::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()) &&
          recv_exact(fd, reply.data(), reply.size())) {
        code = reply[1];
      }
      break;
    }
  }
  ::close(fd);
  return code;
}

class SocksFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    if (std::getenv("SSHPLEX_TEST_CLIENT") != nullptr) GTEST_SKIP() << "sshplex's SOCKS replies and descriptors";
    ASSERT_TRUE(echo_.start_tcp());
    closed_port_ = free_tcp_port();
    const KeyPair& key = cached_key(KeyType::Ed25519, "user");
    SshdOptions options;
    // Anything not listed is "administratively prohibited" by the server.
    options.extra_lines.push_back("PermitOpen 127.0.0.1:" + std::to_string(closed_port_) + " " + kBadName +
                                  ":80 127.0.0.1:" + std::to_string(echo_.endpoint().port));
    sshd_ = std::make_unique<SshdServer>(options);
    sshd_->authorize_key(key.public_line);
    ASSERT_TRUE(sshd_->start());
    ASSERT_TRUE(sshd_->write_known_hosts(tmp_.file("known_hosts")));
    socks_port_ = free_tcp_port();
    ClientOptions o = client_options_for(sshd_->port(), tmp_.file("known_hosts"), key);
    o.extra_args = {"-D", "127.0.0.1:" + std::to_string(socks_port_)};
    // One connection, so the baseline does not move with the pool; a drain that waited would show.
    o.options = {"PoolSize=1", "PoolMaxSize=1", "DrainTimeout=30"};
    client_ = std::make_unique<ClientRun>(o);
    ASSERT_TRUE(client_->start());
    ASSERT_TRUE(wait_for_port(socks_port_, 20s)) << client_->stderr_text();
  }

  // Descriptors settle once sshplex has processed the closes: wait for the count to reach `want`.
  std::size_t settled_fds(std::size_t want) {
    std::size_t now = 0;
    for (int i = 0; i < 100; ++i) {
      now = open_fd_count(client_->pid()).value_or(0);
      if (now <= want) return now;
      std::this_thread::sleep_for(50ms);
    }
    return now;
  }

  TempDir tmp_{"sshplex-socks-fail"};
  EchoServer echo_;
  std::unique_ptr<SshdServer> sshd_;
  int closed_port_ = 0;
  int socks_port_ = 0;
  std::unique_ptr<ClientRun> client_;
};

TEST_F(SocksFailureTest, RefusedOpensLeaveNoDescriptorAndSigtermExitsAtOnce) {
  // A working round trip first: the pooled connection is up, so the baseline is steady.
  const Attempt good{Flavour::socks5_ip, "127.0.0.1", echo_.endpoint().port, "permitted"};
  {
    const int fd = connect_endpoint(Endpoint::tcp(socks_port_), 10s);
    ASSERT_GE(fd, 0);
    std::string error;
    ASSERT_TRUE(socks5_connect(fd, "127.0.0.1", echo_.endpoint().port, 10s, &error)) << error;
    ::close(fd);
  }
  std::this_thread::sleep_for(200ms);  // the closed client's socket is gone inside sshplex too
  const std::size_t before = open_fd_count(client_->pid()).value_or(0);
  ASSERT_GT(before, 0u);

  const std::vector<Attempt> failing = {
      {Flavour::socks4, "127.0.0.1", closed_port_, "refused"},    {Flavour::socks4, "127.0.0.2", 80, "prohibited"},
      {Flavour::socks4a, kBadName, 80, "unknown name"},           {Flavour::socks4a, "localhost", 1, "prohibited"},
      {Flavour::socks5_ip, "127.0.0.1", closed_port_, "refused"}, {Flavour::socks5_ip, "127.0.0.2", 80, "prohibited"},
      {Flavour::socks5_name, kBadName, 80, "unknown name"},       {Flavour::socks5_name, "localhost", 1, "prohibited"},
  };
  for (int round = 0; round < 5; ++round) {
    for (const Attempt& a : failing) {
      const int code = attempt(socks_port_, a);
      const bool socks4 = a.flavour == Flavour::socks4 || a.flavour == Flavour::socks4a;
      if (socks4) {
        EXPECT_EQ(code, 0x5b) << a.why << " " << a.host;
      } else {
        EXPECT_GT(code, 0) << a.why << " " << a.host;
        if (std::string(a.why) == "refused") {
          EXPECT_EQ(code, 5) << "connection refused";
        }
        if (std::string(a.why) == "prohibited") {
          EXPECT_EQ(code, 2) << "not allowed by ruleset";
        }
      }
    }
  }
  // 40 failed opens later, nothing is left open.
  const std::size_t after = settled_fds(before);
  EXPECT_LE(after, before) << "descriptors leaked by refused SOCKS opens: " << before << " -> " << after;
  // The proxy still serves.
  EXPECT_EQ(attempt(socks_port_, good), 0);

  // No client is connected: SIGTERM must not wait for DrainTimeout (30 s here).
  std::this_thread::sleep_for(100ms);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(client_->pid(), SIGTERM), 0);
  ProcessResult r = client_->wait_exit(20s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s) << client_->stderr_text();
  EXPECT_EQ(client_->stderr_text().find("Waiting up to"), std::string::npos) << client_->stderr_text();
}

}  // namespace
