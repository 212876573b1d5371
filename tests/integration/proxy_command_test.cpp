// ProxyCommand and ProxyUseFdpass end to end against a real sshd: the connection carried by socat
// and by stock `ssh -W` (a -L forward with SHA-256 checked data, a remote command's output), a
// passed-back socket (SCM_RIGHTS from a small python3 dialer), a new proxy for every reconnect with
// the old one reaped and no descriptor left behind, and the failures ssh reports (a command that
// exits at once, a dialer that passes nothing back, a proxy that never answers within
// ConnectTimeout, which must then be gone).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/load_client.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kBytes = 1 << 20;

bool is_sshplex() {
  return client_binary().find("sshplex") != std::string::npos;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

// The state letter of /proc/<pid>/stat ('R', 'S', 'Z'...); 0 when there is no such process.
char proc_state(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(") ");
  if (close == std::string::npos || close + 2 >= stat.size()) return 0;
  return stat[close + 2];
}

pid_t parent_of(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(") ");
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 2));
  char state = 0;
  pid_t ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

std::string comm_of(pid_t pid) {
  std::string comm = read_file("/proc/" + std::to_string(pid) + "/comm");
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

// The live (not zombie) direct children of `pid` whose command name is `comm`.
std::vector<pid_t> live_children(pid_t pid, const std::string& comm) {
  std::vector<pid_t> out;
  for (pid_t p : descendants(pid)) {
    if (parent_of(p) == pid && comm_of(p) == comm && proc_state(p) != 'Z') out.push_back(p);
  }
  return out;
}

// Zombie children of `pid`: a child that exited and was never reaped.
std::vector<pid_t> zombie_children(pid_t pid) {
  std::vector<pid_t> out;
  for (pid_t p : descendants(pid)) {
    if (parent_of(p) == pid && proc_state(p) == 'Z') out.push_back(p);
  }
  return out;
}

// Gone for good: no process, or (after its parent exited) one that init is about to reap.
bool gone(pid_t pid) {
  const char s = proc_state(pid);
  return s == 0 || s == 'Z';
}

std::vector<pid_t> pids_in(const std::string& path) {
  std::vector<pid_t> out;
  std::istringstream in(read_file(path));
  pid_t p = 0;
  while (in >> p) out.push_back(p);
  return out;
}

class ProxyCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    SshdOptions so;
    so.log_level = "VERBOSE";
    sshd_ = std::make_unique<SshdServer>(so);
    sshd_->authorize_key(key().public_line);
    ASSERT_TRUE(sshd_->start());
    ASSERT_TRUE(sshd_->write_known_hosts(known_hosts()));
    ASSERT_TRUE(echo_.start_tcp());
  }

  static const KeyPair& key() { return cached_key(KeyType::Ed25519, "user"); }
  std::string known_hosts() const { return tmp_.file("known_hosts"); }

  // The client to our sshd through `proxy_command`, plus any further -o values.
  ClientOptions through(const std::string& proxy_command, std::vector<std::string> more = {}) {
    ClientOptions o = client_options_for(sshd_->port(), known_hosts(), key());
    o.options = {"ProxyCommand=" + proxy_command, "ConnectTimeout=10"};
    o.options.insert(o.options.end(), more.begin(), more.end());
    return o;
  }

  // A shell script in the temp dir (ProxyCommand takes it without any quoting to get right).
  std::string script(const std::string& name, const std::string& body) {
    const std::string path = tmp_.file(name);
    EXPECT_TRUE(write_file(path, "#!/bin/sh\n" + body, 0700));
    return path;
  }

  // -L to the echo server through `o`'s proxy; the forward must carry kBytes intact.
  void expect_forward_round_trip(ClientOptions o, const std::string& proxy_name) {
    ForwardTarget fwd = tcp_forward_to(echo_.endpoint());
    o.local_forwards = {fwd.spec};
    ClientRun client(o);
    ASSERT_TRUE(client.start());
    ASSERT_TRUE(client.wait_forward(fwd.listen));
    if (!proxy_name.empty()) {
      // One proxy per connection: ssh has one; sshplex's pool (PoolSize 2) one or two by now.
      const std::size_t proxies = live_children(client.pid(), proxy_name).size();
      EXPECT_GE(proxies, 1u) << "the connection's proxy is not running";
      EXPECT_LE(proxies, is_sshplex() ? 2u : 1u);
    }
    const TransferResult t = echo_transfer(fwd.listen, kBytes, 5);
    EXPECT_TRUE(t.ok) << t.error << " sent " << t.sent << " received " << t.received;
    EXPECT_EQ(t.sent_sha256, t.received_sha256);
    EXPECT_TRUE(client.running());
    if (is_sshplex()) {
      EXPECT_NE(client.stderr_text().find("Executing proxy command: exec "), std::string::npos);
    }
  }

  // A remote command through `o`'s proxy: its output and exit status come back.
  void expect_remote_command(ClientOptions o) {
    o.no_command = false;
    o.verbose = false;
    o.command = {"echo through-the-proxy; exit 5"};
    ClientRun client(o);
    ASSERT_TRUE(client.start());
    const ProcessResult r = client.wait_exit(30s);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 5) << client.stderr_text();
    EXPECT_EQ(client.stdout_text(), "through-the-proxy\n");
  }

  // Runs the client with a proxy that must fail; it has to end by itself with 255.
  std::string expect_failure(ClientOptions o) {
    ClientRun client(o);
    EXPECT_TRUE(client.start());
    const ProcessResult r = client.wait_exit(30s);
    EXPECT_FALSE(r.timed_out);
    EXPECT_TRUE(r.exited);
    EXPECT_EQ(r.exit_code, 255);
    return client.stderr_text();
  }

  TempDir tmp_{"sshplex-proxycmd"};
  std::unique_ptr<SshdServer> sshd_;
  EchoServer echo_;
};

TEST_F(ProxyCommandTest, SocatCarriesForwardAndCommand) {
  const std::string socat = find_program("socat");
  if (socat.empty()) GTEST_SKIP() << "socat needed";
  ASSERT_NO_FATAL_FAILURE(expect_forward_round_trip(through("socat - TCP:%h:%p"), "socat"));
  ASSERT_NO_FATAL_FAILURE(expect_remote_command(through("socat - TCP:%h:%p")));
}

TEST_F(ProxyCommandTest, StockSshStdioForwardCarriesForward) {
  const std::string ssh = find_program("ssh");
  if (ssh.empty()) GTEST_SKIP() << "stock ssh needed";
  // The proxy logs in to the same sshd and asks it for a channel to itself (-W %h:%p).
  const std::string proxy = ssh + " -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes" +
                            " -o UserKnownHostsFile=" + known_hosts() + " -i " + key().private_path + " -p " +
                            std::to_string(sshd_->port()) + " -W %h:%p root@127.0.0.1";
  ASSERT_NO_FATAL_FAILURE(expect_forward_round_trip(through(proxy), "ssh"));
  // Two logins: the proxy's and the one it carried.
  EXPECT_GE(count_occurrences(sshd_->log(), "Accepted publickey for root"), 2u);
}

TEST_F(ProxyCommandTest, FdpassDialerPassesBackItsSocket) {
  const std::string python = find_program("python3");
  if (python.empty()) GTEST_SKIP() << "python3 needed";
  // Connects, passes the socket back over stdout with SCM_RIGHTS (mm_send_fd's one byte with one
  // descriptor), notes its pid and exits.
  const std::string dialer = tmp_.file("fdpass.py");
  ASSERT_TRUE(write_file(dialer,
                         "import os, socket, sys\n"
                         "open(sys.argv[3], 'a').write('%d\\n' % os.getpid())\n"
                         "s = socket.create_connection((sys.argv[1], int(sys.argv[2])))\n"
                         "socket.send_fds(socket.socket(fileno=1), [b'\\0'], [s.fileno()])\n",
                         0600));
  const std::string pids = tmp_.file("dialer.pids");
  const std::string proxy = python + " " + dialer + " %h %p " + pids;
  ASSERT_NO_FATAL_FAILURE(expect_forward_round_trip(through(proxy, {"ProxyUseFdpass=yes"}), ""));
  ASSERT_NO_FATAL_FAILURE(expect_remote_command(through(proxy, {"ProxyUseFdpass=yes"})));
  const std::vector<pid_t> dialers = pids_in(pids);
  EXPECT_EQ(dialers.size(), 2u);
  for (pid_t p : dialers) EXPECT_TRUE(gone(p)) << "dialer " << p << " still there";
}

TEST_F(ProxyCommandTest, FdpassDialerThatPassesNothingFails) {
  const std::string err = expect_failure(through("true", {"ProxyUseFdpass=yes"}));
  EXPECT_NE(err.find("proxy dialer did not pass back a connection"), std::string::npos) << err;
}

TEST_F(ProxyCommandTest, CommandThatExitsAtOnceFailsWith255) {
  // Notes its pid (the shell execs the script, so it is the proxy's own) and exits 3.
  const std::string pids = tmp_.file("proxy.pids");
  const std::string proxy = script("exits.sh", "echo $$ >> " + pids + "\nexit 3\n");
  ClientOptions o = through(proxy, {"ConnectionAttempts=2"});
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  if (is_sshplex()) {
    // Between the attempts (1 s apart) the first proxy is already reaped: no zombie.
    ASSERT_TRUE(wait_until([&] { return client.stderr_text().find("trying again") != std::string::npos; }, 10s))
        << client.stderr_text();
    EXPECT_TRUE(zombie_children(client.pid()).empty()) << "an exited proxy was not reaped";
    const std::vector<pid_t> first = pids_in(pids);
    ASSERT_FALSE(first.empty());
    EXPECT_EQ(proc_state(first.front()), 0)
        << "the first proxy is still there (state " << proc_state(first.front()) << ")";
  }
  const ProcessResult r = client.wait_exit(30s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 255);
  const std::string err = client.stderr_text();
  EXPECT_NE(err.find("kex_exchange_identification: Connection closed by remote host"), std::string::npos) << err;
  if (is_sshplex()) {
    EXPECT_NE(err.find("ProxyCommand exited with status 3"), std::string::npos) << err;
    EXPECT_EQ(count_occurrences(err, "Executing proxy command: exec " + proxy), 2u) << err;
  }
  // sshplex's ConnectionAttempts retries the whole connection, so each attempt runs the command
  // again; ssh's retries only a TCP connect and runs a ProxyCommand once.
  EXPECT_EQ(pids_in(pids).size(), is_sshplex() ? 2u : 1u);
}

TEST_F(ProxyCommandTest, FalseFailsWith255) {
  const std::string err = expect_failure(through("false"));
  EXPECT_NE(err.find("kex_exchange_identification: Connection closed by remote host"), std::string::npos) << err;
  if (is_sshplex()) {
    EXPECT_NE(err.find("ProxyCommand exited with status 1"), std::string::npos) << err;
  }
}

TEST_F(ProxyCommandTest, SilentProxyTimesOutAndIsEnded) {
  // A proxy that never answers: ConnectTimeout covers the banner, and the proxy must not outlive
  // the attempt (SIGHUP, as ssh sends it).
  const std::string pids = tmp_.file("silent.pids");
  const std::string proxy = script("silent.sh", "echo $$ >> " + pids + "\nexec sleep 60\n");
  ClientOptions o = through(proxy);
  o.options = {"ProxyCommand=" + proxy, "ConnectTimeout=1"};
  const auto start = Clock::now();
  const std::string err = expect_failure(o);
  EXPECT_LT(Clock::now() - start, 10s);
  EXPECT_NE(err.find("Connection timed out during banner exchange"), std::string::npos) << err;
  const std::vector<pid_t> silent = pids_in(pids);
  ASSERT_EQ(silent.size(), 1u);
  if (is_sshplex()) {
    EXPECT_TRUE(gone(silent.front())) << "the proxy outlived sshplex";
  } else {
    ::kill(silent.front(), SIGKILL);  // ssh leaves it to die of SIGHUP by itself
  }
}

TEST_F(ProxyCommandTest, ReconnectStartsANewProxyAndLeaksNothing) {
  if (!is_sshplex()) GTEST_SKIP() << "reconnecting is sshplex's own";
  const std::string socat = find_program("socat");
  if (socat.empty()) GTEST_SKIP() << "socat needed";
  ForwardTarget fwd = tcp_forward_to(echo_.endpoint());
  ClientOptions o = through("socat - TCP:%h:%p", {"PoolSize=1", "Reconnect=yes", "ReconnectMaxDelay=2"});
  o.local_forwards = {fwd.spec};
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(fwd.listen));
  const pid_t pid = client.pid();
  std::vector<pid_t> proxies = live_children(pid, "socat");
  ASSERT_EQ(proxies.size(), 1u);
  std::this_thread::sleep_for(500ms);
  const std::size_t baseline = open_fd_count(pid).value_or(0);
  ASSERT_GT(baseline, 0u);

  std::set<pid_t> seen = {proxies.front()};
  // First the proxy dies under the connection, then the server's end of it.
  for (const std::string how : {"proxy killed", "sshd session killed"}) {
    SCOPED_TRACE(how);
    const pid_t old = proxies.front();
    if (how == "proxy killed") {
      ASSERT_EQ(::kill(old, SIGKILL), 0);
    } else {
      const std::vector<pid_t> sessions = sshd_->connection_pids();
      ASSERT_FALSE(sessions.empty());
      for (pid_t s : sessions) ::kill(s, SIGKILL);
    }
    // A new proxy, not the old one, and the old one reaped (never a zombie child).
    ASSERT_TRUE(wait_until(
        [&] {
          proxies = live_children(pid, "socat");
          return proxies.size() == 1 && seen.count(proxies.front()) == 0;
        },
        15s))
        << "no new proxy process";
    seen.insert(proxies.front());
    EXPECT_TRUE(wait_until([&] { return proc_state(old) == 0; }, 5s)) << "old proxy " << old << " not reaped";
    ASSERT_TRUE(client.wait_forward(fwd.listen));
    const TransferResult t = echo_transfer(fwd.listen, kBytes, 9);
    EXPECT_TRUE(t.ok) << t.error;
    EXPECT_TRUE(zombie_children(pid).empty());
    std::size_t fds = 0;
    EXPECT_TRUE(wait_until(
        [&] {
          fds = open_fd_count(pid).value_or(0);
          return fds == baseline;
        },
        5s))
        << "descriptors: " << fds << " after the reconnect, " << baseline << " before";
  }
  EXPECT_EQ(count_occurrences(client.stderr_text(),
                              "Executing proxy command: exec socat - TCP:127.0.0.1:" + std::to_string(sshd_->port())),
            3u);

  // SIGTERM: sshplex ends, and the proxy it was using with it.
  const pid_t last = proxies.front();
  ::kill(pid, SIGTERM);
  const ProcessResult r = client.wait_exit(15s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(gone(last)) << "proxy " << last << " outlived sshplex";
  for (pid_t p : seen) EXPECT_TRUE(gone(p)) << "proxy " << p << " is still there";
}

}  // namespace
