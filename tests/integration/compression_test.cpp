// Compression (-C, Compression yes) end to end against real servers: data through a -L forward and
// through a remote command, hashed, with and without -C, across re-keys; sshd's log (the method
// negotiated, each stream started) and a byte-counting relay in front of the server show that
// compression really happened on the wire. Dropbear is a second, independent zlib@openssh.com
// implementation.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "ssh/crypto/hash.hpp"
#include "support/client_run.hpp"
#include "support/dropbear_server.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;
using namespace std::chrono_literals;

constexpr std::size_t kForwardBytes = 4 * 1024 * 1024;
constexpr std::size_t kZeros = 8000000;

std::string sha256_hex(std::string_view data) {
  const auto d = ssh::crypto::digest(ssh::crypto::HashAlg::sha256, ssh::as_bytes(data));
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : d) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// Compressible but not trivial: log-like lines with a counter.
std::string text_input(std::size_t n) {
  std::string out;
  out.reserve(n + 100);
  for (std::size_t i = 0; out.size() < n; ++i) {
    out += "line " + std::to_string(i) + ": the quick brown fox jumps over the lazy dog " +
           std::to_string(i * 7919 % 1000) + "\n";
  }
  out.resize(n);
  return out;
}

// A TCP relay from a local port to the server that counts the bytes each way.
class CountingRelay {
 public:
  ~CountingRelay() {
    stop_ = true;
    if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    for (auto& t : pumps_) t.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }
  bool start(int target_port) {
    target_ = target_port;
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 8) != 0)
      return false;
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
    return true;
  }
  int port() const { return port_; }
  std::uint64_t to_server() const { return up_; }
  std::uint64_t to_client() const { return down_; }

 private:
  void accept_loop() {
    while (!stop_) {
      const int c = ::accept(listen_fd_, nullptr, nullptr);
      if (c < 0) return;
      const int s = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<std::uint16_t>(target_));
      if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(c);
        ::close(s);
        continue;
      }
      pumps_.emplace_back([this, c, s] { pump(c, s); });
    }
  }
  void pump(int c, int s) {
    pollfd fds[2] = {{c, POLLIN, 0}, {s, POLLIN, 0}};
    char buf[65536];
    bool open[2] = {true, true};
    while (!stop_ && (open[0] || open[1])) {
      if (::poll(fds, 2, 100) < 0) break;
      for (int i = 0; i < 2; ++i) {
        if (!open[i] || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        const int to = fds[1 - i].fd;
        if (n <= 0) {
          open[i] = false;
          fds[i].events = 0;
          ::shutdown(to, SHUT_WR);
          continue;
        }
        (i == 0 ? up_ : down_) += static_cast<std::uint64_t>(n);
        for (ssize_t off = 0; off < n;) {
          const ssize_t w = ::write(to, buf + off, static_cast<std::size_t>(n - off));
          if (w <= 0) {
            open[0] = open[1] = false;
            break;
          }
          off += w;
        }
      }
    }
    ::close(c);
    ::close(s);
  }

  int listen_fd_ = -1, port_ = 0, target_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> up_{0}, down_{0};
  std::thread acceptor_;
  std::vector<std::thread> pumps_;
};

// known_hosts lines for a server reached through the relay: the same keys under the relay's port.
bool write_relayed_known_hosts(const std::string& path, std::vector<std::string> lines, int server_port,
                               int relay_port) {
  const std::string from = "[127.0.0.1]:" + std::to_string(server_port) + " ";
  const std::string to = "[127.0.0.1]:" + std::to_string(relay_port) + " ";
  std::string text;
  for (auto& l : lines) {
    if (l.rfind(from, 0) == 0) l = to + l.substr(from.size());
    text += l + "\n";
  }
  return write_file(path, text, 0600);
}

// What sshd says about compression: the negotiated method per key exchange ("kex: client->server
// cipher: ... compression: zlib@openssh.com" at DEBUG1) and each stream it starts after
// authentication ("Enabling compression at level 6.": once per direction-pair at login and again
// after every re-key, since OpenSSH restarts the streams with new keys).
struct SshdCompression {
  std::size_t negotiated = 0;  // kex lines naming zlib@openssh.com
  std::size_t started = 0;     // post-authentication stream starts
};
SshdCompression sshd_compression(const SshdServer& sshd) {
  const std::string log = sshd.log();
  SshdCompression c;
  std::size_t at = 0;
  while ((at = log.find("compression: zlib@openssh.com", at)) != std::string::npos) {
    ++c.negotiated;
    ++at;
  }
  // The pre-authentication child says it too, marked "[preauth]"; the streams that count run after.
  const std::string start = "Enabling compression at level 6.";
  for (at = log.find(start); at != std::string::npos; at = log.find(start, at + 1)) {
    if (log.compare(at + start.size(), 10, " [preauth]") != 0) ++c.started;
  }
  return c;
}

class CompressionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    SshdOptions o;
    o.log_level = "DEBUG1";  // names the compression method; DEBUG3 would slow bulk data down
    o.rekey_limit = "1M";    // the server re-keys every MiB: the streams restart each time
    sshd_ = std::make_unique<SshdServer>(o);
    sshd_->authorize_key(key().public_line);
    ASSERT_TRUE(sshd_->start());
    ASSERT_TRUE(sshd_->write_known_hosts(tmp_.file("known_hosts")));
    ASSERT_TRUE(echo_.start_tcp());
  }

  static const KeyPair& key() { return cached_key(KeyType::Ed25519, "user"); }

  ClientOptions options(bool compression) {
    ClientOptions o = client_options_for(sshd_->port(), tmp_.file("known_hosts"), key());
    if (compression) o.extra_args.push_back("-C");
    return o;
  }

  ClientOptions command(bool compression, std::string cmd) {
    ClientOptions o = options(compression);
    o.no_command = false;
    o.command = {std::move(cmd)};
    return o;
  }

  TempDir tmp_{"sshplex-compression"};
  std::unique_ptr<SshdServer> sshd_;
  EchoServer echo_;
};

TEST_F(CompressionTest, ForwardRoundTripWithAndWithoutCompression) {
  EXPECT_TRUE(forward_and_verify(options(false), tcp_forward_to(echo_.endpoint()), kForwardBytes, 3));
  EXPECT_EQ(sshd_compression(*sshd_).negotiated, 0u) << "no compression without -C";
  EXPECT_EQ(sshd_compression(*sshd_).started, 0u);
  EXPECT_TRUE(forward_and_verify(options(true), tcp_forward_to(echo_.endpoint()), kForwardBytes, 4));
  // Random data both ways, 8 MiB in all: sshd re-keyed several times (RekeyLimit 1M) and restarted
  // its streams each time, as we must have done for the data to arrive intact.
  const auto c = sshd_compression(*sshd_);
  EXPECT_GE(c.negotiated, 2u * 4) << "both directions, first exchange and re-keys";
  EXPECT_GE(c.started, 4u) << "streams restarted after re-keys";
}

TEST_F(CompressionTest, RemoteCommandBothWaysIsCompressedOnTheWire) {
  CountingRelay relay;
  ASSERT_TRUE(relay.start(sshd_->port()));
  const std::string input = text_input(kZeros);
  ASSERT_TRUE(write_file(tmp_.file("input"), input, 0600));
  // Downstream: 8 MB of zeros made on the server. Upstream: text in on stdin, its hash back.
  ClientOptions o = command(true, "head -c " + std::to_string(kZeros) + " /dev/zero; sha256sum >&2");
  o.port = relay.port();
  o.known_hosts_file = tmp_.file("known_hosts_relay");
  ASSERT_TRUE(write_relayed_known_hosts(o.known_hosts_file, sshd_->known_hosts_lines(), sshd_->port(), relay.port()));
  o.options.push_back("RekeyLimit=2M");  // client-side re-keys too
  o.stdin_path = tmp_.file("input");
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  const ProcessResult r = client.wait_exit(120s);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << client.stderr_text();
  const std::string out = client.stdout_text();
  EXPECT_EQ(out.size(), kZeros);
  EXPECT_EQ(sha256_hex(out), sha256_hex(std::string(kZeros, '\0')));
  EXPECT_NE(client.stderr_text().find(sha256_hex(input)), std::string::npos) << "the server hashed our stdin";
  // The wire carried a small fraction of the data each way.
  EXPECT_LT(relay.to_client(), kZeros / 20) << "downstream bytes on the wire";
  EXPECT_LT(relay.to_server(), input.size() / 3) << "upstream bytes on the wire";
  // (So little crosses the wire that no re-key is due: the forward test covers those.)
  EXPECT_GE(sshd_compression(*sshd_).started, 1u) << "sshd compressed after login";
}

TEST_F(CompressionTest, StdinToStdoutHashedWithAndWithoutCompression) {
  const std::string input = text_input(6 * 1024 * 1024);
  ASSERT_TRUE(write_file(tmp_.file("input"), input, 0600));
  for (bool compression : {false, true}) {
    ClientOptions o = command(compression, "cat");
    o.stdin_path = tmp_.file("input");
    ClientRun client(o);
    ASSERT_TRUE(client.start());
    const ProcessResult r = client.wait_exit(120s);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << client.stderr_text();
    EXPECT_EQ(client.stdout_text().size(), input.size()) << "compression " << compression;
    EXPECT_EQ(sha256_hex(client.stdout_text()), sha256_hex(input)) << "compression " << compression;
  }
  EXPECT_GE(sshd_compression(*sshd_).started, 1u);
}

TEST_F(CompressionTest, VerboseLogNamesTheNegotiatedCompression) {
  ClientOptions o = command(true, "true");
  o.verbose = true;
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  const ProcessResult r = client.wait_exit(30s);
  EXPECT_EQ(r.exit_code, 0);
  const std::string err = client.stderr_text();
  EXPECT_NE(err.find("zlib@openssh.com"), std::string::npos) << err;
  EXPECT_NE(err.find("Enabling compression at level 6."), std::string::npos) << err;
  EXPECT_EQ(err.find("Compression is not supported"), std::string::npos) << err;
}

TEST(CompressionDropbear, ZlibAtOpenSshComWithDropbear) {
  TESTSUPPORT_SKIP_IF(DropbearServer::unavailable_reason());
  TESTSUPPORT_SKIP_IF(client_unavailable_reason());
  TempDir tmp("sshplex-compression-dropbear");
  const KeyPair& key = cached_key(KeyType::Ed25519, "user");
  DropbearServer server;
  server.authorize_key(key.public_line);
  ASSERT_TRUE(server.start());
  CountingRelay relay;
  ASSERT_TRUE(relay.start(server.port()));
  ASSERT_TRUE(
      write_relayed_known_hosts(tmp.file("known_hosts"), {server.known_hosts_line()}, server.port(), relay.port()));
  const std::string input = text_input(4 * 1024 * 1024);
  ASSERT_TRUE(write_file(tmp.file("input"), input, 0600));
  for (bool compression : {false, true}) {
    const std::uint64_t down_before = relay.to_client(), up_before = relay.to_server();
    ClientOptions o = client_options_for(relay.port(), tmp.file("known_hosts"), key, server.user().name);
    if (compression) o.extra_args.push_back("-C");
    o.no_command = false;
    o.command = {"cat"};
    o.stdin_path = tmp.file("input");
    ClientRun client(o);
    ASSERT_TRUE(client.start());
    const ProcessResult r = client.wait_exit(120s);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << client.stderr_text();
    EXPECT_EQ(sha256_hex(client.stdout_text()), sha256_hex(input)) << "compression " << compression;
    const std::uint64_t down = relay.to_client() - down_before, up = relay.to_server() - up_before;
    if (compression) {
      EXPECT_LT(down, input.size() / 3);
      EXPECT_LT(up, input.size() / 3);
    } else {
      EXPECT_GT(down, input.size());
      EXPECT_GT(up, input.size());
    }
  }
}

}  // namespace
