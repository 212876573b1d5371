// sshplex as a systemd service, against a real sshd: the Type=notify protocol as a service manager
// sees it (a datagram socket named by NOTIFY_SOCKET, as systemd passes it) and the journal's native
// protocol (the socket journald listens on, replaced inside a private mount namespace by one the
// test reads). sshplex-only behaviour; the journal tests need root for the mount namespace.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// A bound AF_UNIX datagram socket: what systemd listens on for sd_notify, or journald for entries.
class DatagramSocket {
 public:
  explicit DatagramSocket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof addr.sun_path - 1);
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~DatagramSocket() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  DatagramSocket(const DatagramSocket&) = delete;
  DatagramSocket& operator=(const DatagramSocket&) = delete;

  bool ok() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  // The next datagram, or nothing within the timeout.
  std::optional<std::string> receive(milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    std::string buf(256 * 1024, '\0');
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<std::size_t>(n));
    return buf;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

bool has_line(const std::string& message, const std::string& line) {
  return ("\n" + message + "\n").find("\n" + line + "\n") != std::string::npos;
}

class Service : public ::testing::Test {
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

  TempDir tmp_{"sshplex-service"};
  SshdServer sshd_;
  EchoServer echo_;
};

// The next notification containing `line`, skipping others (STATUS= refreshes, WATCHDOG=1).
std::optional<std::string> wait_for(DatagramSocket& socket, const std::string& line, milliseconds timeout,
                                    std::vector<std::string>* seen = nullptr) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    auto message = socket.receive(left);
    if (!message) break;
    if (seen != nullptr) seen->push_back(*message);
    if (has_line(*message, line)) return message;
  }
  return std::nullopt;
}

TEST_F(Service, NotifiesReadyOnlyOnceForwardsListenThenReloadingStoppingAndWatchdog) {
  DatagramSocket notify(tmp_.file("notify.sock"));
  ASSERT_TRUE(notify.ok());
  ForwardTarget local = tcp_forward_to(echo_.endpoint());
  const int remote_port = free_tcp_port();
  ClientOptions o = options();
  o.local_forwards = {local.spec};
  o.extra_args = {"-R", std::to_string(remote_port) + ":" + echo_.endpoint().describe()};
  // 400 ms: keep-alives every 200 ms.
  o.extra_env = {"NOTIFY_SOCKET=" + notify.path(), "WATCHDOG_USEC=400000"};
  ClientRun client(o);
  ASSERT_TRUE(client.start());

  std::vector<std::string> before_ready;
  auto ready = wait_for(notify, "READY=1", seconds(20), &before_ready);
  ASSERT_TRUE(ready) << "no READY=1";
  // At READY=1 the local forward serves and the server already listens for the remote one.
  EXPECT_TRUE(echo_ping(local.listen, milliseconds(2000))) << "READY=1 before the local forward works";
  EXPECT_TRUE(echo_ping(Endpoint::tcp(remote_port), milliseconds(2000))) << "READY=1 before the remote forward";
  EXPECT_NE(ready->find("STATUS="), std::string::npos) << *ready;
  EXPECT_NE(ready->find("1 of 2 connections up"), std::string::npos) << *ready;  // PoolSize 2: ready on the first
  for (const auto& m : before_ready) EXPECT_FALSE(has_line(m, "STOPPING=1")) << m;

  // Keep-alives from the loop at half the interval: what queued up so far is dropped, then the
  // pings of a 2 s window are counted (every 200 ms: about 10; at the full interval it would be 5).
  while (notify.receive(milliseconds(0))) {
  }
  int pings = 0;
  const auto until = Clock::now() + milliseconds(2000);
  while (Clock::now() < until) {
    auto m = notify.receive(milliseconds(50));
    if (m && has_line(*m, "WATCHDOG=1")) ++pings;
  }
  EXPECT_GE(pings, 7) << "WATCHDOG=1 keep-alives in 2 s with WatchdogSec 0.4 s";
  EXPECT_LE(pings, 12);

  // SIGHUP: RELOADING=1 (with the monotonic time systemd's notify-reload needs), then READY=1.
  ::kill(client.pid(), SIGHUP);
  auto reloading = wait_for(notify, "RELOADING=1", seconds(5));
  ASSERT_TRUE(reloading) << "no RELOADING=1";
  EXPECT_NE(reloading->find("MONOTONIC_USEC="), std::string::npos) << *reloading;
  EXPECT_TRUE(wait_for(notify, "READY=1", seconds(5))) << "no READY=1 after the reload";
  EXPECT_TRUE(echo_ping(local.listen, milliseconds(2000)));

  // SIGTERM: STOPPING=1 as it starts draining, then a clean exit.
  ::kill(client.pid(), SIGTERM);
  EXPECT_TRUE(wait_for(notify, "STOPPING=1", seconds(5))) << "no STOPPING=1";
  ProcessResult r = client.wait_exit(seconds(15));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
}

TEST_F(Service, NoWatchdogKeepAlivesForAnotherProcessesWatchdog) {
  DatagramSocket notify(tmp_.file("notify.sock"));
  ASSERT_TRUE(notify.ok());
  ForwardTarget local = tcp_forward_to(echo_.endpoint());
  ClientOptions o = options();
  o.local_forwards = {local.spec};
  // WATCHDOG_PID names the process the manager watches; here it is not sshplex.
  o.extra_env = {"NOTIFY_SOCKET=" + notify.path(), "WATCHDOG_USEC=200000", "WATCHDOG_PID=1"};
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(wait_for(notify, "READY=1", seconds(20)));
  EXPECT_FALSE(wait_for(notify, "WATCHDOG=1", milliseconds(800)));
}

// A SIGHUP while the first connection is still being made must not end the start-up: systemd
// would take READY=1 as "started" while nothing serves.
TEST_F(Service, ReloadDuringStartUpDoesNotSignalReady) {
  if (find_program("socat").empty()) GTEST_SKIP() << "socat is not installed";
  DatagramSocket notify(tmp_.file("notify.sock"));
  ASSERT_TRUE(notify.ok());
  ForwardTarget local = tcp_forward_to(echo_.endpoint());
  ClientOptions o = options();
  o.local_forwards = {local.spec};
  // The connection takes 2 s to reach sshd.
  // (ssh runs ProxyCommand as "exec <command>", so the sleep needs a shell of its own.)
  o.options = {"ProxyCommand=sh -c 'sleep 2; exec socat - TCP:127.0.0.1:" + std::to_string(sshd_.port()) + "'"};
  o.extra_env = {"NOTIFY_SOCKET=" + notify.path()};
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  std::this_thread::sleep_for(milliseconds(500));
  ::kill(client.pid(), SIGHUP);
  std::vector<std::string> early;
  wait_for(notify, "READY=1", milliseconds(1000), &early);
  for (const auto& m : early) {
    EXPECT_FALSE(has_line(m, "READY=1")) << "READY=1 before the first connection: " << m;
    EXPECT_FALSE(has_line(m, "RELOADING=1")) << m;
  }
  ASSERT_TRUE(wait_for(notify, "READY=1", seconds(20))) << "no READY=1 once connected";
  EXPECT_TRUE(echo_ping(local.listen, milliseconds(2000)));
}

// The connection is refused for good: STOPPING=1 and exit 255, never READY=1.
TEST_F(Service, NeverReadyWhenTheServerRefusesTheLogin) {
  DatagramSocket notify(tmp_.file("notify.sock"));
  ASSERT_TRUE(notify.ok());
  ClientOptions o = options();
  o.identities = {cached_key(KeyType::Ecdsa256, "stranger").private_path};
  o.local_forwards = {tcp_forward_to(echo_.endpoint()).spec};
  o.extra_env = {"NOTIFY_SOCKET=" + notify.path()};
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ProcessResult r = client.wait_exit(seconds(20));
  EXPECT_EQ(r.exit_code, 255);
  std::vector<std::string> seen;
  wait_for(notify, "no such line", milliseconds(300), &seen);
  bool stopping = false;
  for (const auto& m : seen) {
    EXPECT_FALSE(has_line(m, "READY=1")) << m;
    stopping = stopping || has_line(m, "STOPPING=1");
  }
  EXPECT_TRUE(stopping);
}

// One journal entry: FIELD=value lines (journald's native protocol; values with a newline use the
// binary form, which sshplex never needs: its lines have no control characters).
std::map<std::string, std::string> journal_fields(const std::string& datagram) {
  std::map<std::string, std::string> fields;
  std::size_t pos = 0;
  while (pos < datagram.size()) {
    std::size_t end = datagram.find('\n', pos);
    if (end == std::string::npos) end = datagram.size();
    const std::string line = datagram.substr(pos, end - pos);
    const auto eq = line.find('=');
    // A field named twice in one entry is recorded as such: the test asserts there is none.
    if (eq != std::string::npos && !fields.emplace(line.substr(0, eq), line.substr(eq + 1)).second) {
      fields["DUPLICATE " + line.substr(0, eq)] = line.substr(eq + 1);
    }
    pos = end + 1;
  }
  return fields;
}

// Reads journal entries on its own thread as journald would: a sender blocks when the socket's
// queue is full, so the entries must be taken while the test does other things.
class JournalCollector {
 public:
  explicit JournalCollector(DatagramSocket& socket) : socket_(socket), thread_([this] { run(); }) {}
  ~JournalCollector() {
    stop_ = true;
    thread_.join();
  }
  JournalCollector(const JournalCollector&) = delete;
  JournalCollector& operator=(const JournalCollector&) = delete;

  std::vector<std::map<std::string, std::string>> entries() {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_;
  }
  // Waits until an entry matches; returns all entries seen so far.
  std::vector<std::map<std::string, std::string>> until(
      const std::function<bool(const std::map<std::string, std::string>&)>& match, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      auto all = entries();
      for (const auto& e : all) {
        if (match(e)) return all;
      }
      if (Clock::now() >= deadline) return all;
      std::this_thread::sleep_for(milliseconds(20));
    }
  }

 private:
  void run() {
    while (!stop_) {
      auto m = socket_.receive(milliseconds(50));
      if (!m) continue;
      std::lock_guard<std::mutex> lock(mutex_);
      entries_.push_back(journal_fields(*m));
    }
  }

  DatagramSocket& socket_;
  std::mutex mutex_;
  std::vector<std::map<std::string, std::string>> entries_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class Journal : public Service {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: the journal's socket is replaced in a private mount namespace";
    if (find_program("unshare").empty()) GTEST_SKIP() << "unshare (util-linux) is not installed";
    Service::SetUp();
  }
  // Runs the client in a mount namespace where /run/systemd/journal/socket is `journal_path`: a tmpfs
  // on /run (only there) holds an empty file, and the test's socket is bind-mounted onto it.
  // `auto_detect`: standard error is the "journal stream" (JOURNAL_STREAM names its inode).
  std::vector<std::string> wrapper(const std::string& journal_path, bool auto_detect) const {
    std::string script =
        "set -e; mount --make-rprivate /; mount -t tmpfs tmpfs /run; mkdir -p /run/systemd/journal; "
        ": > /run/systemd/journal/socket; mount --bind \"$0\" /run/systemd/journal/socket; ";
    if (auto_detect) script += "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/2); export JOURNAL_STREAM; ";
    script += "exec \"$@\"";
    return {find_program("unshare"), "--mount", "sh", "-c", script, journal_path};
  }
};

bool message_has(const std::map<std::string, std::string>& e, const std::string& text) {
  auto it = e.find("MESSAGE");
  return it != e.end() && it->second.find(text) != std::string::npos;
}

TEST_F(Journal, StandardErrorOnTheJournalStreamBecomesStructuredEntries) {
  DatagramSocket journal(tmp_.file("journal.sock"));
  ASSERT_TRUE(journal.ok());
  ForwardTarget local = tcp_forward_to(echo_.endpoint());
  ClientOptions o = options();
  o.local_forwards = {local.spec};
  o.extra_args = {"-v"};  // -vv: the per-client debug line carries the forward and the peer
  o.wrapper = wrapper(journal.path(), true);
  JournalCollector collector(journal);
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(local.listen));

  auto entries = collector.until([](const auto& e) { return message_has(e, "connection from"); }, seconds(10));
  ASSERT_FALSE(entries.empty()) << "nothing reached the journal socket";
  bool authenticated = false;
  bool client_line = false;
  for (const auto& e : entries) {
    for (const auto& [name, value] : e) EXPECT_NE(name.rfind("DUPLICATE ", 0), 0u) << name << " in " << e.at("MESSAGE");
    EXPECT_EQ(e.count("MESSAGE"), 1u);
    EXPECT_EQ(e.count("PRIORITY"), 1u);
    EXPECT_EQ(e.count("SYSLOG_IDENTIFIER") ? e.at("SYSLOG_IDENTIFIER") : "", "sshplex");
    if (message_has(e, "Authenticated to")) {
      authenticated = true;
      EXPECT_EQ(e.count("SSHPLEX_CONNECTION") ? e.at("SSHPLEX_CONNECTION") : "", "1") << e.at("MESSAGE");
      EXPECT_EQ(e.at("PRIORITY"), "6");  // info
    }
    if (message_has(e, "connection from")) {
      client_line = true;
      EXPECT_EQ(e.at("PRIORITY"), "7");  // debug
      ASSERT_EQ(e.count("SSHPLEX_FORWARD"), 1u) << e.at("MESSAGE");
      EXPECT_NE(e.at("SSHPLEX_FORWARD").find(std::to_string(local.listen.port)), std::string::npos);
      ASSERT_EQ(e.count("SSHPLEX_PEER"), 1u) << e.at("MESSAGE");
      EXPECT_EQ(e.at("SSHPLEX_PEER").rfind("127.0.0.1:", 0), 0u) << e.at("SSHPLEX_PEER");
    }
  }
  EXPECT_TRUE(authenticated) << "no 'Authenticated to' entry";
  EXPECT_TRUE(client_line) << "no entry for the forwarded client";
  // The lines went to the journal, not to the stream (which journald would record a second time).
  EXPECT_EQ(client.stderr_text().find("Authenticated to"), std::string::npos) << client.stderr_text();
}

TEST_F(Journal, LogTargetJournalSendsEntriesAndFallsBackToStandardErrorWithoutJournald) {
  DatagramSocket journal(tmp_.file("journal.sock"));
  ASSERT_TRUE(journal.ok());
  ForwardTarget local = tcp_forward_to(echo_.endpoint());
  ClientOptions o = options();
  o.local_forwards = {local.spec};
  o.options = {"LogTarget=journal"};
  o.wrapper = wrapper(journal.path(), false);
  {
    JournalCollector collector(journal);
    ClientRun client(o);
    ASSERT_TRUE(client.start());
    ASSERT_TRUE(client.wait_forward(local.listen));
    auto entries = collector.until([](const auto& e) { return message_has(e, "Authenticated to"); }, seconds(10));
    bool authenticated = false;
    for (const auto& e : entries) authenticated = authenticated || message_has(e, "Authenticated to");
    EXPECT_TRUE(authenticated);
    EXPECT_EQ(client.stderr_text().find("Authenticated to"), std::string::npos) << client.stderr_text();
  }
  // No journald at all (what is bind-mounted over journald's socket is a plain file): the lines
  // still reach standard error.
  const std::string dead_path = tmp_.file("no-journald");
  write_file(dead_path, "");
  o.wrapper = wrapper(dead_path, false);
  ClientRun fallback(o);
  ASSERT_TRUE(fallback.start());
  ASSERT_TRUE(fallback.wait_forward(local.listen));
  EXPECT_NE(fallback.stderr_text().find("Authenticated to"), std::string::npos) << fallback.stderr_text();
}

}  // namespace
