// The control socket with stock OpenSSH clients: -O check / stop / exit, remote commands and their
// exit codes, stdin/stdout/stderr kept apart and intact, -W, forwards opened and cancelled on the
// live master, and the socket's security (0600, other users refused, stale sockets replaced, live
// ones never taken over). sshplex's own -O client is checked against its master here too.
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <thread>

#include "control_fixture.hpp"
#include "ssh/crypto/hash.hpp"
#include "ssh/mux/mux_messages.hpp"
#include "ssh/wire/frame_decoder.hpp"
#include "ssh/wire/writer.hpp"
#include "support/net.hpp"
#include "support/test_user.hpp"

namespace {

using namespace controltest;

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    const std::uint64_t v = rng();
    for (std::size_t k = 0; k < 8 && i + k < n; ++k) out[i + k] = static_cast<char>(v >> (8 * k));
  }
  return out;
}

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

bool is_sshplex() {
  return client_binary().find("sshplex") != std::string::npos;
}

::testing::AssertionResult round_trip(const Endpoint& ep, std::size_t bytes, std::uint64_t seed) {
  const TransferResult t = echo_transfer(ep, bytes, seed, 20s);
  if (t.ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << ep.describe() << ": " << t.error;
}

using ControlSocketTest = ControlTest;

TEST_F(ControlSocketTest, CheckAndRemoteExitCodes) {
  start_master();
  const Outcome check = passenger({}, "", {"-O", "check"});
  EXPECT_EQ(check.code(), 0) << check.err;
  EXPECT_NE(check.err.find("Master running (pid=" + std::to_string(master_->pid()) + ")"), std::string::npos)
      << check.err;
  for (int code : {0, 1, 42}) {
    const Outcome r = passenger({"exit " + std::to_string(code)});
    EXPECT_EQ(r.code(), code) << r.err;
  }
  const Outcome killed = passenger({"kill -TERM $$"});
  EXPECT_EQ(killed.code(), 255) << killed.err;
  // The master's pool logged in (PoolSize connections; ssh's one); the passengers did not.
  EXPECT_LE(logins(), is_sshplex() ? 2u : 1u) << sshd_->log();
}

TEST_F(ControlSocketTest, StdinStdoutStderrStayApartAndIntact) {
  start_master();
  const std::string input = random_bytes(3 * 1024 * 1024 + 17, 7);
  const Outcome r = passenger({"cat; echo to-stderr >&2; exit 3"}, input);
  EXPECT_EQ(r.code(), 3) << r.err;
  EXPECT_EQ(r.out.size(), input.size());
  EXPECT_EQ(sha256_hex(r.out), sha256_hex(input));
  EXPECT_EQ(r.err, "to-stderr\n");
  // The command's words reach the server's shell joined by spaces, as ssh sends them.
  const Outcome words = passenger({"printf", "'%s|'", "a b", "c"});
  EXPECT_EQ(words.out, "a|b|c|") << words.err;
}

TEST_F(ControlSocketTest, StdioForwardCarriesBytesBothWays) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  start_master();
  const std::string input = random_bytes(512 * 1024, 11);
  const Outcome r = passenger({}, input, {"-W", "127.0.0.1:" + std::to_string(echo.port())});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(sha256_hex(r.out), sha256_hex(input));
  // A target nobody listens on: the open is refused and the passenger says so.
  const Outcome refused = passenger({}, "", {"-W", "127.0.0.1:" + std::to_string(free_tcp_port())});
  EXPECT_NE(refused.code(), 0);
}

TEST_F(ControlSocketTest, ForwardsOpenedAndCancelledOnTheLiveMaster) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  start_master();
  const int local = free_tcp_port();
  const std::string lspec = std::to_string(local) + ":127.0.0.1:" + std::to_string(echo.port());
  Outcome r = passenger({}, "", {"-O", "forward", "-L", lspec});
  ASSERT_EQ(r.code(), 0) << r.err;
  EXPECT_TRUE(round_trip(Endpoint::tcp(local), 64 * 1024, 1));

  // -R with port 0: the allocated port is printed, and the server's side reaches our echo server.
  r = passenger({}, "", {"-O", "forward", "-R", "0:127.0.0.1:" + std::to_string(echo.port())});
  ASSERT_EQ(r.code(), 0) << r.err;
  const int allocated = std::atoi(r.out.c_str());
  ASSERT_GT(allocated, 0) << r.out;
  ASSERT_TRUE(wait_for_port(allocated, 10s));
  EXPECT_TRUE(round_trip(Endpoint::tcp(allocated), 64 * 1024, 2));

  const int socks = free_tcp_port();
  r = passenger({}, "", {"-O", "forward", "-D", "127.0.0.1:" + std::to_string(socks)});
  ASSERT_EQ(r.code(), 0) << r.err;
  EXPECT_TRUE(wait_for_port(socks, 5s));

  // Cancelled: the listeners go away.
  r = passenger({}, "", {"-O", "cancel", "-L", lspec});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_TRUE(wait_until([&] { return connect_endpoint(Endpoint::tcp(local)) < 0; }, 5s));
  r = passenger({}, "", {"-O", "cancel", "-D", "127.0.0.1:" + std::to_string(socks)});
  EXPECT_EQ(r.code(), 0) << r.err;
  r = passenger({}, "",
                {"-O", "cancel", "-R", std::to_string(allocated) + ":127.0.0.1:" + std::to_string(echo.port())});
  EXPECT_EQ(r.code(), 0) << r.err;
  if (is_sshplex()) {
    // A forward that is not there.
    r = passenger({}, "", {"-O", "cancel", "-L", lspec});
    EXPECT_NE(r.err.find("port not forwarded"), std::string::npos) << r.err;
  }
}

TEST_F(ControlSocketTest, StopKeepsPassengersAndExitEndsTheMaster) {
  start_master();
  // A passenger that outlives -O stop.
  Process long_one;
  ASSERT_TRUE(long_one.start(passenger_argv({}, {"sleep 2; echo still-here"}), client_env(), tmp_.file("long.out"),
                             tmp_.file("long.err")));
  ASSERT_TRUE(wait_until(
      [&] {
        return count_occurrences(sshd_->log(), "session opened") > 0 ||
               count_occurrences(sshd_->log(), "Starting session") > 0;
      },
      10s));
  Outcome r = passenger({}, "", {"-O", "stop"});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_NE(r.err.find("Stop listening request sent."), std::string::npos) << r.err;
  EXPECT_TRUE(wait_until([&] { return !std::filesystem::exists(sock_); }, 5s)) << "socket still there after stop";
  const ProcessResult done = long_one.wait(20s);
  EXPECT_EQ(done.exit_code, 0);
  EXPECT_EQ(long_one.stdout_text(), "still-here\n");
  // A master with no command and no forwards has nothing left to do once its last passenger is
  // gone: it exits, as ssh's does.
  const ProcessResult after_stop = master_->wait_exit(10s);
  EXPECT_TRUE(after_stop.exited) << "the master stayed after -O stop and its last passenger";

  // A new master, then -O exit: it exits, the socket goes.
  master_.reset();
  start_master();
  r = passenger({}, "", {"-O", "exit"});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_NE(r.err.find("Exit request sent."), std::string::npos) << r.err;
  const ProcessResult ended = master_->wait_exit(10s);
  EXPECT_TRUE(ended.exited);
  // A requested stop (ssh's master has no session status to give and says 255).
  EXPECT_EQ(ended.exit_code, is_sshplex() ? 0 : 255);
  EXPECT_FALSE(std::filesystem::exists(sock_));
  // Nothing listens now: -O check fails as ssh reports it.
  r = passenger({}, "", {"-O", "check"});
  EXPECT_EQ(r.code(), 255);
  EXPECT_NE(r.err.find("Control socket connect(" + sock_ + ")"), std::string::npos) << r.err;
}

// ControlMaster ask (-MM): every session, forward and stop is put to the user through SSH_ASKPASS
// first; "no" refuses that one request and nothing else, an empty answer or "yes" allows it. -O check
// is never asked.
TEST_F(ControlSocketTest, AskConfirmsEachRequestThroughAskpass) {
  const std::string asked = tmp_.file("asked");
  const std::string answer = tmp_.file("answer");
  const std::string askpass = tmp_.file("askpass.sh");
  write_file(askpass,
             "#!/bin/sh\necho \"$SSH_ASKPASS_PROMPT:$1\" >> " + quote(asked) + "\ncat " + quote(answer) + "\n");
  ASSERT_EQ(::chmod(askpass.c_str(), 0700), 0);
  write_file(answer, "no\n");
  start_master({"-M"}, {"SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0"});

  EXPECT_EQ(passenger({}, "", {"-O", "check"}).code(), 0);
  EXPECT_FALSE(std::filesystem::exists(asked)) << "-O check was put to the user";

  Outcome r = passenger({"echo", "refused"});
  EXPECT_EQ(r.code(), 255) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
  const int local = free_tcp_port();
  r = passenger({}, "", {"-O", "forward", "-L", std::to_string(local) + ":127.0.0.1:9"});
  EXPECT_NE(r.code(), 0) << r.err;
  EXPECT_LT(connect_endpoint(Endpoint::tcp(local)), 0) << "a refused forward listens";
  const std::string questions = read_file(asked);
  EXPECT_EQ(count_occurrences(questions, "confirm:"), 2u) << questions;
  EXPECT_NE(questions.find("Allow shared connection to"), std::string::npos) << questions;

  write_file(answer, "YES\n");
  r = passenger({"echo", "allowed"});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out, "allowed\n");
  write_file(answer, "");
  r = passenger({"echo", "empty-answer"});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out, "empty-answer\n");
  EXPECT_TRUE(master_->running());
}

TEST_F(ControlSocketTest, ProxyClientSpeaksTheConnectionProtocolThroughTheMaster) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  start_master();
  // -O proxy: the client runs its own channels over the socket, the master relays them.
  const std::string input = random_bytes(2 * 1024 * 1024 + 5, 13);
  Outcome r = passenger({"cat; echo proxied >&2; exit 6"}, input, {"-O", "proxy"});
  EXPECT_EQ(r.code(), 6) << r.err;
  EXPECT_EQ(sha256_hex(r.out), sha256_hex(input));
  EXPECT_NE(r.err.find("proxied"), std::string::npos) << r.err;
  // Its own -L forward: direct-tcpip channels relayed too, several at once.
  const int local = free_tcp_port();
  Process client;
  ASSERT_TRUE(client.start(
      passenger_argv({"-O", "proxy", "-N", "-L", std::to_string(local) + ":127.0.0.1:" + std::to_string(echo.port())},
                     {}),
      client_env(), tmp_.file("proxy.out"), tmp_.file("proxy.err")));
  ASSERT_TRUE(wait_for_port(local, 10s)) << read_file(tmp_.file("proxy.err"));
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      if (echo_transfer(Endpoint::tcp(local), 512 * 1024, static_cast<std::uint64_t>(i) + 20, 20s).ok) ++good;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 4);
  client.stop();
  if (is_sshplex()) {
    // The client's channels were closed on the server when it went away.
    EXPECT_TRUE(wait_until(
        [&] {
          const Outcome s = sshplex_control("status");
          return s.out.find("connection 1: up") != std::string::npos &&
                 s.out.find(", 0 channels\n") != std::string::npos;
        },
        10s));
  }
}

// A raw client of the socket, for what no stock client sends.
class RawClient {
 public:
  explicit RawClient(const std::string& path) : fd_(connect_endpoint(Endpoint::unix_socket(path), 5s)) {}
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  bool send(const ssh::Bytes& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  // The next message from the master; nullopt on EOF, timeout or garbage.
  std::optional<ssh::mux::MasterMessage> receive() {
    for (;;) {
      auto frame = decoder_.next();
      if (frame.status == ssh::wire::FrameDecoder::Status::frame) {
        std::string error;
        return ssh::mux::parse_master(frame.body, error);
      }
      if (frame.status == ssh::wire::FrameDecoder::Status::error) return std::nullopt;
      std::uint8_t buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return std::nullopt;
      decoder_.feed(ssh::ByteView(buf, static_cast<std::size_t>(n)));
    }
  }
  // True when the master closed the connection (EOF within the receive timeout).
  bool closed_by_master() {
    std::uint8_t buf[256];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return false;
    }
  }

 private:
  int fd_;
  ssh::wire::FrameDecoder decoder_{"master", ssh::mux::kMaxMessage};
};

ssh::Bytes raw_frame(const std::vector<std::uint8_t>& body) {
  ssh::wire::Writer w;
  w.string(ssh::ByteView(body.data(), body.size()));
  return w.take();
}

TEST_F(ControlSocketTest, BadClientsAreDroppedAndNothingElseIsDisturbed) {
  if (!is_sshplex()) GTEST_SKIP() << "sshplex's master";
  start_master();
  // A passenger in progress throughout.
  Process steady;
  ASSERT_TRUE(steady.start(passenger_argv({}, {"sleep 3; echo steady"}), client_env(), tmp_.file("steady.out"),
                           tmp_.file("steady.err")));
  std::this_thread::sleep_for(300ms);
  const std::size_t before = open_descriptors(master_->pid());
  namespace mux = ssh::mux;
  {
    RawClient c(sock_);  // not a HELLO first
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.receive());  // the master's HELLO
    c.send(mux::encode(mux::Plain{mux::type::kAliveCheck, 1}));
    EXPECT_TRUE(c.closed_by_master());
  }
  {
    RawClient c(sock_);  // an absurd length
    ASSERT_TRUE(c.receive());
    c.send({0x7f, 0xff, 0xff, 0xff, 1, 2, 3});
    EXPECT_TRUE(c.closed_by_master());
  }
  {
    RawClient c(sock_);  // a truncated NEW_SESSION
    ASSERT_TRUE(c.receive());
    c.send(mux::encode(mux::Hello{}));
    c.send(raw_frame({0x10, 0, 0, 2, 0, 0, 0, 9, 0, 0}));
    EXPECT_TRUE(c.closed_by_master());
  }
  {
    RawClient c(sock_);  // a session announced but its descriptors never sent
    ASSERT_TRUE(c.receive());
    c.send(mux::encode(mux::Hello{}));
    mux::NewSession session;
    session.rid = 1;
    session.command = "true";
    c.send(mux::encode(session));
    c.send({0});  // the byte of a descriptor, without the descriptor
    EXPECT_TRUE(c.closed_by_master());
  }
  {
    RawClient c(sock_);  // an unknown request: FAILURE, and the connection stays usable
    ASSERT_TRUE(c.receive());
    c.send(mux::encode(mux::Hello{}));
    c.send(raw_frame({0x10, 0, 0, 0x77, 0, 0, 0, 5}));
    auto reply = c.receive();
    ASSERT_TRUE(reply);
    const auto* refused = std::get_if<mux::Refused>(&*reply);
    ASSERT_NE(refused, nullptr);
    EXPECT_EQ(refused->rid, 5u);
    c.send(mux::encode(mux::Plain{mux::type::kAliveCheck, 6}));
    reply = c.receive();
    ASSERT_TRUE(reply);
    EXPECT_NE(std::get_if<mux::Alive>(&*reply), nullptr);
  }
  {
    RawClient c(sock_);  // PROXY, then packets the connection protocol does not allow
    ASSERT_TRUE(c.receive());
    c.send(mux::encode(mux::Hello{}));
    c.send(mux::encode(mux::Plain{mux::type::kProxy, 2}));
    auto reply = c.receive();
    ASSERT_TRUE(reply);
    ASSERT_NE(std::get_if<mux::ProxyReply>(&*reply), nullptr);
    c.send(raw_frame({0, 94, 0, 0, 0, 42, 0, 0, 0, 1, 'x'}));  // data for a channel it does not have
    EXPECT_TRUE(c.closed_by_master());
  }
  {
    RawClient c(sock_);  // PROXY with a non-zero padding length
    ASSERT_TRUE(c.receive());
    c.send(mux::encode(mux::Hello{}));
    c.send(mux::encode(mux::Plain{mux::type::kProxy, 2}));
    ASSERT_TRUE(c.receive());
    c.send(raw_frame({4, 80, 0, 0, 0, 0}));
    EXPECT_TRUE(c.closed_by_master());
  }
  EXPECT_EQ(steady.wait(20s).exit_code, 0);
  EXPECT_EQ(steady.stdout_text(), "steady\n");
  EXPECT_EQ(passenger({}, "", {"-O", "check"}).code(), 0);
  EXPECT_TRUE(wait_until([&] { return open_descriptors(master_->pid()) <= before; }, 10s))
      << before << " before, " << open_descriptors(master_->pid()) << " after";
}

TEST_F(ControlSocketTest, SocketIsPrivateAndOtherUsersAreRefused) {
  start_master();
  struct stat st {};
  ASSERT_EQ(::lstat(sock_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  TestUser user;
  std::string why;
  if (!ensure_test_user(&user, &why)) GTEST_SKIP() << why;
  // Let the other user reach the socket's directory and the socket itself, so only the master's
  // uid check stands in the way.
  ::chmod(tmp_.str().c_str(), 0755);
  ::chmod(sock_.c_str(), 0666);
  const std::string runuser = find_program("setpriv");
  if (runuser.empty()) GTEST_SKIP() << "setpriv needed (util-linux)";
  std::vector<std::string> argv = {runuser, "--reuid=" + std::to_string(user.uid),
                                   "--regid=" + std::to_string(user.gid), "--clear-groups", "--"};
  const auto check = passenger_argv({"-O", "check"}, {});
  argv.insert(argv.end(), check.begin(), check.end());
  const Outcome r = run(argv);
  EXPECT_NE(r.code(), 0) << r.err;
  EXPECT_EQ(r.err.find("Master running"), std::string::npos) << r.err;
  // The master carries on for its own user.
  EXPECT_EQ(passenger({}, "", {"-O", "check"}).code(), 0);
  if (is_sshplex()) {
    EXPECT_TRUE(wait_until([&] { return master_->stderr_text().find("uid") != std::string::npos; }, 5s))
        << master_->stderr_text();
  }
}

TEST_F(ControlSocketTest, StaleSocketIsReplacedLiveOneIsNeverTaken) {
  // ssh's master gives up on a stale socket ("already exists, disabling multiplexing").
  if (!is_sshplex()) GTEST_SKIP() << "sshplex replaces a stale socket; ssh does not";
  // A socket file nobody listens on: left by a master that died.
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock_.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
  }
  ASSERT_TRUE(std::filesystem::exists(sock_));
  start_master();
  EXPECT_EQ(passenger({}, "", {"-O", "check"}).code(), 0);

  // A second master on the same path runs without a socket and leaves the first one's alone.
  ClientOptions o = client_options_for(sshd_->port(), tmp_.file("known_hosts"), key());
  o.extra_args = {"-M", "-S", sock_};
  ClientRun second(std::move(o));
  ASSERT_TRUE(second.start());
  EXPECT_TRUE(wait_until([&] { return second.stderr_text().find("already exists") != std::string::npos; }, 20s))
      << second.stderr_text();
  EXPECT_TRUE(second.running());
  const Outcome check = passenger({}, "", {"-O", "check"});
  EXPECT_NE(check.err.find("pid=" + std::to_string(master_->pid())), std::string::npos) << check.err;
  second.stop();
  // The second master's end does not remove the first one's socket.
  EXPECT_TRUE(std::filesystem::exists(sock_));
  EXPECT_EQ(passenger({}, "", {"-O", "check"}).code(), 0);
}

TEST_F(ControlSocketTest, SshplexClientSpeaksToItsMaster) {
  if (!is_sshplex()) GTEST_SKIP() << "sshplex's own -O client";
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  start_master();
  Outcome r = sshplex_control("check");
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_NE(r.err.find("Master running (pid=" + std::to_string(master_->pid()) + ")"), std::string::npos) << r.err;

  r = sshplex_control("forward", {"-R", "0:127.0.0.1:" + std::to_string(echo.port())});
  ASSERT_EQ(r.code(), 0) << r.err;
  const int allocated = std::atoi(r.out.c_str());
  ASSERT_GT(allocated, 0) << r.out;
  EXPECT_TRUE(round_trip(Endpoint::tcp(allocated), 16 * 1024, 3));

  r = sshplex_control("status");
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out.rfind("root@127.0.0.1:" + std::to_string(sshd_->port()) + ", ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("connection 1: up"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("control socket " + sock_), std::string::npos) << r.out;
  r = sshplex_control("status=json");
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_NE(r.out.find("\"passengers\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"kind\": \"remote\""), std::string::npos) << r.out;

  r = sshplex_control("cancel", {"-L", "1234:127.0.0.1:1"});
  EXPECT_NE(r.err.find("port not forwarded"), std::string::npos) << r.err;
  r = sshplex_control("exit");
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_TRUE(master_->wait_exit(10s).exited);
  r = sshplex_control("check");
  EXPECT_EQ(r.code(), 255);
  EXPECT_NE(r.err.find("Control socket connect(" + sock_ + "): No such file or directory"), std::string::npos) << r.err;
}

TEST_F(ControlSocketTest, DescriptorsReturnAfterManyPassengers) {
  if (!is_sshplex()) GTEST_SKIP() << "counts sshplex's descriptors";
  start_master();
  ASSERT_EQ(passenger({"true"}).code(), 0);
  const std::size_t before = open_descriptors(master_->pid());
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(passenger({"echo hi"}).out, "hi\n");
    EXPECT_EQ(passenger({}, "", {"-O", "check"}).code(), 0);
  }
  // A passenger killed mid-session: its descriptors and channel go too.
  Process killed;
  ASSERT_TRUE(killed.start(passenger_argv({}, {"sleep 30"}), client_env(), tmp_.file("k.out"), tmp_.file("k.err")));
  std::this_thread::sleep_for(500ms);
  killed.stop(100ms);
  EXPECT_TRUE(wait_until([&] { return open_descriptors(master_->pid()) == before; }, 10s))
      << before << " before, " << open_descriptors(master_->pid()) << " after";
}

}  // namespace
