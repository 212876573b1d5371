// ssh's tun forwarding (-w, Tunnel, TunnelDevice) end to end, as root in network namespaces:
// sshd (PermitTunnel) in a server namespace creates its tun0 when sshplex -w 0:0 opens the
// tun@openssh.com channel from a client namespace; both tun0 get addresses of 10.55.0.0/30 and TCP, UDP
// (and ping, when installed) cross the tunnel. A server that refuses gets ssh's "Tunnel forwarding failed".
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/netns.hpp"
#include "support/process.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kServerTun = "10.55.0.1";
constexpr const char* kClientTun = "10.55.0.2";

// The server side of the tunnel: a TCP echo on 7000 (echoes until EOF) and a UDP echo on 7001.
constexpr const char* kEchoScript = R"PY(
import socket, sys, threading
host = sys.argv[1]
def tcp():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, 7000)); s.listen(8)
    while True:
        c, _ = s.accept()
        while True:
            b = c.recv(65536)
            if not b: break
            c.sendall(b)
        c.close()
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((host, 7001))
    while True:
        b, a = s.recvfrom(65536); s.sendto(b, a)
threading.Thread(target=tcp, daemon=True).start()
udp()
)PY";

// The client side: "tcp": 2 MB through the echo, checked; "udp": 20 datagrams of 1200 bytes, answered.
constexpr const char* kProbeScript = R"PY(
import os, socket, sys, threading
what, host = sys.argv[1], sys.argv[2]
if what == "tcp":
    data = os.urandom(2 * 1024 * 1024)
    s = socket.create_connection((host, 7000), timeout=20)
    got = bytearray()
    def reader():
        while True:
            b = s.recv(65536)
            if not b: break
            got.extend(b)
    t = threading.Thread(target=reader); t.start()
    s.sendall(data); s.shutdown(socket.SHUT_WR); t.join()
    print("ok" if bytes(got) == data else "mismatch %d" % len(got))
elif what == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3); s.connect((host, 7001))
    answered = 0
    for i in range(20):
        m = bytes([i]) * 1200
        s.send(m)
        try:
            if s.recv(2000) == m: answered += 1
        except socket.timeout: pass
    print("answered %d" % answered)
)PY";

std::size_t open_descriptors(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

class TunnelForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    TESTSUPPORT_SKIP_IF(NetnsPair::unavailable_reason());
    if (::geteuid() != 0) GTEST_SKIP() << "tun forwarding tests need root";
    if (::access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/net/tun is not available";
    if (find_program("python3").empty()) GTEST_SKIP() << "python3 is not installed";
    user_key_ = &cached_key(KeyType::Ed25519, "user");
    ASSERT_TRUE(net_.create());
    ASSERT_TRUE(write_file(tmp_.file("echo.py"), kEchoScript, 0644));
    ASSERT_TRUE(write_file(tmp_.file("probe.py"), kProbeScript, 0644));
  }

  void start_sshd(const std::string& permit_tunnel) {
    SshdOptions so;
    so.log_level = "VERBOSE";
    so.listen_address = "0.0.0.0";
    so.extra_lines = {"PermitTunnel " + permit_tunnel};
    sshd_ = std::make_unique<SshdServer>(so);
    sshd_->authorize_key(user_key_->public_line);
    {
      NetnsScope in_server(net_.server_ns());
      ASSERT_TRUE(in_server.ok()) << in_server.error();
      ASSERT_TRUE(sshd_->start());
    }
    std::string known_hosts;
    for (const auto& l : sshd_->known_hosts_lines_for(net_.server_address())) known_hosts += l + "\n";
    ASSERT_TRUE(write_file(tmp_.file("known_hosts"), known_hosts, 0644));
  }

  void start_client(std::vector<std::string> args, std::vector<std::string> options = {}) {
    ClientOptions o = client_options_for(sshd_->port(), tmp_.file("known_hosts"), *user_key_);
    o.host = net_.server_address();
    o.wrapper = {find_program("ip"), "netns", "exec", net_.client_ns()};
    o.extra_args = std::move(args);
    o.options = std::move(options);
    client_ = std::make_unique<ClientRun>(o);
    ASSERT_TRUE(client_->start());
  }

  bool run_in(const std::string& ns, std::vector<std::string> argv, std::string* out = nullptr) const {
    return run_quiet(in_netns(ns, std::move(argv)), out, 60s);
  }
  bool has_link(const std::string& ns, const std::string& name) const {
    return run_in(ns, {find_program("ip"), "link", "show", name});
  }
  ::testing::AssertionResult configure(const std::string& ns, const std::string& address) const {
    std::string out;
    if (!run_in(ns, {find_program("ip"), "addr", "add", address + "/30", "dev", "tun0"}, &out) ||
        !run_in(ns, {find_program("ip"), "link", "set", "tun0", "up"}, &out)) {
      return ::testing::AssertionFailure() << "configuring tun0 in " << ns << ": " << out;
    }
    return ::testing::AssertionSuccess();
  }
  std::string probe(const std::string& what) const {
    std::string out;
    (void)run_in(net_.client_ns(), {find_program("python3"), tmp_.file("probe.py"), what, kServerTun}, &out);
    return out;
  }

  NetnsPair net_;
  TempDir tmp_{"sshplex-tunnel"};
  const KeyPair* user_key_ = nullptr;
  std::unique_ptr<SshdServer> sshd_;
  std::unique_ptr<ClientRun> client_;
  Process echo_;
};

TEST_F(TunnelForwardTest, PointToPointCarriesPingTcpAndUdp) {
  start_sshd("yes");
  if (HasFatalFailure()) return;
  // One pooled connection: a second one coming up meanwhile would move the descriptor count.
  start_client({"-w", "0:0"}, {"PoolSize=1"});
  if (HasFatalFailure()) return;
  // sshd creates its tun0 when it accepts the channel; ours is there from the first connection.
  ASSERT_TRUE(wait_until(
      [&] { return !client_->running() || (has_link(net_.client_ns(), "tun0") && has_link(net_.server_ns(), "tun0")); },
      20s))
      << client_->stderr_text();
  ASSERT_TRUE(client_->running()) << client_->stderr_text();
  EXPECT_EQ(client_->stderr_text().find("Tunnel forwarding failed"), std::string::npos);
  ASSERT_TRUE(configure(net_.client_ns(), kClientTun));
  ASSERT_TRUE(configure(net_.server_ns(), kServerTun));
  {
    NetnsScope in_server(net_.server_ns());
    ASSERT_TRUE(in_server.ok()) << in_server.error();
    ASSERT_TRUE(echo_.start({find_program("python3"), tmp_.file("echo.py"), kServerTun}, base_env(),
                            tmp_.file("echo.out"), tmp_.file("echo.err")));
  }

  std::string out;
  if (!find_program("ping").empty()) {
    EXPECT_TRUE(run_in(net_.client_ns(), {find_program("ping"), "-c", "3", "-i", "0.2", "-W", "3", kServerTun}, &out))
        << out << client_->stderr_text();
  }
  const std::size_t descriptors = open_descriptors(client_->pid());

  // The echo may need a moment to listen.
  std::string tcp;
  ASSERT_TRUE(wait_until([&] { return (tcp = probe("tcp")).find("ok") != std::string::npos; }, 20s))
      << tcp << "\n"
      << read_file(tmp_.file("echo.err"));
  EXPECT_NE(probe("udp").find("answered 20"), std::string::npos);
  if (!find_program("ping").empty()) {
    // And the other way: the server pings the client's end.
    EXPECT_TRUE(run_in(net_.server_ns(), {find_program("ping"), "-c", "2", "-i", "0.2", "-W", "3", kClientTun}, &out))
        << out;
  }
  for (int i = 0; i < 3; ++i) EXPECT_NE(probe("tcp").find("ok"), std::string::npos);
  EXPECT_EQ(open_descriptors(client_->pid()), descriptors);
  ASSERT_TRUE(client_->running()) << client_->stderr_text();

  ::kill(client_->pid(), SIGTERM);
  (void)client_->wait_exit(15s);
  // Our device went with us (it is not persistent).
  EXPECT_FALSE(has_link(net_.client_ns(), "tun0"));
}

TEST_F(TunnelForwardTest, RefusedTunnelWarnsAsSshDoes) {
  start_sshd("no");
  if (HasFatalFailure()) return;
  start_client({"-w", "any"});
  if (HasFatalFailure()) return;
  ASSERT_TRUE(wait_until(
      [&] {
        return !client_->running() || client_->stderr_text().find("Tunnel forwarding failed") != std::string::npos;
      },
      20s))
      << client_->stderr_text();
  // Without ExitOnForwardFailure ssh carries on.
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(client_->running()) << client_->stderr_text();
}

TEST_F(TunnelForwardTest, RefusedTunnelWithExitOnForwardFailureExits255) {
  start_sshd("no");
  if (HasFatalFailure()) return;
  start_client({"-w", "0:0"}, {"ExitOnForwardFailure=yes"});
  if (HasFatalFailure()) return;
  const ProcessResult r = client_->wait_exit(20s);
  EXPECT_TRUE(r.exited) << client_->stderr_text();
  EXPECT_EQ(r.exit_code, 255) << client_->stderr_text();
  EXPECT_NE(client_->stderr_text().find("Tunnel forwarding failed"), std::string::npos) << client_->stderr_text();
}

TEST_F(TunnelForwardTest, EthernetModeOpensTap) {
  start_sshd("yes");
  if (HasFatalFailure()) return;
  start_client({}, {"Tunnel=ethernet", "TunnelDevice=5:5"});
  if (HasFatalFailure()) return;
  ASSERT_TRUE(wait_until(
      [&] { return !client_->running() || (has_link(net_.client_ns(), "tap5") && has_link(net_.server_ns(), "tap5")); },
      20s))
      << client_->stderr_text();
  ASSERT_TRUE(client_->running()) << client_->stderr_text();
  std::string out;
  for (const auto& [ns, address] :
       {std::pair{net_.client_ns(), std::string(kClientTun)}, std::pair{net_.server_ns(), std::string(kServerTun)}}) {
    ASSERT_TRUE(run_in(ns, {find_program("ip"), "addr", "add", address + "/30", "dev", "tap5"}, &out)) << out;
    ASSERT_TRUE(run_in(ns, {find_program("ip"), "link", "set", "tap5", "up"}, &out)) << out;
  }
  {
    NetnsScope in_server(net_.server_ns());
    ASSERT_TRUE(in_server.ok()) << in_server.error();
    ASSERT_TRUE(echo_.start({find_program("python3"), tmp_.file("echo.py"), kServerTun}, base_env(),
                            tmp_.file("echo.out"), tmp_.file("echo.err")));
  }
  // ARP, then UDP and TCP, in raw Ethernet frames.
  std::string tcp;
  ASSERT_TRUE(wait_until([&] { return (tcp = probe("tcp")).find("ok") != std::string::npos; }, 20s))
      << tcp << "\n"
      << client_->stderr_text();
  EXPECT_NE(probe("udp").find("answered 20"), std::string::npos);
}

}  // namespace
