// The tun VPN end to end, as root in network namespaces: sshplex --vpn runs in a client namespace
// joined by a veth pair to a server namespace where sshd, a web server and dnsmasq run. The
// "target network" (10.78.0.2, fd00:78::2) is an address of the server namespace's loopback: the
// client has no route to it except through the VPN, and only the server's resolver knows its name.
// Programs in the client namespace run under `ip netns exec`, which also gives them (and sshplex) a
// private /etc/resolv.conf from /etc/netns/<name>/, so the host's own file is never touched.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
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

constexpr const char* kTargetV4 = "10.78.0.2";
constexpr const char* kTargetV6 = "fd00:78::2";
constexpr const char* kDevice = "sptest0";
constexpr const char* kTable = "29544";  // VpnTable's default, also the pool's socket mark
constexpr const char* kOriginalResolvConf = "# the client namespace's own\nnameserver 10.213.250.250\n";

// The target side: a threaded HTTP server with a deep accept queue (500 flows connect at once), a
// half-close checker on 9000 (reads to EOF, answers with the byte count, closes) and one on 9001
// (sends 100000 bytes, shuts its side, then counts what still arrives into a file).
constexpr const char* kServerScript = R"PY(
import http.server, os, socket, sys, threading
root, report = sys.argv[1], sys.argv[2]
class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    request_queue_size = 1024
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()
class Quiet(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k): super().__init__(*a, directory=root, **k)
    def log_message(self, *a): pass
def listen(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port)); s.listen(64); return s
def count_then_answer(s):
    while True:
        c, _ = s.accept(); n = 0
        while True:
            b = c.recv(65536)
            if not b: break
            n += len(b)
        c.sendall(str(n).encode()); c.close()
def send_then_count(s):
    while True:
        c, _ = s.accept()
        c.sendall(b"x" * 100000); c.shutdown(socket.SHUT_WR); n = 0
        while True:
            b = c.recv(65536)
            if not b: break
            n += len(b)
        with open(report, "w") as f: f.write(str(n))
        c.close()
threading.Thread(target=count_then_answer, args=(listen(9000),), daemon=True).start()
threading.Thread(target=send_then_count, args=(listen(9001),), daemon=True).start()
Server(("::", 8080), Quiet).serve_forever()
)PY";

// Client-side probes for what curl cannot show: a UDP datagram refused with ICMP port unreachable,
// and both half-closes.
constexpr const char* kProbeScript = R"PY(
import socket, sys, time
what, host = sys.argv[1], sys.argv[2]
if what == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
    s.connect((host, 9999)); s.send(b"hello")
    try:
        s.recv(100); print("answered")
    except ConnectionRefusedError: print("refused")
    except socket.timeout: print("timeout")
elif what == "half-close-out":
    s = socket.create_connection((host, 9000), timeout=10)
    s.sendall(b"y" * 300000); s.shutdown(socket.SHUT_WR)
    print(s.recv(100).decode())
elif what == "hold":
    s = socket.create_connection((host, 9000), timeout=20)
    s.sendall(b"a"); print("connected", flush=True)
    try:
        b = s.recv(100); print("eof" if not b else "data")
    except ConnectionResetError: print("reset")
    except socket.timeout: print("timeout")
elif what == "half-close-in":
    s = socket.create_connection((host, 9001), timeout=10); n = 0
    while True:
        b = s.recv(65536)
        if not b: break
        n += len(b)
    s.sendall(b"z" * 12345); s.close(); print(n)
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

std::string random_blob(std::size_t size) {
  std::mt19937_64 rng(size);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

class VpnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    if (client_binary().find("sshplex") == std::string::npos) GTEST_SKIP() << "the tun VPN is sshplex's own";
    TESTSUPPORT_SKIP_IF(NetnsPair::unavailable_reason());
    if (::access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/net/tun is not available";
    for (const char* tool : {"curl", "python3", "dnsmasq", "dig", "nft"}) {
      if (find_program(tool).empty()) GTEST_SKIP() << tool << " is not installed";
    }
    user_key_ = &cached_key(KeyType::Ed25519, "user");
    ASSERT_TRUE(net_.create());

    blob_ = random_blob(3 * 1024 * 1024 + 17);
    std::filesystem::create_directories(tmp_.file("www"));
    ASSERT_TRUE(write_file(tmp_.file("www/blob"), blob_, 0644));
    ASSERT_TRUE(write_file(tmp_.file("www/small"), "small\n", 0644));
    ASSERT_TRUE(write_file(tmp_.file("server.py"), kServerScript, 0644));
    ASSERT_TRUE(write_file(tmp_.file("probe.py"), kProbeScript, 0644));

    SshdOptions so;
    so.log_level = "VERBOSE";
    so.listen_address = "0.0.0.0";
    sshd_ = std::make_unique<SshdServer>(so);
    sshd_->authorize_key(user_key_->public_line);
    {
      NetnsScope in_server(net_.server_ns());
      ASSERT_TRUE(in_server.ok()) << in_server.error();
      std::string out;
      ASSERT_TRUE(run_quiet({find_program("ip"), "addr", "add", std::string(kTargetV4) + "/32", "dev", "lo"}, &out))
          << out;
      ASSERT_TRUE(run_quiet(
          {find_program("ip"), "-6", "addr", "add", std::string(kTargetV6) + "/128", "dev", "lo", "nodad"}, &out))
          << out;
      ASSERT_TRUE(sshd_->start());
      ASSERT_TRUE(web_.start({find_program("python3"), tmp_.file("server.py"), tmp_.file("www"), tmp_.file("report")},
                             base_env(), tmp_.file("web.out"), tmp_.file("web.err")));
      const std::string big(200, 'T');
      ASSERT_TRUE(dns_.start(
          {find_program("dnsmasq"), "--keep-in-foreground", "--port=53", "--listen-address=127.0.0.1",
           "--bind-interfaces", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
           "--address=/web.internal/" + std::string(kTargetV4), "--address=/web.internal/" + std::string(kTargetV6),
           "--mx-host=web.internal,mail.web.internal,10",
           "--txt-record=big.internal," + big + "," + big + "," + big + "," + big + "," + big + "," + big + "," + big +
               "," + big},
          base_env(), tmp_.file("dns.out"), tmp_.file("dns.err")));
    }
    std::string known_hosts;
    for (const auto& l : sshd_->known_hosts_lines_for(net_.server_address())) known_hosts += l + "\n";
    ASSERT_TRUE(write_file(tmp_.file("known_hosts"), known_hosts, 0644));

    // `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf for everything
    // it starts in the client namespace: that file is what sshplex points at the tun and restores.
    netns_etc_ = "/etc/netns/" + net_.client_ns();
    std::filesystem::create_directories(netns_etc_);
    ASSERT_TRUE(write_file(netns_etc_ + "/resolv.conf", kOriginalResolvConf, 0644));
    ASSERT_TRUE(wait_until(
        [&] {
          return in_server_ok({"curl", "-s", "-o", "/dev/null", "http://127.0.0.1:8080/small"});
        },
        10s))
        << read_file(tmp_.file("web.err"));
  }

  void TearDown() override {
    client_.reset();
    if (!netns_etc_.empty()) std::filesystem::remove_all(netns_etc_);
  }

  // Runs a command in the client namespace (with its resolv.conf); true on exit status 0.
  bool in_client(std::vector<std::string> argv, std::string* out = nullptr,
                 std::chrono::milliseconds timeout = 60s) const {
    return run_quiet(in_netns(net_.client_ns(), std::move(argv)), out, timeout);
  }
  bool in_server_ok(std::vector<std::string> argv) const {
    return run_quiet(in_netns(net_.server_ns(), std::move(argv)), nullptr, 10s);
  }
  std::string client_output(std::vector<std::string> argv) const {
    std::string out;
    (void)in_client(std::move(argv), &out);
    return out;
  }

  // sshplex --vpn in the client namespace; returns once the VPN is up and a connection logged in.
  ::testing::AssertionResult start_vpn(std::vector<std::string> vpn_args, std::vector<std::string> options = {}) {
    ClientOptions o = client_options_for(sshd_->port(), tmp_.file("known_hosts"), *user_key_);
    o.host = net_.server_address();
    o.wrapper = {find_program("ip"), "netns", "exec", net_.client_ns()};
    o.extra_args = std::move(vpn_args);
    o.options = {"VpnDevice=" + std::string(kDevice), "VpnDns=127.0.0.1", "PoolSize=1"};
    o.options.insert(o.options.end(), options.begin(), options.end());
    client_ = std::make_unique<ClientRun>(o);
    if (auto started = client_->start(); !started) return started;
    const bool up = wait_until(
        [&] {
          const std::string err = client_->stderr_text();
          return !client_->running() ||
                 (err.find("VPN up on") != std::string::npos && err.find("Authenticated") != std::string::npos);
        },
        20s);
    if (!up || !client_->running()) {
      return ::testing::AssertionFailure() << "the VPN did not come up:\n" << client_->stderr_text();
    }
    return ::testing::AssertionSuccess();
  }

  std::string fetch(const std::string& url, std::vector<std::string> extra = {}) const {
    const std::string out_path = tmp_.file("fetched");
    std::filesystem::remove(out_path);
    std::vector<std::string> argv{"curl", "-sS", "--max-time", "20", "-o", out_path};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(url);
    std::string out;
    if (!in_client(argv, &out)) return "curl failed: " + out;
    return read_file(out_path);
  }

  // What `ip rule` / the table show of sshplex in the client namespace: empty when nothing is left.
  std::string leftovers() const {
    std::string out;
    for (const char* family : {"-4", "-6"}) {
      std::string rules;
      (void)in_client({"ip", family, "rule", "show"}, &rules);
      for (std::size_t pos = 0; pos < rules.size();) {
        const std::size_t end = std::min(rules.find('\n', pos), rules.size());
        const std::string line = rules.substr(pos, end - pos);
        if (line.find(kTable) != std::string::npos || line.find("suppress_prefixlength") != std::string::npos) {
          out += line + "\n";
        }
        pos = end + 1;
      }
      std::string routes;
      (void)in_client({"ip", family, "route", "show", "table", kTable}, &routes);
      if (routes.find("table") == std::string::npos || routes.find("does not exist") == std::string::npos)
        out += routes;
    }
    std::string nft;
    (void)in_client({"nft", "list", "tables"}, &nft);
    if (nft.find("sshplex_") != std::string::npos) out += nft;
    return out;
  }

  std::string resolv_conf() const { return read_file(netns_etc_ + "/resolv.conf"); }

  TempDir tmp_{"sshplex-vpn"};
  NetnsPair net_;
  const KeyPair* user_key_ = nullptr;
  std::unique_ptr<SshdServer> sshd_;
  Process web_;
  Process dns_;
  std::unique_ptr<ClientRun> client_;
  std::string netns_etc_;
  std::string blob_;
};

TEST_F(VpnTest, TcpByAddressNameAndIpv6WithDnsThroughTheServerOnly) {
  // Count every DNS packet that leaves the client namespace other than through the tun.
  std::string out;
  ASSERT_TRUE(in_client({"nft", "-f", "-"}, &out, 10s) || true);
  ASSERT_TRUE(run_quiet(
      in_netns(net_.client_ns(), {"nft",
                               "add table inet leak; add chain inet leak out { type filter hook "
                               "output priority 0; }; add rule inet leak out oifname != { lo, " +
                                   std::string(kDevice) + " } meta l4proto { udp, tcp } th dport 53 counter"}),
      &out, 10s))
      << out;
  ASSERT_TRUE(start_vpn({"--vpn", "10.78.0.0/24,fd00:78::/64"}, {"MetricsListen=127.0.0.1:9309"}));

  EXPECT_TRUE(fetch("http://" + std::string(kTargetV4) + ":8080/blob") == blob_) << "by IPv4 address";
  EXPECT_TRUE(fetch("http://[" + std::string(kTargetV6) + "]:8080/blob") == blob_) << "by IPv6 address";
  // The client's resolv.conf now names the tun's DNS address, and only the server's dnsmasq knows the name.
  EXPECT_NE(resolv_conf().find("nameserver 198.18.0.3"), std::string::npos) << resolv_conf();
  EXPECT_TRUE(fetch("http://web.internal:8080/blob") == blob_) << "by a name only the server resolves";

  EXPECT_EQ(client_output({"dig", "+short", "+timeout=5", "web.internal", "A"}), std::string(kTargetV4) + "\n");
  EXPECT_EQ(client_output({"dig", "+short", "+timeout=5", "web.internal", "AAAA"}), std::string(kTargetV6) + "\n");
  EXPECT_EQ(client_output({"dig", "+short", "+timeout=5", "web.internal", "MX"}), "10 mail.web.internal.\n");
  // 8 x 200 bytes of TXT: over 512 bytes, so a plain UDP query is truncated and retried over TCP
  // (to the DNS address, which the VPN sends to the same resolver).
  const std::string txt = client_output({"dig", "+short", "+timeout=5", "+noedns", "big.internal", "TXT"});
  EXPECT_EQ(count_occurrences(txt, std::string(200, 'T')), 8u) << txt;
  const std::string txt_tcp = client_output({"dig", "+short", "+timeout=5", "+tcp", "big.internal", "TXT"});
  EXPECT_EQ(count_occurrences(txt_tcp, std::string(200, 'T')), 8u) << txt_tcp;

  // The flows are counted as a forward of kind "vpn": three fetches opened three channels at least
  // (the DNS channel is the relay's own, not a flow).
  const std::string scrape = client_output({"curl", "-sS", "http://127.0.0.1:9309/metrics"});
  const std::string opens_prefix =
      "sshplex_forward_opens_total{kind=\"vpn\",forward=\"" + std::string(kDevice) + "\"} ";
  const auto at = scrape.find(opens_prefix);
  ASSERT_NE(at, std::string::npos) << scrape;
  EXPECT_GE(std::stoul(scrape.substr(at + opens_prefix.size())), 3u) << scrape.substr(at, 80);

  std::string counters;
  ASSERT_TRUE(in_client({"nft", "list", "table", "inet", "leak"}, &counters));
  EXPECT_NE(counters.find("counter packets 0 bytes 0"), std::string::npos)
      << "DNS left the client namespace outside the tun:\n"
      << counters;
}

TEST_F(VpnTest, RefusedPortResetsAtOnceAndOtherUdpIsPortUnreachable) {
  ASSERT_TRUE(start_vpn({"--vpn", "10.78.0.0/24"}));
  // One flow first, so the listener's and the pool's descriptors are all there for the baseline.
  ASSERT_TRUE(fetch("http://" + std::string(kTargetV4) + ":8080/small") == "small\n");
  const std::size_t baseline = open_descriptors(client_->pid());
  const auto started = Clock::now();
  std::string out;
  EXPECT_FALSE(in_client({"curl", "-sS", "--max-time", "10", "http://" + std::string(kTargetV4) + ":8081/"}, &out));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  // curl's "couldn't connect" (7), which a reset gives; a timeout would be 28.
  EXPECT_NE(out.find("curl: (7)"), std::string::npos) << out;
  // A reset, not a timeout (the bound is loose for loaded machines; the log line shows the figure).
  EXPECT_LT(took, 3000ms);
  std::cerr << "[ vpn     ] refused connect answered in " << took.count() << " ms (incl. curl start-up)\n";

  EXPECT_EQ(client_output({"python3", tmp_.file("probe.py"), "udp", kTargetV4}), "refused\n");
  // Twenty more refusals of each kind leave nothing behind in sshplex.
  for (int i = 0; i < 20; ++i) {
    (void)in_client({"curl", "-s", "--max-time", "5", "http://" + std::string(kTargetV4) + ":8081/"});
    (void)in_client({"python3", tmp_.file("probe.py"), "udp", kTargetV4});
  }
  // The VPN still works after both.
  EXPECT_TRUE(fetch("http://" + std::string(kTargetV4) + ":8080/small") == "small\n");
  EXPECT_TRUE(wait_until([&] { return open_descriptors(client_->pid()) == baseline; }, 5s))
      << open_descriptors(client_->pid()) << " descriptors open, " << baseline << " before";
}

TEST_F(VpnTest, HalfClosesPassBothWaysAndFiveHundredFlowsRunAtOnce) {
  // One connection carries everything (no growth under load), so the descriptor count can return
  // exactly to where it was. 500 SYNs at once against one open slot: the rest wait in the backlog
  // and none is refused.
  ASSERT_TRUE(start_vpn({"--vpn", "10.78.0.0/24"}, {"ChannelsPerConnection=0", "MaxPendingOpens=1"}));
  EXPECT_EQ(client_output({"python3", tmp_.file("probe.py"), "half-close-out", kTargetV4}), "300000\n");
  EXPECT_EQ(client_output({"python3", tmp_.file("probe.py"), "half-close-in", kTargetV4}), "100000\n");
  EXPECT_TRUE(wait_until([&] { return read_file(tmp_.file("report")) == "12345"; }, 5s))
      << "bytes sent after the server's shutdown did not arrive: '" << read_file(tmp_.file("report")) << "'";

  const std::size_t baseline = open_descriptors(client_->pid());
  std::string codes;
  ASSERT_TRUE(in_client({"curl", "-sS", "--max-time", "60", "-Z", "--parallel-immediate", "--parallel-max", "500", "-o", "/dev/null", "-w",
                         "%{http_code}\\n", "http://" + std::string(kTargetV4) + ":8080/small?[1-500]"},
                        &codes, 90s))
      << codes;
  EXPECT_EQ(count_occurrences(codes, "200\n"), 500u) << codes.substr(0, 2000);
  EXPECT_NE(client_->stderr_text().find("MaxPendingOpens (1) reached: new flows wait"), std::string::npos);
  // Every flow's socket is closed once its channel is: back to the descriptors of an idle VPN.
  EXPECT_TRUE(wait_until([&] { return open_descriptors(client_->pid()) == baseline; }, 10s))
      << open_descriptors(client_->pid()) << " descriptors open, " << baseline << " before the flows";
}

TEST_F(VpnTest, DefaultRouteHasNoLoopAndEverythingIsRemovedOnExitAndAfterKill9) {
  ASSERT_TRUE(start_vpn({"--vpn"}));
  std::string route;
  ASSERT_TRUE(in_client({"ip", "route", "get", kTargetV4}, &route));
  EXPECT_NE(route.find(kDevice), std::string::npos) << route;
  // The pool's marked sockets go around the tun, to the server's real address.
  ASSERT_TRUE(in_client({"ip", "route", "get", net_.server_address(), "mark", kTable}, &route));
  EXPECT_EQ(route.find(kDevice), std::string::npos) << route;
  EXPECT_TRUE(fetch("http://" + std::string(kTargetV4) + ":8080/blob") == blob_);
  EXPECT_FALSE(leftovers().empty());
  // While it runs, --vpn-cleanup (and a second VPN) must not take its routes for leftovers.
  const std::string installed = leftovers();
  std::string refused;
  EXPECT_FALSE(in_client({client_binary(), "--vpn-cleanup"}, &refused));
  EXPECT_NE(refused.find("a sshplex VPN runs in this network namespace already"), std::string::npos) << refused;
  EXPECT_EQ(leftovers(), installed);
  EXPECT_TRUE(fetch("http://" + std::string(kTargetV4) + ":8080/small") == "small\n");

  ::kill(client_->pid(), SIGTERM);
  const auto result = client_->wait_exit(15s);
  EXPECT_TRUE(result.exited && result.exit_code == 0) << client_->stderr_text();
  EXPECT_EQ(leftovers(), "");
  EXPECT_EQ(resolv_conf(), kOriginalResolvConf);
  EXPECT_FALSE(in_client({"ip", "link", "show", kDevice}));
  // The 3 MiB download came through the tun in TCP super-packets (segmentation offload), byte for
  // byte as fetch() compared.
  // (Parsed by hand: GCC 12 warns inside std::regex at the asan preset's -O1.)
  const std::string err = client_->stderr_text();
  const std::string marker = " of them TCP super-packets";
  const std::size_t end = err.find(marker);
  ASSERT_NE(end, std::string::npos) << err;
  const std::size_t start = err.rfind(' ', end - 1) + 1;
  const std::size_t line = err.rfind('(', end) + 1;
  EXPECT_GT(std::stoull(err.substr(start, end - start)), 0u) << err.substr(line, end + marker.size() - line);
  std::cerr << "[ vpn     ] tun: " << err.substr(line, end + marker.size() - line) << "\n";

  // Killed without a chance to clean up: the rules, the table and resolv.conf stay behind...
  ASSERT_TRUE(start_vpn({"--vpn"}, {"VpnKillSwitch=yes"}));
  ::kill(client_->pid(), SIGKILL);
  (void)client_->wait_exit(10s);
  EXPECT_NE(leftovers(), "");
  EXPECT_NE(resolv_conf(), kOriginalResolvConf);
  // ...until --vpn-cleanup removes them.
  std::string cleanup;
  EXPECT_TRUE(in_client({client_binary(), "--vpn-cleanup"}, &cleanup)) << cleanup;
  EXPECT_NE(cleanup.find("removed"), std::string::npos) << cleanup;
  EXPECT_EQ(leftovers(), "");
  EXPECT_EQ(resolv_conf(), kOriginalResolvConf);
  EXPECT_TRUE(in_client({client_binary(), "--vpn-cleanup"}, &cleanup));
  EXPECT_NE(cleanup.find("nothing"), std::string::npos) << cleanup;

  // A start after a crash removes the leftovers by itself.
  ASSERT_TRUE(start_vpn({"--vpn"}));
  ::kill(client_->pid(), SIGKILL);
  (void)client_->wait_exit(10s);
  ASSERT_TRUE(start_vpn({"--vpn"}));
  EXPECT_NE(client_->stderr_text().find("removed a leftover"), std::string::npos) << client_->stderr_text();
  EXPECT_TRUE(fetch("http://" + std::string(kTargetV4) + ":8080/small") == "small\n");
  ::kill(client_->pid(), SIGTERM);
  (void)client_->wait_exit(15s);
  EXPECT_EQ(leftovers(), "");
  EXPECT_EQ(resolv_conf(), kOriginalResolvConf);
}

TEST_F(VpnTest, KillSwitchLetsNothingOutButTheTunAndTheSshConnection) {
  const std::string direct = "http://" + net_.server_address() + ":8080/small";
  ASSERT_TRUE(fetch(direct) == "small\n") << "the server's address is reachable directly before the VPN";
  ASSERT_TRUE(start_vpn({"--vpn", "10.78.0.0/24"}, {"VpnKillSwitch=yes"}));
  // The server's own address is not routed into the tun, so only the kill switch stops this.
  std::string out;
  EXPECT_FALSE(in_client({"curl", "-sS", "--max-time", "5", "-o", "/dev/null", direct}, &out)) << out;
  EXPECT_TRUE(fetch("http://" + std::string(kTargetV4) + ":8080/small") == "small\n") << "through the tun";

  // The server goes away: a flow in progress is reset (not ended as if complete), new flows fail,
  // nothing leaks meanwhile; it comes back and flows work again.
  Process holder;
  ASSERT_TRUE(holder.start(in_netns(net_.client_ns(), {find_program("python3"), tmp_.file("probe.py"), "hold", kTargetV4}),
                           base_env(), tmp_.file("hold.out"), tmp_.file("hold.err")));
  ASSERT_TRUE(wait_until([&] { return holder.stdout_text().find("connected") != std::string::npos; }, 10s))
      << holder.stderr_text();
  {
    NetnsScope in_server(net_.server_ns());
    ASSERT_TRUE(in_server.ok()) << in_server.error();
    ASSERT_TRUE(sshd_->restart());
  }
  const auto held = holder.wait(15s);
  EXPECT_TRUE(held.exited) << holder.stderr_text();
  EXPECT_EQ(holder.stdout_text(), "connected\nreset\n") << holder.stderr_text();
  EXPECT_FALSE(in_client({"curl", "-sS", "--max-time", "3", "-o", "/dev/null", direct}, &out));
  EXPECT_TRUE(wait_until([&] { return fetch("http://" + std::string(kTargetV4) + ":8080/small") == "small\n"; }, 20s))
      << client_->stderr_text();

  ::kill(client_->pid(), SIGTERM);
  (void)client_->wait_exit(15s);
  EXPECT_EQ(leftovers(), "");
  EXPECT_TRUE(fetch(direct) == "small\n") << "the kill switch outlived sshplex";
}

}  // namespace
