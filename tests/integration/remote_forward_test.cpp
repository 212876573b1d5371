// End-to-end: remote forwards (-R) against a real sshd on loopback. The gateway objects (SshSession,
// RemoteForwards) run on a libuv loop in a background thread, driven directly; the test thread
// plays the remote clients: it connects to the port or socket sshd listens on and checks that the
// data reaches a local echo / web server intact, through fixed ports, port 0, unix sockets and the
// SOCKS-serving dynamic form. A refused local target closes only that client.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gateway/auth/authenticator.hpp"
#include "gateway/auth/host_key_policy.hpp"
#include "gateway/config/forward_spec.hpp"
#include "gateway/config/options.hpp"
#include "gateway/pool/session_settings.hpp"
#include "gateway/core/ssh_session.hpp"
#include "gateway/forward/remote_forwards.hpp"
#include "gateway/net/resolver.hpp"
#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/sshd_server.hpp"
#include "support/uv_loop_thread.hpp"

namespace {

using namespace testsupport;
using namespace std::chrono_literals;

// The gateway side, living on the loop thread: sessions to the sshd and one RemoteForwards that
// is attached to whichever session authenticates while `attach_on_auth` is set.
class Gateway final : public gateway::SessionDelegate {
 public:
  Gateway(uv_loop_t* loop, gateway::HopSettings hop, std::vector<gateway::config::ForwardSpec> specs)
      : loop_(loop), hop_(std::move(hop)), resolver_(loop) {
    forwards_ = std::make_unique<gateway::RemoteForwards>(loop_, resolver_, std::move(specs));
  }

  // Starts a new connection; returns its index.
  std::size_t connect() {
    auto& c = connections_.emplace_back();
    c.authenticator = std::make_unique<gateway::auth::Authenticator>(hop_.auth);
    c.session = std::make_unique<gateway::SshSession>(loop_, resolver_, hop_.target, hop_.client, *this);
    c.session->start();
    return connections_.size() - 1;
  }
  gateway::SshSession& session(std::size_t i) { return *connections_[i].session; }
  gateway::RemoteForwards& forwards() { return *forwards_; }

  void teardown() {
    forwards_->close();
    for (auto& c : connections_) c.session->shutdown("test over");
    forwards_.reset();
    connections_.clear();
    resolver_.close();
  }

  bool verify_host_key(gateway::SshSession&, const ssh::event::HostKey& key) override {
    return gateway::auth::verify_host_key(hop_.host_keys, key);
  }
  void on_auth_event(gateway::SshSession& session, const ssh::Event& event) override {
    find(session).authenticator->handle(session, event);
  }
  void on_authenticated(gateway::SshSession& session, const std::string&) override {
    ++authenticated;
    if (!attach_on_auth) return;
    forwards_->attach(session, [this](bool ok) {
      all_ok = ok;
      ++attach_results;
    });
  }
  void on_disconnected(gateway::SshSession& session, const std::string& reason, bool) override {
    last_disconnect = reason;
    ++disconnected;
    if (forwards_) forwards_->detach(session);
  }

  bool attach_on_auth = true;
  std::atomic<int> authenticated{0};
  std::atomic<int> attach_results{0};
  std::atomic<bool> all_ok{false};
  std::atomic<int> disconnected{0};
  std::string last_disconnect;

 private:
  struct Connection {
    std::unique_ptr<gateway::auth::Authenticator> authenticator;
    std::unique_ptr<gateway::SshSession> session;
  };
  Connection& find(gateway::SshSession& s) {
    for (auto& c : connections_) {
      if (c.session.get() == &s) return c;
    }
    std::abort();
  }

  uv_loop_t* loop_;
  gateway::HopSettings hop_;
  gateway::net::Resolver resolver_;
  std::unique_ptr<gateway::RemoteForwards> forwards_;
  std::deque<Connection> connections_;
};

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

gateway::config::ForwardSpec remote_spec(const std::string& text) {
  auto parsed = gateway::config::parse_forward(gateway::config::ForwardKind::remote, text);
  EXPECT_TRUE(parsed.spec.has_value()) << text << ": " << parsed.error;
  return parsed.spec.value_or(gateway::config::ForwardSpec{});
}

std::string target(const Endpoint& ep) {
  return ep.is_unix() ? ep.unix_path : "127.0.0.1:" + std::to_string(ep.port);
}

class RemoteForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    const KeyPair& user_key = cached_key(KeyType::Ed25519, "user");
    sshd_.authorize_key(user_key.public_line);
    ASSERT_TRUE(sshd_.start());
    ASSERT_TRUE(sshd_.write_known_hosts(tmp_.file("known_hosts")));
    options_.host = options_.hostname = "127.0.0.1";
    options_.port = static_cast<std::uint16_t>(sshd_.port());
    options_.user = "root";
    options_.identity_files = {user_key.private_path};
    options_.identities_only = true;
    options_.identity_agent = "none";
    options_.user_known_hosts_files = {tmp_.file("known_hosts")};
    options_.global_known_hosts_files = {};
    options_.strict_host_key_checking = gateway::config::StrictHostKeyChecking::yes;
    options_.batch_mode = true;
  }

  void TearDown() override {
    if (gateway_) {
      loop_.run([this] { gateway_->teardown(); });
      // A later loop iteration: the handles closed by teardown() have run their close callbacks.
      loop_.run([this] { gateway_.reset(); });
    }
  }

  // Connects once and attaches the forwards; true once the server answered every request.
  ::testing::AssertionResult start(std::vector<std::string> specs) {
    std::vector<gateway::config::ForwardSpec> parsed;
    for (const auto& s : specs) parsed.push_back(remote_spec(s));
    std::string error;
    auto hop = gateway::hop_settings(options_, error);
    if (!hop) return ::testing::AssertionFailure() << "hop_settings: " << error;
    loop_.run([&] {
      gateway_ = std::make_unique<Gateway>(loop_.loop(), std::move(*hop), std::move(parsed));
      gateway_->connect();
    });
    if (!wait_until([&] { return gateway_->attach_results.load() > 0 || gateway_->disconnected.load() > 0; })) {
      return ::testing::AssertionFailure() << "no answer to the forward requests";
    }
    if (gateway_->attach_results.load() == 0) {
      return ::testing::AssertionFailure() << "disconnected: " << loop_.run([&] { return gateway_->last_disconnect; });
    }
    return ::testing::AssertionSuccess();
  }

  int listen_port(std::size_t i) {
    return loop_.run([&] { return static_cast<int>(gateway_->forwards().listen_port(i).value_or(0)); });
  }
  std::size_t active() {
    return loop_.run([&] { return gateway_->forwards().active_connections(); });
  }

  SshdServer sshd_{[] {
    SshdOptions o;
    o.log_level = "VERBOSE";
    return o;
  }()};
  TempDir tmp_{"sshplex-rfwd"};
  gateway::config::Options options_;
  LoopThread loop_;
  std::unique_ptr<Gateway> gateway_;
};

TEST_F(RemoteForwardTest, FixedPortCarriesDataIntact) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  const int port = free_tcp_port();
  ASSERT_TRUE(start({std::to_string(port) + ":" + target(echo.endpoint())}));
  EXPECT_TRUE(gateway_->all_ok.load());
  EXPECT_EQ(listen_port(0), port);
  const TransferResult r = echo_transfer(Endpoint::tcp(port), 1 << 20, 11);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.sent_sha256, r.received_sha256);
  // Two clients at once, each intact.
  auto second = std::async(std::launch::async, [&] { return echo_transfer(Endpoint::tcp(port), 512 * 1024, 12); });
  const TransferResult r3 = echo_transfer(Endpoint::tcp(port), 512 * 1024, 13);
  EXPECT_TRUE(r3.ok) << r3.error;
  EXPECT_TRUE(second.get().ok);
  EXPECT_TRUE(wait_until([&] { return active() == 0; })) << "splices left behind";
}

TEST_F(RemoteForwardTest, PortZeroReportsTheAllocatedPort) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  ::testing::internal::CaptureStderr();
  const auto started = start({"127.0.0.1:0:" + target(echo.endpoint())});
  const std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(started);
  const int port = listen_port(0);
  ASSERT_NE(port, 0);
  EXPECT_NE(err.find("Allocated port " + std::to_string(port) + " for remote forward to " + target(echo.endpoint())),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("Remote forward ready: 127.0.0.1:" + std::to_string(port)), std::string::npos) << err;
  const TransferResult r = echo_transfer(Endpoint::tcp(port), 1 << 20, 21);
  EXPECT_TRUE(r.ok) << r.error;
}

TEST_F(RemoteForwardTest, UnixSocketFormsBothWays) {
  EchoServer tcp_echo;
  ASSERT_TRUE(tcp_echo.start_tcp());
  EchoServer unix_echo;
  ASSERT_TRUE(unix_echo.start_unix(tmp_.file("local-echo.sock")));
  const std::string remote_a = tmp_.file("remote-a.sock");
  const std::string remote_c = tmp_.file("remote-c.sock");
  const int port_b = free_tcp_port();
  ASSERT_TRUE(start({remote_a + ":" + target(tcp_echo.endpoint()),          // remote socket -> TCP
                     std::to_string(port_b) + ":" + unix_echo.endpoint().unix_path,  // TCP -> local socket
                     remote_c + ":" + unix_echo.endpoint().unix_path}));       // socket -> socket
  EXPECT_TRUE(gateway_->all_ok.load());
  for (const Endpoint& ep : {Endpoint::unix_socket(remote_a), Endpoint::tcp(port_b), Endpoint::unix_socket(remote_c)}) {
    const TransferResult r = echo_transfer(ep, 1 << 20, 31);
    EXPECT_TRUE(r.ok) << ep.describe() << ": " << r.error;
  }
}

TEST_F(RemoteForwardTest, RefusedTargetClosesOnlyThatClient) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  const int dead_port = free_tcp_port();  // nothing listens there
  const int port_dead = free_tcp_port();
  const int port_live = free_tcp_port();
  ASSERT_TRUE(start({std::to_string(port_dead) + ":127.0.0.1:" + std::to_string(dead_port),
                     std::to_string(port_live) + ":" + target(echo.endpoint())}));
  for (int i = 0; i < 3; ++i) {
    const int fd = connect_endpoint(Endpoint::tcp(port_dead), std::chrono::seconds(10));
    ASSERT_GE(fd, 0);
    const char hello[] = "hello";
    ::send(fd, hello, sizeof hello, MSG_NOSIGNAL);
    std::array<char, 16> buf{};
    // sshd accepted the TCP connection, then closes it when we refuse its channel.
    EXPECT_LE(::recv(fd, buf.data(), buf.size(), 0), 0) << "expected the connection to be closed";
    ::close(fd);
  }
  EXPECT_TRUE(echo_ping(Endpoint::tcp(port_live)));
  EXPECT_EQ(gateway_->disconnected.load(), 0);
  EXPECT_TRUE(wait_until([&] { return active() == 0; }));
  EXPECT_NE(sshd_.log().find("open failed: connect failed"), std::string::npos)
      << "sshd should have seen reason 2 (connect failed)";
}

TEST_F(RemoteForwardTest, ServerRefusalIsReported) {
  // A port already taken on the server side: sshd cannot bind it and refuses the request.
  const int taken = free_tcp_port();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(taken));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  ::testing::internal::CaptureStderr();
  const auto started = start({"127.0.0.1:" + std::to_string(taken) + ":" + target(echo.endpoint())});
  const std::string err = ::testing::internal::GetCapturedStderr();
  ::close(fd);
  ASSERT_TRUE(started);
  EXPECT_FALSE(gateway_->all_ok.load());
  EXPECT_NE(err.find("remote port forwarding failed for listen port " + std::to_string(taken)), std::string::npos)
      << err;
  EXPECT_FALSE(loop_.run([&] { return gateway_->forwards().ready(0); }));
}

// A configuration reload: the removed forward is cancelled on the server, the new one requested.
TEST_F(RemoteForwardTest, RemoveCancelsAndAddRequests) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  const int port_a = free_tcp_port();
  const int port_b = free_tcp_port();
  const std::string keep = tmp_.file("kept.sock") + ":" + target(echo.endpoint());
  ASSERT_TRUE(start({std::to_string(port_a) + ":" + target(echo.endpoint()), keep}));
  ASSERT_TRUE(echo_ping(Endpoint::tcp(port_a)));
  loop_.run([&] {
    gateway_->forwards().remove(remote_spec(std::to_string(port_a) + ":" + target(echo.endpoint())));
    gateway_->forwards().add(remote_spec(std::to_string(port_b) + ":" + target(echo.endpoint())));
  });
  EXPECT_TRUE(wait_until([&] { return loop_.run([&] { return gateway_->forwards().ready(1); }); }));
  EXPECT_TRUE(loop_.run([&] { return gateway_->forwards().ready(0); })) << "the kept forward stays";
  EXPECT_TRUE(echo_ping(Endpoint::tcp(port_b)));
  EXPECT_TRUE(echo_ping(Endpoint::unix_socket(tmp_.file("kept.sock"))));
  auto port_a_closed = [&] {
    const int fd = connect_endpoint(Endpoint::tcp(port_a), std::chrono::seconds(10));
    if (fd < 0) return true;
    ::close(fd);
    return false;
  };
  EXPECT_TRUE(wait_until(port_a_closed, 5s)) << "the server still listens on the removed port";
}

// After a reconnect the old server process may still hold the port: the request is retried until
// the port is free again.
TEST_F(RemoteForwardTest, ReconnectRetriesWhileTheOldConnectionHoldsThePort) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  const int port = free_tcp_port();
  ASSERT_TRUE(start({std::to_string(port) + ":" + target(echo.endpoint())}));
  ASSERT_TRUE(gateway_->all_ok.load());
  // Move the forwards to a second connection while the first (and its listener) still lives.
  loop_.run([&] {
    gateway_->forwards().detach(gateway_->session(0));
    gateway_->connect();
  });
  ASSERT_TRUE(wait_until([&] { return gateway_->authenticated.load() == 2; }));
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(gateway_->attach_results.load(), 1) << "the refused request should still be retrying";
  loop_.run([&] { gateway_->session(0).shutdown("done with it"); });
  ASSERT_TRUE(wait_until([&] { return gateway_->attach_results.load() == 2; }, 30s));
  EXPECT_TRUE(gateway_->all_ok.load());
  const TransferResult r = echo_transfer(Endpoint::tcp(port), 256 * 1024, 41);
  EXPECT_TRUE(r.ok) << r.error;
}

// A SOCKS5 client at `port` that sends `request` after a no-auth greeting: the reply code, or -1
// when the connection ends without one.
int socks5_reply_code(int port, const std::vector<std::uint8_t>& request) {
  const int fd = connect_endpoint(Endpoint::tcp(port), std::chrono::seconds(10));
  if (fd < 0) return -1;
  const std::uint8_t hello[] = {5, 1, 0};
  std::array<std::uint8_t, 2> choice{};
  std::array<std::uint8_t, 4> head{};
  int code = -1;
  if (::send(fd, hello, sizeof hello, MSG_NOSIGNAL) == 3 && recv_exact(fd, choice.data(), 2) && choice[1] == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()) &&
      recv_exact(fd, head.data(), head.size())) {
    code = head[1];
  }
  ::close(fd);
  return code;
}

// -R [bind:]port with no target: connections arriving at the server are SOCKS clients.
class RemoteDynamicTest : public RemoteForwardTest {
 protected:
  void SetUp() override {
    if (find_program("curl").empty() || find_program("python3").empty()) GTEST_SKIP() << "curl and python3 needed";
    RemoteForwardTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    std::mt19937 rng(5);
    content_.resize(1 << 20);
    for (auto& c : content_) c = static_cast<char>(rng());
    std::filesystem::create_directories(tmp_.path() / "www");
    std::ofstream(tmp_.path() / "www" / "blob.bin", std::ios::binary) << content_;
    web_port_ = free_tcp_port();
    ASSERT_TRUE(web_.start({find_program("python3"), "-m", "http.server", "--bind", "127.0.0.1", "--directory",
                            tmp_.file("www"), std::to_string(web_port_)},
                           base_env(), "", tmp_.file("web.log")));
    ASSERT_TRUE(wait_for_port(web_port_, 20s));
  }

  std::string fetch(int proxy_port, const std::string& scheme, const std::string& host) {
    const std::string out = tmp_.file("fetched");
    std::filesystem::remove(out);
    std::string log;
    const bool ok = run_quiet({find_program("curl"), "-sS", "--max-time", "30", "-o", out, "--proxy",
                               scheme + "://127.0.0.1:" + std::to_string(proxy_port),
                               "http://" + host + ":" + std::to_string(web_port_) + "/blob.bin"},
                              &log);
    EXPECT_TRUE(ok) << scheme << ": " << log;
    return read_file(out);
  }

  Process web_;
  std::string content_;
  int web_port_ = 0;
};

TEST_F(RemoteDynamicTest, CurlFetchesThroughTheServerSidePort) {
  const int port = free_tcp_port();
  ASSERT_TRUE(start({"127.0.0.1:" + std::to_string(port)}));
  EXPECT_TRUE(gateway_->all_ok.load());
  EXPECT_EQ(fetch(port, "socks5h", "localhost"), content_) << "SOCKS5, name resolved by sshplex";
  EXPECT_EQ(fetch(port, "socks5", "127.0.0.1"), content_) << "SOCKS5 with an address";
  EXPECT_EQ(fetch(port, "socks4a", "localhost"), content_) << "SOCKS4a";
  EXPECT_EQ(fetch(port, "socks4", "127.0.0.1"), content_) << "SOCKS4";
  EXPECT_TRUE(wait_until([&] { return active() == 0; }));
}

TEST_F(RemoteDynamicTest, PortZeroAndFailureReplies) {
  ::testing::internal::CaptureStderr();
  const auto started = start({"0"});
  const std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(started);
  const int port = listen_port(0);
  ASSERT_NE(port, 0);
  // ssh's own wording for a dynamic forward.
  EXPECT_NE(err.find("Allocated port " + std::to_string(port) + " for remote forward to socks:0\n"), std::string::npos)
      << err;
  EXPECT_EQ(fetch(port, "socks5h", "localhost"), content_);

  // A refused destination is answered with SOCKS5 "connection refused" (5), an unresolvable name
  // with "host unreachable" (4); the proxy keeps serving.
  auto reply_code = [&](const std::vector<std::uint8_t>& request) { return socks5_reply_code(port, request); };
  const int closed = free_tcp_port();
  EXPECT_EQ(reply_code({5, 1, 0, 1, 127, 0, 0, 1, static_cast<std::uint8_t>(closed >> 8),
                        static_cast<std::uint8_t>(closed & 0xff)}),
            5);
  const std::string bad = "no-such-host.invalid";
  std::vector<std::uint8_t> by_name = {5, 1, 0, 3, static_cast<std::uint8_t>(bad.size())};
  by_name.insert(by_name.end(), bad.begin(), bad.end());
  by_name.push_back(0);
  by_name.push_back(80);
  EXPECT_EQ(reply_code(by_name), 4);
  EXPECT_EQ(reply_code({5, 2, 0, 1, 127, 0, 0, 1, 0, 80}), 7) << "BIND is not supported";
  EXPECT_EQ(fetch(port, "socks4a", "localhost"), content_);
  EXPECT_TRUE(wait_until([&] { return active() == 0; }));
}

TEST_F(RemoteDynamicTest, MalformedClientsAreDroppedAndTheConnectionLossCleansUp) {
  const int port = free_tcp_port();
  ASSERT_TRUE(start({std::to_string(port)}));
  // Not SOCKS at all: the channel is closed, so sshd closes the client.
  {
    const int fd = connect_endpoint(Endpoint::tcp(port), std::chrono::seconds(10));
    ASSERT_GE(fd, 0);
    const std::string junk = "GET / HTTP/1.0\r\n\r\n";
    ::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    std::array<char, 64> buf{};
    EXPECT_LE(::recv(fd, buf.data(), buf.size(), 0), 0);
    ::close(fd);
  }
  // A client that gives up half way through its greeting.
  {
    const int fd = connect_endpoint(Endpoint::tcp(port), std::chrono::seconds(10));
    ASSERT_GE(fd, 0);
    const std::uint8_t partial[] = {5, 2};
    ::send(fd, partial, sizeof partial, MSG_NOSIGNAL);
    ::close(fd);
  }
  EXPECT_TRUE(wait_until([&] { return active() == 0; })) << "handshakes left behind";
  EXPECT_EQ(fetch(port, "socks5h", "localhost"), content_) << "the proxy keeps serving";

  // A client stuck in its handshake when the SSH connection goes away is cleaned up with it.
  const int stuck = connect_endpoint(Endpoint::tcp(port), std::chrono::seconds(10));
  ASSERT_GE(stuck, 0);
  const std::uint8_t hello[] = {5, 1, 0};
  ::send(stuck, hello, sizeof hello, MSG_NOSIGNAL);
  std::array<std::uint8_t, 2> choice{};
  ASSERT_TRUE(recv_exact(stuck, choice.data(), choice.size()));
  EXPECT_EQ(active(), 1U);
  loop_.run([&] { gateway_->session(0).shutdown("test"); });
  EXPECT_TRUE(wait_until([&] { return active() == 0; }));
  EXPECT_FALSE(loop_.run([&] { return gateway_->forwards().ready(0); }));
  ::close(stuck);
}

// The sshplex binary with -R on its command line (or stock ssh via SSHPLEX_TEST_CLIENT).
class RemoteForwardCliTest : public RemoteDynamicTest {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    RemoteDynamicTest::SetUp();
  }

  ::testing::AssertionResult run_client(const std::vector<std::string>& specs,
                                        const std::vector<std::string>& extra_options = {}) {
    ClientOptions options = client_options_for(sshd_.port(), tmp_.file("known_hosts"),
                                               cached_key(KeyType::Ed25519, "user"));
    options.options = extra_options;
    for (const auto& spec : specs) {
      options.extra_args.push_back("-R");
      options.extra_args.push_back(spec);
    }
    client_ = std::make_unique<ClientRun>(options);
    return client_->start();
  }

  // The port from "Allocated port N for remote forward to <to>" on the client's stderr (ssh ends
  // its lines with CR LF); 0 if it does not appear in time.
  int allocated_port(const std::string& to) {
    const std::string prefix = "Allocated port ";
    const std::string suffix = " for remote forward to " + to;
    int port = 0;
    wait_until([&] {
      const std::string err = client_->stderr_text();
      for (std::size_t at = err.find(prefix); at != std::string::npos; at = err.find(prefix, at + 1)) {
        std::size_t end = at + prefix.size();
        while (end < err.size() && err[end] >= '0' && err[end] <= '9') ++end;
        if (end == at + prefix.size() || err.compare(end, suffix.size(), suffix) != 0) continue;
        const std::size_t after = end + suffix.size();
        if (after < err.size() && err[after] != '\r' && err[after] != '\n') continue;
        port = std::stoi(err.substr(at + prefix.size(), end - at - prefix.size()));
        return true;
      }
      return !client_->running();
    });
    return port;
  }

  std::unique_ptr<ClientRun> client_;
};

TEST_F(RemoteForwardCliTest, FixedPortZeroAndDynamic) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  const int fixed = free_tcp_port();
  const int dynamic = free_tcp_port();
  ASSERT_TRUE(run_client({std::to_string(fixed) + ":" + target(echo.endpoint()), "127.0.0.1:0:" + target(echo.endpoint()),
                          "127.0.0.1:" + std::to_string(dynamic)}));
  const int allocated = allocated_port(target(echo.endpoint()));
  ASSERT_NE(allocated, 0) << client_->stderr_text();
  ASSERT_TRUE(wait_for_port(fixed, 20s)) << client_->stderr_text();
  ASSERT_TRUE(wait_for_port(dynamic, 20s)) << client_->stderr_text();

  const TransferResult r = echo_transfer(Endpoint::tcp(fixed), 1 << 20, 51);
  EXPECT_TRUE(r.ok) << r.error;
  const TransferResult r0 = echo_transfer(Endpoint::tcp(allocated), 1 << 20, 52);
  EXPECT_TRUE(r0.ok) << r0.error;
  EXPECT_EQ(fetch(dynamic, "socks5h", "localhost"), content_);
  EXPECT_EQ(fetch(dynamic, "socks4a", "localhost"), content_);
  EXPECT_TRUE(client_->running());
}

TEST_F(RemoteForwardCliTest, DynamicPortZeroIsReportedAsSsh) {
  ASSERT_TRUE(run_client({"0"}));
  const int allocated = allocated_port("socks:0");
  ASSERT_NE(allocated, 0) << client_->stderr_text();
  EXPECT_EQ(fetch(allocated, "socks5h", "localhost"), content_);
}

// PermitRemoteOpen limits where reverse SOCKS clients may go; the rest get reply 2 ("not allowed
// by ruleset") and the proxy keeps serving.
TEST_F(RemoteForwardCliTest, PermitRemoteOpenLimitsReverseSocks) {
  const int port = free_tcp_port();
  ASSERT_TRUE(run_client({"127.0.0.1:" + std::to_string(port)},
                         {"PermitRemoteOpen=127.0.0.1:" + std::to_string(web_port_) + " example.invalid:*"}));
  ASSERT_TRUE(wait_for_port(port, 20s)) << client_->stderr_text();
  EXPECT_EQ(fetch(port, "socks5", "127.0.0.1"), content_);
  auto reply_code = [&](const std::vector<std::uint8_t>& request) { return socks5_reply_code(port, request); };
  // sshplex answers "not allowed by ruleset"; ssh closes the client without a reply.
  const int refused = client_binary().find("sshplex") != std::string::npos ? 2 : -1;
  // Same address, another port: not allowed.
  const int other = web_port_ == 65535 ? web_port_ - 1 : web_port_ + 1;
  EXPECT_EQ(reply_code({5, 1, 0, 1, 127, 0, 0, 1, static_cast<std::uint8_t>(other >> 8),
                        static_cast<std::uint8_t>(other & 0xff)}),
            refused);
  // By name ("localhost" is not the "127.0.0.1" that is listed): not allowed either.
  const std::string name = "localhost";
  std::vector<std::uint8_t> by_name = {5, 1, 0, 3, static_cast<std::uint8_t>(name.size())};
  by_name.insert(by_name.end(), name.begin(), name.end());
  by_name.push_back(static_cast<std::uint8_t>(web_port_ >> 8));
  by_name.push_back(static_cast<std::uint8_t>(web_port_ & 0xff));
  EXPECT_EQ(reply_code(by_name), refused);
  EXPECT_EQ(fetch(port, "socks5", "127.0.0.1"), content_);
  EXPECT_TRUE(client_->running());
}

}  // namespace
