// Interactive sessions driven through tmux (a real terminal): a prompt, the pty's size following
// the terminal's, escape sequences, the terminal restored afterwards; and X11 forwarding with Xvfb
// as the local display and xauth on the server.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/process.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;
using namespace std::chrono_literals;

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

class TerminalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    tmux_ = find_program("tmux");
    if (tmux_.empty()) GTEST_SKIP() << "tmux needed (scripts/install-deps.sh installs it)";
    sshd_.authorize_key(key().public_line);
    ASSERT_TRUE(sshd_.start());
    ASSERT_TRUE(sshd_.write_known_hosts(tmp_.file("known_hosts")));
  }
  void TearDown() override {
    if (!started_) return;
    // The tmux server is ours alone (its own socket): stop it by its process id.
    tmux({"kill-server"});
    if (server_pid_ > 0) ::kill(server_pid_, SIGKILL);
  }

  static const KeyPair& key() { return cached_key(KeyType::Ed25519, "user"); }

  std::string client_command(const std::vector<std::string>& extra) const {
    std::string cmd = quote(client_binary()) + " -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes" +
                      " -o StrictHostKeyChecking=yes -o UserKnownHostsFile=" + quote(tmp_.file("known_hosts")) +
                      " -i " + quote(key().private_path) + " -p " + std::to_string(sshd_.port());
    for (const auto& e : extra) cmd += " " + quote(e);
    return cmd + " root@127.0.0.1";
  }

  bool tmux(const std::vector<std::string>& args, std::string* out = nullptr) {
    std::vector<std::string> argv = {tmux_, "-S", tmp_.file("tmux.sock")};
    argv.insert(argv.end(), args.begin(), args.end());
    Env env = base_env();
    env.push_back("HOME=" + tmp_.str());
    const ProcessResult r = run_command(argv, env, tmp_.file("tmux.out"), tmp_.file("tmux.err"), 20s);
    if (out != nullptr) *out = read_file(tmp_.file("tmux.out"));
    return r.exited && r.exit_code == 0;
  }

  // Runs the client in a new 80x24 terminal; the shell around it records its exit status and the
  // terminal settings before and after.
  void start_in_terminal(const std::vector<std::string>& extra) {
    const std::string script = "stty -g > " + quote(tmp_.file("stty.before")) + "; " + client_command(extra) +
                               "; echo exit=$? > " + quote(tmp_.file("status")) + "; stty -g > " +
                               quote(tmp_.file("stty.after")) + "; sleep 60";
    ASSERT_TRUE(tmux({"new-session", "-d", "-s", "t", "-x", "80", "-y", "24", "sh -c " + quote(script)}))
        << read_file(tmp_.file("tmux.err"));
    started_ = true;
    std::string pid;
    if (tmux({"display-message", "-p", "#{pid}"}, &pid)) server_pid_ = std::atoi(pid.c_str());
  }

  std::string screen() {
    std::string out;
    tmux({"capture-pane", "-p", "-t", "t"}, &out);
    return out;
  }
  bool screen_shows(const std::string& text, std::chrono::milliseconds timeout = 20s) {
    return wait_until([&] { return screen().find(text) != std::string::npos; }, timeout);
  }
  void type(const std::string& keys, bool enter = true) {
    std::vector<std::string> args = {"send-keys", "-t", "t", "-l", "--", keys};
    tmux(args);
    if (enter) tmux({"send-keys", "-t", "t", "Enter"});
  }

  TempDir tmp_{"sshplex-tty"};
  SshdServer sshd_;
  std::string tmux_;
  bool started_ = false;
  pid_t server_pid_ = -1;
};

TEST_F(TerminalTest, InteractiveShellFollowsTheTerminalAndTildeDotEndsIt) {
  start_in_terminal({});
  ASSERT_TRUE(screen_shows(":~#")) << screen();
  type("stty size");
  EXPECT_TRUE(screen_shows("24 80")) << screen();
  ASSERT_TRUE(tmux({"resize-window", "-t", "t", "-x", "100", "-y", "30"}));
  type("clear; stty size");
  EXPECT_TRUE(screen_shows("30 100")) << "window-change did not reach the pty: " << screen();
  // The escape is only recognised at the start of a line.
  type("", true);
  type("~.", false);
  ASSERT_TRUE(wait_until([&] { return read_file(tmp_.file("status")).ends_with("\n"); }, 20s)) << screen();
  EXPECT_EQ(read_file(tmp_.file("status")), "exit=255\n");
  EXPECT_TRUE(screen_shows("Connection to 127.0.0.1 closed.")) << screen();
  // The shell creates the file before stty has written its line into it.
  ASSERT_TRUE(wait_until([&] { return read_file(tmp_.file("stty.after")).ends_with("\n"); }, 10s));
  EXPECT_EQ(read_file(tmp_.file("stty.before")), read_file(tmp_.file("stty.after"))) << "terminal not restored";
}

TEST_F(TerminalTest, LogoutReturnsTheShellsStatusAndTildeQuestionMarkHelps) {
  start_in_terminal({});
  ASSERT_TRUE(screen_shows(":~#")) << screen();
  type("", true);
  type("~?", false);
  EXPECT_TRUE(screen_shows("Supported escape sequences:")) << screen();
  type("exit 5");
  ASSERT_TRUE(wait_until([&] { return read_file(tmp_.file("status")).ends_with("\n"); }, 20s)) << screen();
  EXPECT_EQ(read_file(tmp_.file("status")), "exit=5\n");
  // The shell creates the file before stty has written its line into it.
  ASSERT_TRUE(wait_until([&] { return read_file(tmp_.file("stty.after")).ends_with("\n"); }, 10s));
  EXPECT_EQ(read_file(tmp_.file("stty.before")), read_file(tmp_.file("stty.after")));
}

TEST_F(TerminalTest, CommandLineEscapeAddsAForwardToTheLivePool) {
  if (client_binary().find("sshplex") == std::string::npos) GTEST_SKIP() << "~C's forwards on sshplex's pool";
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  const int port = free_tcp_port();
  start_in_terminal({"-o", "EnableEscapeCommandline=yes"});
  ASSERT_TRUE(screen_shows(":~#")) << screen();
  type("", true);
  type("~C", false);
  ASSERT_TRUE(screen_shows("sshplex>")) << screen();
  type("-L " + std::to_string(port) + ":127.0.0.1:" + std::to_string(echo.endpoint().port));
  EXPECT_TRUE(screen_shows("Forwarding port.")) << screen();
  TransferResult t = echo_transfer(Endpoint::tcp(port), 256 << 10, 3, 20s);
  EXPECT_TRUE(t.ok) << t.error;
  type("", true);
  type("~C", false);
  ASSERT_TRUE(screen_shows("sshplex>")) << screen();
  type("-KL " + std::to_string(port));
  EXPECT_TRUE(screen_shows("Canceled forwarding.")) << screen();
  EXPECT_TRUE(wait_until([&] { return connect_endpoint(Endpoint::tcp(port), 1s) < 0; }, 5s));
  type("exit");
  ASSERT_TRUE(wait_until([&] { return read_file(tmp_.file("status")).ends_with("\n"); }, 20s)) << screen();
}

// X11: Xvfb is the local display; sshd (X11Forwarding yes) runs xauth for the session.
class X11Test : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    for (const char* p : {"Xvfb", "xauth", "xdpyinfo"}) {
      if (find_program(p).empty()) GTEST_SKIP() << p << " needed (scripts/install-deps.sh installs it)";
    }
    SshdOptions o;
    o.x11_forwarding = true;
    o.log_level = "VERBOSE";
    sshd_ = std::make_unique<SshdServer>(o);
    sshd_->authorize_key(key().public_line);
    ASSERT_TRUE(sshd_->start());
    ASSERT_TRUE(sshd_->write_known_hosts(tmp_.file("known_hosts")));
  }
  static const KeyPair& key() { return cached_key(KeyType::Ed25519, "user"); }

  // Starts Xvfb on a free display; with a cookie of its own (access control) unless `open`.
  int start_display(Process& xvfb, bool open) {
    int display = 0;
    for (int n = 40 + static_cast<int>(::getpid() % 400); n < 1000; ++n) {
      struct stat st {};
      if (::stat(("/tmp/.X11-unix/X" + std::to_string(n)).c_str(), &st) != 0 &&
          ::stat(("/tmp/.X" + std::to_string(n) + "-lock").c_str(), &st) != 0) {
        display = n;
        break;
      }
    }
    std::vector<std::string> argv = {find_program("Xvfb"), ":" + std::to_string(display), "-nolisten", "tcp"};
    if (!open) {
      std::mt19937_64 rng(std::random_device{}());
      char cookie[33];
      std::snprintf(cookie, sizeof cookie, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                    static_cast<unsigned long long>(rng()));
      std::string out;
      EXPECT_TRUE(run_quiet({find_program("xauth"), "-f", tmp_.file("xauthority"), "add", ":" + std::to_string(display),
                             "MIT-MAGIC-COOKIE-1", cookie},
                            &out))
          << out;
      argv.insert(argv.end(), {"-auth", tmp_.file("xauthority")});
    }
    EXPECT_TRUE(xvfb.start(argv, base_env(), tmp_.file("xvfb.out"), tmp_.file("xvfb.err")));
    EXPECT_TRUE(wait_until([&] { return std::filesystem::exists("/tmp/.X11-unix/X" + std::to_string(display)); }, 10s))
        << read_file(tmp_.file("xvfb.err"));
    return display;
  }

  ClientOptions options(int display, std::vector<std::string> flags, std::string command) {
    ClientOptions o = client_options_for(sshd_->port(), tmp_.file("known_hosts"), key());
    o.no_command = false;
    o.verbose = false;
    o.extra_args = std::move(flags);
    o.command = {std::move(command)};
    o.extra_env = {"DISPLAY=:" + std::to_string(display), "XAUTHORITY=" + tmp_.file("xauthority")};
    return o;
  }

  TempDir tmp_{"sshplex-x11"};
  std::unique_ptr<SshdServer> sshd_;
};

TEST_F(X11Test, TrustedForwardingReachesTheDisplayWithTheRealCookie) {
  Process xvfb;
  const int display = start_display(xvfb, false);
  // The server's clients only know the fake cookie: the display accepts them only if the real one
  // was put in its place.
  ClientRun client(options(display, {"-Y"}, "xdpyinfo | head -1; echo DISPLAY=$DISPLAY"));
  ASSERT_TRUE(client.start());
  const ProcessResult r = client.wait_exit(60s);
  EXPECT_EQ(r.exit_code, 0) << client.stderr_text();
  EXPECT_NE(client.stdout_text().find("name of display:    localhost:"), std::string::npos) << client.stdout_text();
}

TEST_F(X11Test, AWrongCookieIsRefused) {
  Process xvfb;
  const int display = start_display(xvfb, false);
  const std::string command =
      "xauth -q -f /tmp/sshplex-wrong-$$ add \"$DISPLAY\" MIT-MAGIC-COOKIE-1 00112233445566778899aabbccddeeff;"
      " XAUTHORITY=/tmp/sshplex-wrong-$$ xdpyinfo >/dev/null 2>&1; echo rc=$?; rm -f /tmp/sshplex-wrong-$$;"
      " xdpyinfo >/dev/null 2>&1 && echo right-cookie-works";
  ClientRun client(options(display, {"-Y"}, command));
  ASSERT_TRUE(client.start());
  const ProcessResult r = client.wait_exit(60s);
  EXPECT_EQ(r.exit_code, 0) << client.stderr_text();
  EXPECT_EQ(client.stdout_text().find("rc=0"), std::string::npos) << client.stdout_text();
  EXPECT_NE(client.stdout_text().find("right-cookie-works"), std::string::npos) << client.stdout_text();
  if (client_binary().find("sshplex") != std::string::npos) {
    EXPECT_NE(client.stderr_text().find("X11 connection rejected because of wrong authentication."), std::string::npos)
        << client.stderr_text();
  }
}

TEST_F(X11Test, UntrustedForwardingUsesAGeneratedCookie) {
  // Xvfb refuses the cookies xauth generates for it while it enforces its own authority file, so
  // this display runs without one; the relay still checks the fake cookie and substitutes the
  // generated one.
  Process xvfb;
  const int display = start_display(xvfb, true);
  ClientRun client(options(display, {"-X", "-o", "ForwardX11Trusted=no"}, "xdpyinfo | head -1"));
  ASSERT_TRUE(client.start());
  const ProcessResult r = client.wait_exit(60s);
  EXPECT_EQ(r.exit_code, 0) << client.stderr_text();
  EXPECT_NE(client.stdout_text().find("name of display:"), std::string::npos) << client.stdout_text();
  EXPECT_EQ(client.stderr_text().find("Warning"), std::string::npos) << client.stderr_text();
}

TEST_F(X11Test, WithoutForwardingTheServerGetsNoDisplay) {
  Process xvfb;
  const int display = start_display(xvfb, false);
  ClientRun client(options(display, {"-x"}, "echo \"[${DISPLAY:-none}]\""));
  ASSERT_TRUE(client.start());
  EXPECT_EQ(client.wait_exit(60s).exit_code, 0);
  EXPECT_EQ(client.stdout_text(), "[none]\n");
}

}  // namespace
