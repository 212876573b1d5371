// The tun VPN's DNS against real parts: DnsRelay on an Upstream pool logged in to a real sshd, with
// dnsmasq as the resolver behind the server (user-named, 127.0.0.1:<port>), driven with the UDP
// packets a tun would deliver. A, AAAA, MX, a large TXT answer (truncated with TC for a 512-byte
// client, whole for an EDNS client), many pipelined queries, the resolver's connection closed with
// queries in flight, a refused resolver port; the server's own resolv.conf read through an exec
// channel; and the host's resolv.conf replaced and restored inside a private mount namespace.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gateway/config/options.hpp"
#include "gateway/pool/session_settings.hpp"
#include "gateway/pool/upstream.hpp"
#include "gateway/vpn/dns_relay.hpp"
#include "gateway/vpn/host_dns.hpp"
#include "gateway/vpn/server_resolver.hpp"
#include "support/files.hpp"
#include "support/keys.hpp"
#include "support/load_client.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/sshd_server.hpp"
#include "support/uv_loop_thread.hpp"
#include "tun/builder.hpp"
#include "tun/dns_framing.hpp"
#include "tun/packet.hpp"

namespace {

using namespace testsupport;
using namespace std::chrono_literals;
using gateway::vpn::DnsRelay;

constexpr std::uint16_t kTypeA = 1, kTypeMx = 15, kTypeTxt = 16, kTypeAaaa = 28, kTypeOpt = 41;
const tun::IpAddress kTunDns = tun::IpAddress::v4(10, 99, 0, 1);
const tun::IpAddress kClient = tun::IpAddress::v4(10, 99, 0, 2);

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// A query as a stub resolver writes it; with `edns` an OPT record announcing that UDP size.
std::vector<std::uint8_t> dns_query(std::uint16_t id, const std::string& name, std::uint16_t type,
                                    std::optional<std::uint16_t> edns = std::nullopt) {
  std::vector<std::uint8_t> m = {
      static_cast<std::uint8_t>(id >> 8),     static_cast<std::uint8_t>(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0,
      static_cast<std::uint8_t>(edns ? 1 : 0)};
  std::size_t at = 0;
  while (at <= name.size()) {
    const std::size_t dot = std::min(name.find('.', at), name.size());
    m.push_back(static_cast<std::uint8_t>(dot - at));
    m.insert(m.end(), name.begin() + static_cast<std::ptrdiff_t>(at), name.begin() + static_cast<std::ptrdiff_t>(dot));
    at = dot + 1;
  }
  m.push_back(0);
  m.insert(m.end(), {static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type), 0, 1});
  if (edns) {
    m.insert(m.end(), {0, 0, kTypeOpt, static_cast<std::uint8_t>(*edns >> 8), static_cast<std::uint8_t>(*edns), 0, 0, 0,
                       0, 0, 0});
  }
  return m;
}

std::vector<std::uint8_t> query_packet(std::uint16_t port, const std::vector<std::uint8_t>& dns) {
  return *tun::build_udp({kClient, port}, {kTunDns, 53}, dns);
}

struct Answer {
  std::uint16_t port = 0;  // the client's port it went to
  tun::Endpoint from;
  std::vector<std::uint8_t> dns;
  std::uint16_t id() const { return static_cast<std::uint16_t>(dns[0] << 8 | dns[1]); }
  int rcode() const { return dns[3] & 0x0f; }
  bool tc() const { return (dns[2] & 0x02) != 0; }
  int answers() const { return dns[6] << 8 | dns[7]; }
};

std::size_t skip_name(const std::vector<std::uint8_t>& m, std::size_t at) {
  while (at < m.size() && m[at] != 0) {
    if ((m[at] & 0xc0) == 0xc0) return at + 2;
    at += 1 + std::size_t{m[at]};
  }
  return at + 1;
}

// The rdata of every answer record of `type`.
std::vector<std::vector<std::uint8_t>> records(const Answer& a, std::uint16_t type) {
  const auto& m = a.dns;
  std::size_t at = skip_name(m, 12) + 4;
  std::vector<std::vector<std::uint8_t>> out;
  for (int i = 0; i < a.answers() && at + 10 <= m.size(); ++i) {
    at = skip_name(m, at);
    const std::uint16_t t = static_cast<std::uint16_t>(m[at] << 8 | m[at + 1]);
    const std::size_t len = static_cast<std::size_t>(m[at + 8] << 8 | m[at + 9]);
    at += 10;
    if (t == type && at + len <= m.size())
      out.emplace_back(m.begin() + static_cast<std::ptrdiff_t>(at), m.begin() + static_cast<std::ptrdiff_t>(at + len));
    at += len;
  }
  return out;
}

class Observer final : public gateway::UpstreamObserver {
 public:
  void on_session_up(gateway::SshSession&) override { ++up; }
  void on_session_down(gateway::SshSession&) override {}
  void on_upstream_failed(const std::string& reason) override { failed = reason; }
  bool session_in_use(gateway::SshSession&) override { return false; }
  std::atomic<int> up{0};
  std::string failed;
};

std::string long_text(char c) {
  return std::string(200, c);
}

class VpnDnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    if (find_program("dnsmasq").empty()) GTEST_SKIP() << "dnsmasq is not installed (package dnsmasq-base)";
    const KeyPair& key = cached_key(KeyType::Ed25519, "user");
    sshd_.authorize_key(key.public_line);
    ASSERT_TRUE(sshd_.start());
    ASSERT_TRUE(sshd_.write_known_hosts(tmp_.file("known_hosts")));
    options_.host = options_.hostname = "127.0.0.1";
    options_.port = static_cast<std::uint16_t>(sshd_.port());
    options_.user = "root";
    options_.identity_files = {key.private_path};
    options_.identities_only = true;
    options_.identity_agent = "none";
    options_.user_known_hosts_files = {tmp_.file("known_hosts")};
    options_.global_known_hosts_files = {};
    options_.strict_host_key_checking = gateway::config::StrictHostKeyChecking::yes;
    options_.batch_mode = true;
    std::string error;
    auto hop = gateway::hop_settings(options_, error);
    ASSERT_TRUE(hop.has_value()) << error;
    gateway::UpstreamSettings settings;
    settings.hop = std::move(*hop);
    settings.pool_size = 1;
    loop_.run([&] {
      resolver_ = std::make_unique<gateway::net::Resolver>(loop_.loop());
      upstream_ = std::make_unique<gateway::Upstream>(loop_.loop(), *resolver_, std::move(settings), observer_);
      upstream_->start();
    });
    ASSERT_TRUE(wait_until([&] { return observer_.up.load() > 0; })) << observer_.failed;
  }

  void TearDown() override {
    if (!upstream_) return;
    loop_.run([&] {
      relay_.reset();
      upstream_->shutdown("test over");
    });
    loop_.run([&] {
      upstream_.reset();
      resolver_->close();
    });
    loop_.run([&] { resolver_.reset(); });
  }

  // dnsmasq on 127.0.0.1:<port>, knowing only.server.test (A, AAAA, MX) and big.server.test (eight
  // TXT records of 200 bytes: about 1.7 kB).
  void start_dnsmasq() {
    dns_port_ = free_tcp_port();
    std::vector<std::string> argv = {find_program("dnsmasq"),
                                     "--no-daemon",
                                     "--conf-file=/dev/null",
                                     "--port=" + std::to_string(dns_port_),
                                     "--listen-address=127.0.0.1",
                                     "--bind-interfaces",
                                     "--no-resolv",
                                     "--no-hosts",
                                     "--pid-file=",
                                     "--address=/only.server.test/192.0.2.77",
                                     "--address=/only.server.test/2001:db8::77",
                                     "--mx-host=only.server.test,mail.only.server.test,10"};
    for (char c = 'a'; c < 'i'; ++c) argv.push_back("--txt-record=big.server.test," + long_text(c));
    ASSERT_TRUE(dnsmasq_.start(argv, base_env(), tmp_.file("dnsmasq.out"), tmp_.file("dnsmasq.err")))
        << dnsmasq_.error();
    ASSERT_TRUE(wait_for_port(dns_port_, 10s)) << dnsmasq_.stderr_text();
  }

  void make_relay(tun::Endpoint resolver, DnsRelay::Settings settings = {}) {
    settings.resolver = resolver;
    loop_.run([&] {
      relay_ = std::make_unique<DnsRelay>(loop_.loop(), *upstream_, settings, [this](ssh::Bytes packet) {
        const auto parsed = tun::parse(packet);
        ASSERT_TRUE(parsed.ok());
        Answer a;
        a.port = parsed.packet.udp.destination_port;
        a.from = {parsed.packet.source, parsed.packet.udp.source_port};
        EXPECT_EQ(parsed.packet.destination, kClient);
        a.dns.assign(packet.begin() + static_cast<std::ptrdiff_t>(parsed.packet.payload_offset),
                     packet.begin() + static_cast<std::ptrdiff_t>(parsed.packet.payload_end));
        std::lock_guard<std::mutex> lock(mutex_);
        answers_.push_back(std::move(a));
      });
    });
  }
  tun::Endpoint dnsmasq_endpoint() const {
    return {tun::IpAddress::v4(127, 0, 0, 1), static_cast<std::uint16_t>(dns_port_)};
  }

  void send(std::uint16_t port, const std::vector<std::uint8_t>& dns) {
    const auto packet = query_packet(port, dns);
    loop_.run([&] {
      const auto parsed = tun::parse(packet);
      relay_->on_query(packet, parsed.packet);
    });
  }
  // Waits for `n` answers in all and returns them.
  std::vector<Answer> answers(std::size_t n, std::chrono::milliseconds timeout = 15s) {
    wait_until(
        [&] {
          std::lock_guard<std::mutex> lock(mutex_);
          return answers_.size() >= n;
        },
        timeout);
    std::lock_guard<std::mutex> lock(mutex_);
    return answers_;
  }
  DnsRelay::Counters counters() {
    return loop_.run([&] { return relay_->counters(); });
  }
  // One query, its one answer.
  Answer ask(std::uint16_t id, const std::string& name, std::uint16_t type,
             std::optional<std::uint16_t> edns = std::nullopt) {
    const std::size_t before = answers(0, 0ms).size();
    send(4000, dns_query(id, name, type, edns));
    const auto all = answers(before + 1);
    EXPECT_EQ(all.size(), before + 1) << "no answer for " << name;
    return all.size() > before ? all[before] : Answer{};
  }

  TempDir tmp_{"sshplex-vpn-dns"};
  SshdServer sshd_;
  Process dnsmasq_;
  int dns_port_ = 0;
  gateway::config::Options options_;
  LoopThread loop_;
  Observer observer_;
  std::unique_ptr<gateway::net::Resolver> resolver_;
  std::unique_ptr<gateway::Upstream> upstream_;
  std::unique_ptr<DnsRelay> relay_;
  std::mutex mutex_;
  std::vector<Answer> answers_;
};

TEST_F(VpnDnsTest, AnAaaaAndMxOfANameOnlyTheServerSideKnows) {
  start_dnsmasq();
  make_relay(dnsmasq_endpoint());
  const Answer a = ask(0x1111, "only.server.test", kTypeA);
  ASSERT_FALSE(a.dns.empty());
  EXPECT_EQ(a.id(), 0x1111);
  EXPECT_EQ(a.port, 4000);
  EXPECT_EQ(a.from, (tun::Endpoint{kTunDns, 53}));  // from the address the client asked
  EXPECT_EQ(a.rcode(), 0);
  ASSERT_EQ(records(a, kTypeA).size(), 1u);
  EXPECT_EQ(records(a, kTypeA)[0], (std::vector<std::uint8_t>{192, 0, 2, 77}));

  const Answer aaaa = ask(0x2222, "only.server.test", kTypeAaaa);
  ASSERT_EQ(records(aaaa, kTypeAaaa).size(), 1u);
  in6_addr expected{};
  inet_pton(AF_INET6, "2001:db8::77", &expected);
  EXPECT_EQ(std::memcmp(records(aaaa, kTypeAaaa)[0].data(), &expected, 16), 0);

  const Answer mx = ask(0x3333, "only.server.test", kTypeMx);
  ASSERT_EQ(records(mx, kTypeMx).size(), 1u);
  EXPECT_EQ(records(mx, kTypeMx)[0][1], 10);  // the preference
  EXPECT_EQ(counters().channels, 1u);         // one channel carried all three
}

TEST_F(VpnDnsTest, LargeAnswerIsTruncatedForA512ByteClientAndWholeForEdns) {
  start_dnsmasq();
  make_relay(dnsmasq_endpoint());
  const Answer small = ask(0x4444, "big.server.test", kTypeTxt);
  ASSERT_FALSE(small.dns.empty());
  EXPECT_TRUE(small.tc());
  EXPECT_LE(small.dns.size(), 512u);
  EXPECT_EQ(small.id(), 0x4444);

  const Answer whole = ask(0x5555, "big.server.test", kTypeTxt, 4096);
  EXPECT_FALSE(whole.tc());
  EXPECT_GT(whole.dns.size(), 1600u);
  EXPECT_EQ(records(whole, kTypeTxt).size(), 8u);
}

TEST_F(VpnDnsTest, ManyPipelinedQueriesAreAllAnsweredWithTheirOwnIds) {
  start_dnsmasq();
  make_relay(dnsmasq_endpoint());
  // 300 clients at once; ids collide across clients (as independent stubs' ids do). dnsmasq serves
  // 100 queries per TCP connection, so this also crosses two resolver-side closes mid-flight.
  constexpr int n = 300;
  const auto packets = [&] {
    std::vector<std::vector<std::uint8_t>> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(query_packet(
          static_cast<std::uint16_t>(10000 + i),
          dns_query(static_cast<std::uint16_t>(i % 50), "only.server.test", i % 2 == 0 ? kTypeA : kTypeAaaa)));
    }
    return out;
  }();
  loop_.run([&] {
    for (const auto& p : packets) relay_->on_query(p, tun::parse(p).packet);
  });
  const auto all = answers(n);
  ASSERT_EQ(all.size(), static_cast<std::size_t>(n));
  std::set<std::uint16_t> ports;
  for (const auto& a : all) {
    const int i = a.port - 10000;
    ASSERT_TRUE(i >= 0 && i < n);
    EXPECT_EQ(a.id(), i % 50);
    EXPECT_EQ(records(a, i % 2 == 0 ? kTypeA : kTypeAaaa).size(), 1u) << i;
    ports.insert(a.port);
  }
  EXPECT_EQ(ports.size(), static_cast<std::size_t>(n));
  const auto c = counters();
  EXPECT_EQ(c.answers, static_cast<std::uint64_t>(n));
  EXPECT_EQ(c.failures, 0u);
  // dnsmasq closes a TCP connection after 100 queries (TCP_MAX_QUERIES): the rest went on new channels.
  EXPECT_EQ(c.channels, 3u);
  EXPECT_EQ(loop_.run([&] { return relay_->in_flight(); }), 0u);
}

// Reads one length-prefixed DNS message; empty on EOF, error or timeout.
std::vector<std::uint8_t> read_framed(int fd) {
  std::vector<std::uint8_t> out;
  std::size_t want = 2;
  std::vector<std::uint8_t> buf;
  while (buf.size() < want) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return {};
    std::uint8_t b[4096];
    const ssize_t n = ::recv(fd, b, std::min(sizeof b, want - buf.size()), 0);
    if (n <= 0) return {};
    buf.insert(buf.end(), b, b + n);
    if (want == 2 && buf.size() == 2) want = 2 + static_cast<std::size_t>(buf[0] << 8 | buf[1]);
  }
  return buf;
}

TEST_F(VpnDnsTest, ResolverClosingMidFlightQueriesAreSentAgainOnce) {
  start_dnsmasq();
  // Between the server and dnsmasq: the first connection takes three queries and closes without
  // answering; the second passes everything to dnsmasq.
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const auto cut_port = ntohs(addr.sin_port);
  std::atomic<int> first_got{0}, second_got{0};
  std::thread cutter([&] {
    const int c1 = ::accept(listener, nullptr, nullptr);
    while (first_got < 3 && !read_framed(c1).empty()) ++first_got;
    ::close(c1);
    const int c2 = ::accept(listener, nullptr, nullptr);
    const int up = connect_endpoint(Endpoint::tcp(dns_port_));
    for (int i = 0; i < 3; ++i) {
      const auto q = read_framed(c2);
      if (q.empty()) break;
      ++second_got;
      ::send(up, q.data(), q.size(), MSG_NOSIGNAL);
    }
    for (int i = 0; i < second_got; ++i) {
      const auto a = read_framed(up);
      ::send(c2, a.data(), a.size(), MSG_NOSIGNAL);
    }
    ::close(up);
    read_framed(c2);  // until the relay goes
    ::close(c2);
  });
  make_relay({tun::IpAddress::v4(127, 0, 0, 1), cut_port});
  for (std::uint16_t i = 0; i < 3; ++i)
    send(static_cast<std::uint16_t>(5000 + i), dns_query(0x700 + i, "only.server.test", kTypeA));
  const auto all = answers(3);
  EXPECT_EQ(first_got.load(), 3);
  EXPECT_EQ(second_got.load(), 3);
  ASSERT_EQ(all.size(), 3u);
  for (const auto& a : all) {
    EXPECT_EQ(a.id(), 0x700 + (a.port - 5000));
    EXPECT_EQ(records(a, kTypeA).size(), 1u);
  }
  EXPECT_EQ(counters().channels, 2u);
  loop_.run([&] { relay_.reset(); });
  cutter.join();
  ::close(listener);
}

TEST_F(VpnDnsTest, RefusedResolverGivesServfailAndLeaksNoDescriptor) {
  const int closed_port = free_tcp_port();  // nothing listens there
  const auto before = open_fd_count(::getpid());
  make_relay({tun::IpAddress::v4(127, 0, 0, 1), static_cast<std::uint16_t>(closed_port)});
  send(6000, dns_query(0x0bad, "only.server.test", kTypeA));
  const auto all = answers(1);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id(), 0x0bad);
  EXPECT_EQ(all[0].rcode(), tun::dns_rcode_servfail);
  EXPECT_TRUE((all[0].dns[2] & 0x80) != 0);
  EXPECT_GE(counters().failures, 1u);
  loop_.run([&] { relay_.reset(); });
  loop_.run([] {});
  EXPECT_EQ(open_fd_count(::getpid()), before);
}

TEST_F(VpnDnsTest, ServerResolverIsReadThroughAnExecChannel) {
  const auto local = read_file("/etc/resolv.conf");
  const auto expected = gateway::vpn::parse_resolv_conf(local);
  std::mutex m;
  std::optional<gateway::vpn::ServerResolverFetch::Result> result;
  std::unique_ptr<gateway::vpn::ServerResolverFetch> fetch;
  loop_.run([&] {
    fetch = std::make_unique<gateway::vpn::ServerResolverFetch>(loop_.loop(), *upstream_, 10s,
                                                                [&](gateway::vpn::ServerResolverFetch::Result r) {
                                                                  std::lock_guard<std::mutex> lock(m);
                                                                  result = std::move(r);
                                                                });
    fetch->start();
  });
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard<std::mutex> lock(m);
    return result.has_value();
  }));
  loop_.run([&] { fetch.reset(); });
  if (expected.empty()) {
    EXPECT_FALSE(result->error.empty());  // the fallback, with its reason
    ASSERT_EQ(result->resolvers.size(), 1u);
    EXPECT_EQ(result->resolvers[0], gateway::vpn::default_server_resolver());
  } else {
    EXPECT_EQ(result->error, "");
    EXPECT_EQ(result->resolvers, expected);
  }
}

// The host's resolv.conf, in a child with its own mount namespace: a scratch file is bind-mounted
// over /etc/resolv.conf there, so the real one is never touched. The child reports the first
// failed step by its exit status.
TEST(VpnHostDns, ResolvConfReplacedRestoredAndRecoveredAfterACrashInAPrivateNamespace) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (a private mount namespace over /etc/resolv.conf)";
  TempDir tmp("sshplex-host-dns");
  const std::string original = "nameserver 203.0.113.9\nsearch example.test\n";
  write_file(tmp.file("resolv.conf"), original);
  const std::string real_before = read_file("/etc/resolv.conf");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::unshare(CLONE_NEWNS) != 0) ::_exit(10);
    if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(11);
    if (::mount(tmp.file("resolv.conf").c_str(), "/etc/resolv.conf", nullptr, MS_BIND, nullptr) != 0) ::_exit(12);
    gateway::vpn::HostDns::Settings s;
    s.dns = kTunDns;
    s.state_dir = tmp.file("state");
    s.mode = gateway::vpn::HostDns::Mode::resolv_conf;
    std::string error;
    {
      auto host = gateway::vpn::HostDns::apply(s, error);
      if (!host) ::_exit(20);
      if (read_file("/etc/resolv.conf").find("\nnameserver 10.99.0.1\n") == std::string::npos) ::_exit(21);
      if (gateway::vpn::restore_leftovers(s.state_dir) != 0) ::_exit(22);  // our own copy: left alone
    }
    if (read_file("/etc/resolv.conf") != original) ::_exit(23);
    // A crash: the grandchild changes the file and dies without restoring it.
    const pid_t crasher = ::fork();
    if (crasher == 0) {
      auto host = gateway::vpn::HostDns::apply(s, error);
      ::_exit(host ? 0 : 1);
    }
    int status = 0;
    if (::waitpid(crasher, &status, 0) != crasher || !WIFEXITED(status) || WEXITSTATUS(status) != 0) ::_exit(30);
    if (read_file("/etc/resolv.conf").find("nameserver 10.99.0.1") == std::string::npos) ::_exit(31);
    if (gateway::vpn::restore_leftovers(s.state_dir) != 1) ::_exit(32);
    if (read_file("/etc/resolv.conf") != original) ::_exit(33);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the step that failed (see the test's exit codes)";
  EXPECT_EQ(read_file("/etc/resolv.conf"), real_before);
  EXPECT_EQ(read_file(tmp.file("resolv.conf")), original);
}

TEST(VpnHostDns, ResolvedMode) {
  if (!gateway::vpn::ResolvedLink::running()) {
    GTEST_SKIP() << "systemd-resolved is not running here (its D-Bus name has no owner)";
  }
  // With resolved running, a link is needed: the tun device's tests cover this mode.
  GTEST_SKIP() << "resolved runs, but this test has no link of its own to configure";
}

}  // namespace
