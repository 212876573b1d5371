// Sessions as ssh does them, end to end against a real sshd: remote exit codes, separate
// stdin/stdout/stderr with hashed bulk data, subsystems, environment, -W (stock ssh rides it
// through ProxyCommand), -f, and agent forwarding (ssh-add on the server, a second hop logging in
// with the forwarded agent, nothing left open after many agent channels). The terminal and X11
// live in session_terminal_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ssh/crypto/hash.hpp"
#include "support/client_run.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/load_client.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/ssh_agent.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;
using namespace std::chrono_literals;

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

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    const std::uint64_t v = rng();
    for (std::size_t k = 0; k < 8 && i + k < n; ++k) out[i + k] = static_cast<char>(v >> (8 * k));
  }
  return out;
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    sshd_ = std::make_unique<SshdServer>(sshd_options());
    sshd_->authorize_key(key().public_line);
    ASSERT_TRUE(sshd_->start());
    ASSERT_TRUE(sshd_->write_known_hosts(tmp_.file("known_hosts")));
  }

  virtual SshdOptions sshd_options() {
    SshdOptions o;
    o.log_level = "VERBOSE";
    return o;
  }

  static const KeyPair& key() { return cached_key(KeyType::Ed25519, "user"); }

  ClientOptions options(std::vector<std::string> command) {
    ClientOptions o = client_options_for(sshd_->port(), tmp_.file("known_hosts"), key());
    o.no_command = false;
    o.verbose = false;  // stderr carries the remote command's own output here
    o.command = std::move(command);
    return o;
  }

  struct Outcome {
    ProcessResult result;
    std::string out;
    std::string err;
  };
  Outcome run(ClientOptions o, std::chrono::seconds timeout = 60s) {
    ClientRun client(std::move(o));
    EXPECT_TRUE(client.start());
    Outcome r;
    r.result = client.wait_exit(timeout);
    r.out = client.stdout_text();
    r.err = client.stderr_text();
    return r;
  }

  TempDir tmp_{"sshplex-session"};
  std::unique_ptr<SshdServer> sshd_;
};

TEST_F(SessionTest, ExitStatusIsTheRemoteCommands) {
  for (int code : {0, 1, 42}) {
    const Outcome r = run(options({"exit " + std::to_string(code)}));
    EXPECT_FALSE(r.result.timed_out);
    EXPECT_EQ(r.result.exit_code, code) << r.err;
  }
}

TEST_F(SessionTest, CommandKilledBySignalExits255WithAMessage) {
  const Outcome r = run(options({"kill -TERM $$"}));
  EXPECT_EQ(r.result.exit_code, 255);
  if (client_binary().find("sshplex") != std::string::npos) {
    EXPECT_NE(r.err.find("killed by signal TERM"), std::string::npos) << r.err;
  }
}

TEST_F(SessionTest, StdoutAndStderrStaySeparate) {
  const Outcome r = run(options({"echo out; echo err >&2; exit 3"}));
  EXPECT_EQ(r.result.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST_F(SessionTest, FiftyMegabytesEachWayAndFiveOnStderrArriveIntact) {
  const std::string input = random_bytes(50 << 20, 11);
  ASSERT_TRUE(write_file(tmp_.file("input"), input, 0600));
  ClientOptions o = options({"cat"});
  o.stdin_path = tmp_.file("input");
  const Outcome echoed = run(o, 120s);
  EXPECT_EQ(echoed.result.exit_code, 0) << echoed.err;
  EXPECT_EQ(echoed.out.size(), input.size());
  EXPECT_EQ(sha256_hex(echoed.out), sha256_hex(input)) << "stdin -> remote cat -> stdout";

  // 5 MiB made on the server goes to stderr; stdout carries the server's hash of it.
  const Outcome err = run(options({"head -c 5242880 /dev/urandom | tee /dev/stderr | sha256sum"}), 120s);
  EXPECT_EQ(err.result.exit_code, 0);
  EXPECT_EQ(err.err.size(), 5242880u);
  EXPECT_EQ(err.out.substr(0, 64), sha256_hex(err.err)) << "extended data must be written, not dropped";
}

TEST_F(SessionTest, StdinNullAndEndOfInput) {
  // -n: the remote command sees end of input at once, even with data waiting on our stdin.
  ASSERT_TRUE(write_file(tmp_.file("input"), "not for the server\n", 0600));
  ClientOptions o = options({"wc -c"});
  o.stdin_path = tmp_.file("input");
  o.extra_args = {"-n"};
  const Outcome r = run(o);
  EXPECT_EQ(r.result.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n");
  // Without -n the same input arrives whole, and its end ends the command.
  o.extra_args.clear();
  const Outcome whole = run(o);
  EXPECT_EQ(whole.out, "19\n");
}

TEST_F(SessionTest, RefusedExecEndsWith255) {
  // A ForceCommand-free server refuses a subsystem it does not have.
  ClientOptions o = options({"no-such-subsystem"});
  o.extra_args = {"-s"};
  const Outcome r = run(o);
  EXPECT_EQ(r.result.exit_code, 255);
  EXPECT_NE(r.err.find("subsystem request failed on channel"), std::string::npos) << r.err;
}

class SessionWithServerOptionsTest : public SessionTest {
 protected:
  SshdOptions sshd_options() override {
    SshdOptions o = SessionTest::sshd_options();
    o.extra_lines = {"Subsystem upper /usr/bin/tr a-z A-Z", "AcceptEnv SSHPLEX_TEST_*"};
    return o;
  }
};

TEST_F(SessionWithServerOptionsTest, SubsystemRuns) {
  ASSERT_TRUE(write_file(tmp_.file("input"), "hello subsystem\n", 0600));
  ClientOptions o = options({"upper"});
  o.extra_args = {"-s"};
  o.stdin_path = tmp_.file("input");
  const Outcome r = run(o);
  EXPECT_EQ(r.result.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "HELLO SUBSYSTEM\n");
}

TEST_F(SessionWithServerOptionsTest, SendEnvAndSetEnvReachTheCommand) {
  ClientOptions o = options({"echo \"$SSHPLEX_TEST_SENT/$SSHPLEX_TEST_SET/${SSHPLEX_TEST_NOT:-unset}\""});
  o.options = {"SendEnv=SSHPLEX_TEST_SENT", "SetEnv=SSHPLEX_TEST_SET=from-config"};
  o.extra_env = {"SSHPLEX_TEST_SENT=from-environment", "SSHPLEX_TEST_NOT=not-listed"};
  const Outcome r = run(o);
  EXPECT_EQ(r.result.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "from-environment/from-config/unset\n");
}

// -W through a jump server: stock ssh uses sshplex as its ProxyCommand to reach a second server.
TEST_F(SessionTest, StockSshRidesStdioForwardAsProxyCommand) {
  const std::string ssh = find_program("ssh");
  if (ssh.empty()) GTEST_SKIP() << "stock ssh needed";
  if (client_binary().find("sshplex") == std::string::npos) GTEST_SKIP() << "sshplex as the ProxyCommand";
  SshdServer target;
  target.authorize_key(key().public_line);
  ASSERT_TRUE(target.start());
  ASSERT_TRUE(target.write_known_hosts(tmp_.file("target_known_hosts")));
  const std::string proxy = client_binary() +
                            " -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes"
                            " -o UserKnownHostsFile=" +
                            tmp_.file("known_hosts") + " -i " + key().private_path + " -p " +
                            std::to_string(sshd_->port()) + " -W %h:%p root@127.0.0.1";
  const std::vector<std::string> argv = {ssh,
                                         "-F",
                                         "/dev/null",
                                         "-o",
                                         "BatchMode=yes",
                                         "-o",
                                         "IdentitiesOnly=yes",
                                         "-o",
                                         "StrictHostKeyChecking=yes",
                                         "-o",
                                         "UserKnownHostsFile=" + tmp_.file("target_known_hosts"),
                                         "-o",
                                         "ProxyCommand=" + proxy,
                                         "-i",
                                         key().private_path,
                                         "-p",
                                         std::to_string(target.port()),
                                         "root@127.0.0.1",
                                         "echo through-the-proxy; exit 7"};
  const ProcessResult r = run_command(argv, base_env(), tmp_.file("ssh.out"), tmp_.file("ssh.err"), 60s);
  EXPECT_EQ(r.exit_code, 7) << read_file(tmp_.file("ssh.err"));
  EXPECT_EQ(read_file(tmp_.file("ssh.out")), "through-the-proxy\n");
  EXPECT_NE(target.log().find("Accepted publickey for root"), std::string::npos);
}

TEST_F(SessionTest, StdioForwardToAClosedPortFails) {
  ClientOptions o = options({});
  o.extra_args = {"-W", "127.0.0.1:" + std::to_string(free_tcp_port())};
  const Outcome r = run(o);
  EXPECT_EQ(r.result.exit_code, 255);
  EXPECT_NE(r.err.find("stdio forwarding failed"), std::string::npos) << r.err;
}

// Finds a process by a word of its command line that only it has, and its binary.
std::vector<pid_t> processes_with_argument(const std::string& binary, const std::string& argument) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = read_file(entry.path() / "cmdline");
    std::vector<std::string> args;
    std::size_t start = 0;
    for (std::size_t i = 0; i < cmdline.size(); ++i) {
      if (cmdline[i] == '\0') {
        args.push_back(cmdline.substr(start, i - start));
        start = i + 1;
      }
    }
    if (args.empty() || args[0] != binary) continue;
    for (const auto& a : args) {
      if (a == argument) found.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return found;
}

TEST_F(SessionTest, ForkAfterAuthenticationReturnsOnceTheForwardServes) {
  if (client_binary().find("sshplex") == std::string::npos) GTEST_SKIP() << "finds the child by its binary";
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  ForwardTarget fwd = tcp_forward_to(echo.endpoint());
  ClientOptions o = options({});
  o.no_command = true;
  o.local_forwards = {fwd.spec};
  o.extra_args = {"-f"};
  ClientRun parent(o);
  ASSERT_TRUE(parent.start());
  const ProcessResult r = parent.wait_exit(30s);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << parent.stderr_text();
  // The forward is up the moment the parent returns: no waiting, no retry.
  TransferResult t = echo_transfer(fwd.listen, 1 << 20, 5, 20s);
  EXPECT_TRUE(t.ok) << t.error;
  const auto children = processes_with_argument(client_binary(), fwd.spec);
  ASSERT_EQ(children.size(), 1u) << "the child keeps serving";
  // It is detached: a session of its own, so the terminal's signals no longer reach it.
  EXPECT_EQ(::getsid(children[0]), children[0]);
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(echo_transfer(fwd.listen, 64 << 10, 6, 20s).ok);
  ::kill(children[0], SIGTERM);
  for (int i = 0; i < 100 && ::kill(children[0], 0) == 0; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_NE(::kill(children[0], 0), 0) << "the child did not stop on SIGTERM";
}

TEST_F(SessionTest, ForkAfterAuthenticationFailureIsTheParentsStatus) {
  ClientOptions o = options({"true"});
  o.identities = {cached_key(KeyType::Ed25519, "stranger").private_path};  // not authorized
  o.extra_args = {"-f"};
  const Outcome r = run(o, 30s);
  EXPECT_FALSE(r.result.timed_out);
  EXPECT_EQ(r.result.exit_code, 255);
}

TEST_F(SessionTest, ForkWithoutCommandIsRefused) {
  ClientOptions o = options({});
  o.extra_args = {"-f"};
  const Outcome r = run(o, 30s);
  EXPECT_EQ(r.result.exit_code, 255);
  EXPECT_NE(r.err.find("Cannot fork into background without a command to execute."), std::string::npos) << r.err;
}

class AgentForwardingTest : public SessionTest {
 protected:
  void SetUp() override {
    SessionTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    TESTSUPPORT_SKIP_IF(SshAgent::unavailable_reason());
    ASSERT_TRUE(agent_.start());
    ASSERT_TRUE(agent_.add_key(agent_key().private_path));
    sshd_->authorize_key(agent_key().public_line);
  }
  static const KeyPair& agent_key() { return cached_key(KeyType::Ed25519, "agent"); }
  ClientOptions agent_options(std::vector<std::string> command, bool forward) {
    ClientOptions o = options(std::move(command));
    o.auth_sock = agent_.socket_path();
    if (forward) o.extra_args.push_back("-A");
    return o;
  }
  SshAgent agent_;
};

TEST_F(AgentForwardingTest, ServerListsTheLocalKeysOnlyWhenForwarded) {
  const std::string fingerprint = fingerprint_of(agent_key().public_path);
  const Outcome forwarded = run(agent_options({"ssh-add -l"}, true));
  EXPECT_EQ(forwarded.result.exit_code, 0) << forwarded.err;
  EXPECT_NE(forwarded.out.find(fingerprint), std::string::npos) << forwarded.out;
  const Outcome not_forwarded = run(agent_options({"ssh-add -l"}, false));
  EXPECT_EQ(not_forwarded.result.exit_code, 2) << "ssh-add finds no agent: " << not_forwarded.out << not_forwarded.err;
}

TEST_F(AgentForwardingTest, SecondHopLogsInWithTheForwardedAgent) {
  const std::string ssh = find_program("ssh");
  if (ssh.empty()) GTEST_SKIP() << "stock ssh needed on the server side";
  SshdServer hop;
  hop.authorize_key(agent_key().public_line);  // only the agent holds this key
  ASSERT_TRUE(hop.start());
  const std::string login = ssh +
                            " -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no"
                            " -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p " +
                            std::to_string(hop.port()) + " root@127.0.0.1 echo second-hop";
  const Outcome r = run(agent_options({login}, true));
  EXPECT_EQ(r.result.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "second-hop\n");
  EXPECT_NE(hop.log().find("Accepted publickey for root"), std::string::npos) << hop.log();
  const Outcome refused = run(agent_options({login}, false));
  EXPECT_NE(refused.result.exit_code, 0) << "without -A the second hop has no key";
}

TEST_F(AgentForwardingTest, ManyAgentChannelsLeaveNoDescriptorBehind) {
  if (client_binary().find("sshplex") == std::string::npos) GTEST_SKIP() << "counts sshplex's descriptors";
  ClientOptions o = agent_options({"echo start; sleep 1; for i in $(seq 30); do ssh-add -l >/dev/null || exit 9; done; "
                                   "echo end; sleep 2"},
                                  true);
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  auto wait_for_output = [&](const std::string& word) {
    for (int i = 0; i < 400; ++i) {
      if (client.stdout_text().find(word) != std::string::npos) return true;
      std::this_thread::sleep_for(25ms);
    }
    return false;
  };
  ASSERT_TRUE(wait_for_output("start")) << client.stderr_text();
  const auto before = open_fd_count(client.pid());
  ASSERT_TRUE(wait_for_output("end")) << client.stderr_text();
  std::this_thread::sleep_for(300ms);
  const auto after = open_fd_count(client.pid());
  ASSERT_TRUE(before && after);
  EXPECT_LE(*after, *before) << "agent connections left open: " << *before << " -> " << *after;
  const ProcessResult r = client.wait_exit(30s);
  EXPECT_EQ(r.exit_code, 0) << client.stderr_text();
}

}  // namespace
