// ssh::Client end to end against a real OpenSSH sshd on loopback: publickey authentication
// (query, PK_OK, signature), a session channel running a command, a direct-tcpip channel to a
// local echo listener, flow control over many windows, and keepalive probes. Needs root (sshd
// refuses to run otherwise) and skips with a message when that or sshd is missing.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ssh/client/client.hpp"
#include "ssh/connection/channel_types.hpp"
#include "ssh/connection/session_requests.hpp"
#include "ssh/crypto/host_key.hpp"
#include "ssh/keys/private_key.hpp"
#include "support/net.hpp"
#include "ssh/keys/public_key.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
constexpr const char* kSshdPath = "/usr/sbin/sshd";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Binds 127.0.0.1:0 and listens; returns the fd and sets `port`.
int listen_any(int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 4) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return -1;
  }
  port = ntohs(a.sin_port);
  return fd;
}

// Throwaway keys and an sshd accepting the user key for root.
class Server {
 public:
  Server() {
    char tmpl[] = "/tmp/sshplex_client_sshd_XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    for (const char* type : {"ed25519", "rsa"}) {
      const std::string f = dir_ + "/user_" + type;
      const std::string cmd =
          std::string("ssh-keygen -q -t ") + type + " -N '' -f " + f + " </dev/null >/dev/null 2>&1";
      if (std::system(cmd.c_str()) != 0) return;
    }
    if (std::system(
            ("ssh-keygen -q -t ed25519 -N '' -f " + dir_ + "/host_ed25519 </dev/null >/dev/null 2>&1").c_str()) != 0) {
      return;
    }
    {
      std::ofstream ak(dir_ + "/authorized_keys");
      ak << read_file(dir_ + "/user_ed25519.pub") << read_file(dir_ + "/user_rsa.pub");
    }
    {
      std::ofstream c(dir_ + "/sshd_config");
      c << "ListenAddress 127.0.0.1\nPidFile none\nUsePAM no\nStrictModes no\n"
        << "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        << "AuthorizedKeysFile " << dir_ << "/authorized_keys\n"
        << "HostKey " << dir_ << "/host_ed25519\n"
        << "PermitRootLogin prohibit-password\nAllowTcpForwarding yes\nLogLevel DEBUG1\n";
    }
    ::mkdir("/run/sshd", 0755);  // privilege separation directory
    start();
  }
  ~Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  bool ok() const { return port_ != 0; }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string log() const { return read_file(dir_ + "/sshd.log"); }

 private:
  void start() {
    for (int attempt = 0; attempt < 5 && port_ == 0; ++attempt) {
      int port = 0;
      const int probe = listen_any(port);
      if (probe < 0) return;
      ::close(probe);
      const pid_t pid = ::fork();
      if (pid == 0) {
        const int log = ::open((dir_ + "/sshd.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (log >= 0) {
          ::dup2(log, 1);
          ::dup2(log, 2);
        }
        std::string config = dir_ + "/sshd_config", p = std::to_string(port);
        std::vector<char*> argv{const_cast<char*>(kSshdPath),
                                const_cast<char*>("-D"),
                                const_cast<char*>("-e"),
                                const_cast<char*>("-f"),
                                config.data(),
                                const_cast<char*>("-p"),
                                p.data(),
                                nullptr};
        ::execv(kSshdPath, argv.data());
        ::_exit(127);
      }
      if (pid < 0) return;
      for (int i = 0; i < 150; ++i) {
        if (::waitpid(pid, nullptr, WNOHANG) == pid) break;
        const int fd = testsupport::connect_endpoint(testsupport::Endpoint::tcp(port));
        if (fd >= 0) {
          ::close(fd);
          pid_ = pid;
          port_ = port;
          return;
        }
        std::this_thread::sleep_for(20ms);
      }
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }

  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// Accepts one connection and echoes it until EOF, then half-closes.
class EchoServer {
 public:
  EchoServer() : fd_(listen_any(port_)) {
    if (fd_ < 0) return;
    thread_ = std::thread([this] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      for (;;) {
        const ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        if (::write(c, buf, static_cast<std::size_t>(n)) != n) break;
      }
      ::shutdown(c, SHUT_WR);
      ::close(c);
    });
  }
  ~EchoServer() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;
  int port() const { return port_; }

 private:
  int port_ = 0;
  int fd_ = -1;
  std::thread thread_;
};

// A blocking socket pumping an ssh::Client; events go to `on_event`.
class Driver {
 public:
  Driver(int port, ssh::ClientConfig config) : client(std::move(config), Clock::now()), fd_(testsupport::connect_endpoint(testsupport::Endpoint::tcp(port))) {}
  ~Driver() {
    if (fd_ >= 0) ::close(fd_);
  }
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // Runs until `done()` or the limit; false on timeout or socket closure before done.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    const auto end = Clock::now() + limit;
    while (!done()) {
      if (Clock::now() > end || !step()) return done();
    }
    return true;
  }

  ssh::Client client;
  std::function<void(ssh::Event&)> on_event;
  std::vector<std::string> log;

 private:
  bool step() {
    if (fd_ < 0) return false;
    while (client.has_transmit()) {
      const ssh::Bytes out = client.take_transmit();
      std::size_t off = 0;
      while (off < out.size()) {
        const ssize_t n = ::send(fd_, out.data() + off, out.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return false;
        off += static_cast<std::size_t>(n);
      }
    }
    int wait_ms = 50;
    if (auto d = client.next_deadline()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*d - Clock::now()).count();
      wait_ms = static_cast<int>(std::clamp<long long>(left, 0, 50));
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, wait_ms) > 0) {
      std::uint8_t buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        eof_ = true;
      } else {
        client.handle_bytes(ssh::ByteView(buf, static_cast<std::size_t>(n)), Clock::now());
      }
    }
    client.handle_timeout(Clock::now());
    while (auto e = client.poll_event()) {
      if (auto* d = std::get_if<ssh::event::Disconnected>(&*e)) log.push_back("disconnected: " + d->description);
      if (on_event) on_event(*e);
    }
    return !eof_ || !client.is_closed();
  }

  int fd_ = -1;
  bool eof_ = false;
};

class ClientSshdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run sshd";
    if (::access(kSshdPath, X_OK) != 0) GTEST_SKIP() << kSshdPath << " not installed";
    server_ = std::make_unique<Server>();
    ASSERT_TRUE(server_->ok()) << "sshd did not start";
  }

  ssh::ClientConfig config() const {
    ssh::ClientConfig c;
    c.user = "root";
    return c;
  }

  // Host key check against the generated key, then none -> publickey query -> signed request.
  void authenticate(Driver& d, const std::string& key_name, std::string* method_out = nullptr) {
    const auto host_pub = ssh::keys::parse_public_key_line(read_file(server_->dir() + "/host_ed25519.pub"));
    ASSERT_TRUE(host_pub);
    const std::string key_file = read_file(server_->dir() + "/" + key_name);
    auto loaded = ssh::keys::load_private_key(ssh::as_bytes(key_file), "");
    ASSERT_EQ(loaded.status, ssh::keys::LoadStatus::ok) << loaded.message;
    const ssh::keys::Signer& signer = *loaded.signer;
    bool authenticated = false, pk_ok = false, saw_host_key = false;
    std::vector<std::string> offered;
    d.on_event = [&](ssh::Event& e) {
      if (auto* hk = std::get_if<ssh::event::HostKey>(&e)) {
        saw_host_key = true;
        const bool match = hk->fingerprint == ssh::crypto::sha256_fingerprint(host_pub->blob);
        EXPECT_TRUE(match) << hk->fingerprint;
        d.client.host_key_verdict(match);
      } else if (auto* m = std::get_if<ssh::event::AuthMethods>(&e)) {
        if (m->methods.empty() && offered.empty()) {
          d.client.auth_none();
        } else {
          offered = m->methods;
          d.client.auth_publickey_query(algorithm_for(d, signer), signer.public_blob());
        }
      } else if (std::get_if<ssh::event::AuthPublicKeyOk>(&e) != nullptr) {
        pk_ok = true;
        d.client.auth_publickey_sign(algorithm_for(d, signer), signer);
      } else if (auto* a = std::get_if<ssh::event::Authenticated>(&e)) {
        authenticated = true;
        if (method_out != nullptr) *method_out = a->method;
      }
    };
    ASSERT_TRUE(d.run_until([&] { return authenticated || d.client.is_closed(); }, 20s)) << server_->log();
    ASSERT_TRUE(authenticated) << ::testing::PrintToString(d.log) << server_->log();
    EXPECT_TRUE(saw_host_key);
    EXPECT_TRUE(pk_ok);
    EXPECT_NE(std::find(offered.begin(), offered.end(), "publickey"), offered.end());
    EXPECT_TRUE(d.client.is_authenticated());
  }

  static std::string algorithm_for(Driver& d, const ssh::keys::Signer& signer) {
    // RSA keys sign with the best rsa-sha2 the server lists in server-sig-algs (RFC 8332 §3.3).
    const auto& server_algs = d.client.server_sig_algs();
    for (const auto& a : signer.signature_algorithms()) {
      if (std::find(server_algs.begin(), server_algs.end(), a) != server_algs.end()) return a;
    }
    return signer.signature_algorithms().front();
  }

  std::unique_ptr<Server> server_;
};

TEST_F(ClientSshdTest, SessionExecEchoHello) {
  Driver d(server_->port(), config());
  std::string method;
  authenticate(d, "user_ed25519", &method);
  EXPECT_EQ(method, "publickey");
  std::string out;
  std::optional<std::uint32_t> status;
  bool opened = false, closed = false, eof = false;
  std::vector<bool> replies;
  auto id = d.client.open_channel(ssh::connection::channel_type::kSession, {});
  ASSERT_TRUE(id);
  d.on_event = [&](ssh::Event& e) {
    if (auto* o = std::get_if<ssh::event::ChannelOpened>(&e)) {
      opened = true;
      d.client.channel_request(o->id, "exec", ssh::connection::session_request::exec("echo hello"), true);
    } else if (auto* data = std::get_if<ssh::event::ChannelData>(&e)) {
      if (data->extended_type == 0) out.append(data->data.begin(), data->data.end());
      d.client.consume(data->id, data->data.size());
    } else if (auto* r = std::get_if<ssh::event::ChannelRequestResult>(&e)) {
      replies.push_back(r->success);
    } else if (auto* x = std::get_if<ssh::event::ChannelRequest>(&e)) {
      if (x->name == "exit-status") status = ssh::connection::session_request::parse_exit_status(x->data);
    } else if (std::get_if<ssh::event::ChannelEof>(&e) != nullptr) {
      eof = true;
      d.client.send_eof(*id);
    } else if (std::get_if<ssh::event::ChannelClosed>(&e) != nullptr) {
      closed = true;
    }
  };
  ASSERT_TRUE(d.run_until([&] { return closed || d.client.is_closed(); }, 20s)) << server_->log();
  EXPECT_TRUE(opened);
  EXPECT_TRUE(closed);
  EXPECT_TRUE(eof);
  EXPECT_EQ(out, "hello\n");
  EXPECT_EQ(replies, std::vector<bool>{true});
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0u);
  EXPECT_EQ(d.client.open_channel_count(), 0u);
  EXPECT_FALSE(d.client.is_closed());
}

TEST_F(ClientSshdTest, DirectTcpipEcho) {
  EchoServer echo;
  ASSERT_NE(echo.port(), 0);
  Driver d(server_->port(), config());
  authenticate(d, "user_rsa");
  const std::string message = "through the tunnel and back\n";
  std::string back;
  bool closed = false;
  auto id = d.client.open_channel(ssh::connection::channel_type::kDirectTcpip, ssh::connection::channel_type::direct_tcpip("127.0.0.1", static_cast<std::uint32_t>(echo.port()), "127.0.0.1", 40000));
  ASSERT_TRUE(id);
  d.on_event = [&](ssh::Event& e) {
    if (std::get_if<ssh::event::ChannelOpened>(&e) != nullptr) {
      EXPECT_EQ(d.client.send(*id, ssh::as_bytes(message)), message.size());
      d.client.send_eof(*id);
    } else if (auto* f = std::get_if<ssh::event::ChannelOpenFailed>(&e)) {
      ADD_FAILURE() << "open failed: " << f->description;
      closed = true;
    } else if (auto* data = std::get_if<ssh::event::ChannelData>(&e)) {
      back.append(data->data.begin(), data->data.end());
      d.client.consume(data->id, data->data.size());
    } else if (std::get_if<ssh::event::ChannelClosed>(&e) != nullptr) {
      closed = true;
    }
  };
  ASSERT_TRUE(d.run_until([&] { return closed || d.client.is_closed(); }, 20s)) << server_->log();
  EXPECT_EQ(back, message);
  // The id is free again after ChannelClosed.
  auto again = d.client.open_channel(ssh::connection::channel_type::kSession, {});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *id);
}

TEST_F(ClientSshdTest, ManyWindowsOfOutput) {
  ssh::ClientConfig cfg = config();
  cfg.channel_window = 64 * 1024;  // forces dozens of WINDOW_ADJUSTs
  Driver d(server_->port(), cfg);
  authenticate(d, "user_ed25519");
  std::size_t received = 0;
  std::string errors;
  bool closed = false;
  std::optional<std::uint32_t> status;
  auto id = d.client.open_channel(ssh::connection::channel_type::kSession, {});
  ASSERT_TRUE(id);
  d.on_event = [&](ssh::Event& e) {
    if (std::get_if<ssh::event::ChannelOpened>(&e) != nullptr) {
      d.client.channel_request(*id, "exec", ssh::connection::session_request::exec("head -c 3000000 /dev/zero"), false);
    } else if (auto* data = std::get_if<ssh::event::ChannelData>(&e)) {
      if (data->extended_type == 0) {
        received += data->data.size();
      } else {
        errors.append(data->data.begin(), data->data.end());
      }
      d.client.consume(data->id, data->data.size());
    } else if (auto* x = std::get_if<ssh::event::ChannelRequest>(&e)) {
      if (x->name == "exit-status") status = ssh::connection::session_request::parse_exit_status(x->data);
    } else if (std::get_if<ssh::event::ChannelEof>(&e) != nullptr) {
      d.client.close_channel(*id);
    } else if (std::get_if<ssh::event::ChannelClosed>(&e) != nullptr) {
      closed = true;
    }
  };
  ASSERT_TRUE(d.run_until([&] { return closed || d.client.is_closed(); }, 30s)) << server_->log();
  EXPECT_EQ(received, 3000000u) << errors;
  EXPECT_EQ(status, 0u) << errors;
}

TEST_F(ClientSshdTest, KeepaliveProbesAreAnswered) {
  ssh::ClientConfig cfg = config();
  cfg.server_alive_interval = 1s;
  cfg.server_alive_count_max = 1;
  Driver d(server_->port(), cfg);
  authenticate(d, "user_ed25519");
  d.on_event = nullptr;
  // 3.5 s of idleness: without answered probes the client would give up after 2 s.
  const auto end = Clock::now() + 3500ms;
  d.run_until([&] { return Clock::now() > end || d.client.is_closed(); }, 10s);
  EXPECT_FALSE(d.client.is_closed()) << ::testing::PrintToString(d.log);
  EXPECT_TRUE(d.client.next_deadline().has_value());
}

}  // namespace

namespace {

// The same liveness logic on synthetic time: after authentication nothing more is read from the
// socket, so every probe goes unanswered and the client gives up after count_max of them.
TEST_F(ClientSshdTest, KeepaliveTimeoutOnSyntheticTime) {
  ssh::ClientConfig cfg = config();
  cfg.server_alive_interval = 15s;
  cfg.server_alive_count_max = 2;
  Driver d(server_->port(), cfg);
  authenticate(d, "user_ed25519");
  d.client.take_transmit();
  const auto t0 = Clock::now();
  auto deadline = d.client.next_deadline();
  ASSERT_TRUE(deadline);
  EXPECT_LE(*deadline, t0 + 15s);
  std::vector<ssh::Event> events;
  auto collect = [&] {
    while (auto e = d.client.poll_event()) events.push_back(std::move(*e));
  };
  d.client.handle_timeout(t0 + 16s);
  EXPECT_TRUE(d.client.has_transmit());  // first probe
  d.client.take_transmit();
  d.client.handle_timeout(t0 + 20s);
  EXPECT_FALSE(d.client.has_transmit());  // not due yet
  d.client.handle_timeout(t0 + 32s);
  EXPECT_TRUE(d.client.has_transmit());  // second probe
  d.client.take_transmit();
  collect();
  EXPECT_TRUE(events.empty());
  EXPECT_FALSE(d.client.is_closed());
  d.client.handle_timeout(t0 + 48s);
  collect();
  ASSERT_EQ(events.size(), 1u);
  auto* gone = std::get_if<ssh::event::Disconnected>(&events[0]);
  ASSERT_NE(gone, nullptr);
  EXPECT_EQ(gone->reason, ssh::transport::kConnectionLost);
  EXPECT_EQ(gone->description, "Timeout, server not responding");
  EXPECT_FALSE(gone->by_peer);
  EXPECT_TRUE(d.client.is_closed());
  EXPECT_FALSE(d.client.open_channel(ssh::connection::channel_type::kSession, {}));
}

}  // namespace

namespace {

// Two sessions at once: an unknown subsystem is refused (CHANNEL_FAILURE), a command's non-zero
// exit status and its stderr (extended data 1) come through.
TEST_F(ClientSshdTest, SubsystemRefusedAndExitStatus) {
  Driver d(server_->port(), config());
  authenticate(d, "user_ed25519");
  auto a = d.client.open_channel(ssh::connection::channel_type::kSession, {});
  auto b = d.client.open_channel(ssh::connection::channel_type::kSession, {});
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(d.client.open_channel_count(), 2u);
  std::optional<bool> subsystem_ok;
  std::optional<std::uint32_t> status;
  std::string err;
  int closed = 0;
  d.on_event = [&](ssh::Event& e) {
    if (auto* o = std::get_if<ssh::event::ChannelOpened>(&e)) {
      if (o->id == *a) d.client.channel_request(*a, "subsystem", ssh::connection::session_request::subsystem("no-such-subsystem"), true);
      if (o->id == *b) d.client.channel_request(*b, "exec", ssh::connection::session_request::exec("echo oops >&2; exit 3"), true);
    } else if (auto* r = std::get_if<ssh::event::ChannelRequestResult>(&e)) {
      if (r->id == *a) {
        subsystem_ok = r->success;
        d.client.close_channel(*a);
      }
    } else if (auto* data = std::get_if<ssh::event::ChannelData>(&e)) {
      if (data->extended_type == 1) err.append(data->data.begin(), data->data.end());
      d.client.consume(data->id, data->data.size());
    } else if (auto* x = std::get_if<ssh::event::ChannelRequest>(&e)) {
      if (x->id == *b && x->name == "exit-status") status = ssh::connection::session_request::parse_exit_status(x->data);
    } else if (auto* c = std::get_if<ssh::event::ChannelClosed>(&e)) {
      ++closed;
      if (c->id == *b) {
        EXPECT_TRUE(status.has_value());
      }
    } else if (auto* eof = std::get_if<ssh::event::ChannelEof>(&e)) {
      d.client.close_channel(eof->id);
    }
  };
  ASSERT_TRUE(d.run_until([&] { return closed == 2 || d.client.is_closed(); }, 20s)) << server_->log();
  ASSERT_TRUE(subsystem_ok);
  EXPECT_FALSE(*subsystem_ok);
  EXPECT_EQ(status, 3u);
  // sshd at LogLevel DEBUG also copies debug lines onto the session's stderr.
  EXPECT_NE(err.find("oops\n"), std::string::npos) << err;
  EXPECT_EQ(d.client.open_channel_count(), 0u);
}

}  // namespace

namespace {

// Client-to-server bulk data through direct-tcpip: the peer window and a small output budget both
// limit send(), and ChannelWritable must keep the transfer going until every byte is echoed back.
TEST_F(ClientSshdTest, BulkUploadThroughEcho) {
  EchoServer echo;
  ASSERT_NE(echo.port(), 0);
  ssh::ClientConfig cfg = config();
  cfg.transport.max_queued_bytes = 128 * 1024;
  Driver d(server_->port(), cfg);
  authenticate(d, "user_ed25519");
  ssh::Bytes payload(3 * 1024 * 1024 + 123);
  std::uint32_t x = 12345;
  for (auto& b : payload) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::uint8_t>(x >> 16);
  }
  std::size_t offset = 0;
  int writable_events = 0;
  bool eof_sent = false, closed = false;
  ssh::Bytes back;
  auto id = d.client.open_channel(ssh::connection::channel_type::kDirectTcpip, ssh::connection::channel_type::direct_tcpip("127.0.0.1", static_cast<std::uint32_t>(echo.port()), "127.0.0.1", 40001));
  ASSERT_TRUE(id);
  auto push = [&] {
    while (offset < payload.size()) {
      const std::size_t n = d.client.send(*id, ssh::ByteView(payload).subspan(offset));
      if (n == 0) break;
      offset += n;
    }
    if (offset == payload.size() && !eof_sent) {
      eof_sent = true;
      d.client.send_eof(*id);
    }
  };
  d.on_event = [&](ssh::Event& e) {
    if (std::get_if<ssh::event::ChannelOpened>(&e) != nullptr) {
      push();
    } else if (std::get_if<ssh::event::ChannelWritable>(&e) != nullptr) {
      ++writable_events;
      push();
    } else if (auto* data = std::get_if<ssh::event::ChannelData>(&e)) {
      back.insert(back.end(), data->data.begin(), data->data.end());
      d.client.consume(data->id, data->data.size());
    } else if (std::get_if<ssh::event::ChannelClosed>(&e) != nullptr) {
      closed = true;
    } else if (auto* f = std::get_if<ssh::event::ChannelOpenFailed>(&e)) {
      ADD_FAILURE() << f->description;
      closed = true;
    }
  };
  ASSERT_TRUE(d.run_until([&] { return closed || d.client.is_closed(); }, 60s))
      << "sent " << offset << " received " << back.size() << "\n"
      << server_->log();
  EXPECT_GT(writable_events, 0);
  EXPECT_EQ(back.size(), payload.size());
  EXPECT_TRUE(back == payload);
}

}  // namespace
