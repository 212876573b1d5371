// What people run through a control socket, unchanged: scp, sftp in batch mode, rsync -e ssh and
// git clone, all reaching the master through ControlPath in an ssh_config; a terminal session in
// tmux that follows a resize; 50 passengers at once on a server that allows 10 sessions per
// connection; a passenger whose connection dies; ControlPersist; a master whose own command ends
// before its passengers.
#include <dirent.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "control_fixture.hpp"
#include "ssh/crypto/hash.hpp"

namespace {

using namespace controltest;

bool is_sshplex() { return client_binary().find("sshplex") != std::string::npos; }

std::string file_sha256(const std::string& path) {
  const std::string data = read_file(path);
  const auto d = ssh::crypto::digest(ssh::crypto::HashAlg::sha256, ssh::as_bytes(data));
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : d) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

void write_random_file(const std::string& path, std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string data(n, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  write_file(path, data, 0644);
}

pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const auto close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(line.substr(close + 2));
  char state = 0;
  pid_t ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

// Processes whose command line contains `needle`.
std::vector<pid_t> processes_running(const std::string& needle) {
  std::vector<pid_t> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = read_file(e.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(needle) != std::string::npos) out.push_back(std::stoi(name));
  }
  return out;
}

class ControlToolsTest : public ControlTest {
 protected:
  // Stock tools find the master through ControlPath in this file; the port is 1 and no host key is
  // known, so nothing but the master can carry them.
  std::string write_ssh_config() {
    const std::string path = tmp_.file("ssh_config");
    write_file(path,
               "Host target\n"
               "  HostName 127.0.0.1\n"
               "  Port 1\n"
               "  User root\n"
               "  ControlPath " + sock_ + "\n"
               "  ControlMaster auto\n"
               "  BatchMode yes\n"
               "  StrictHostKeyChecking yes\n"
               "  UserKnownHostsFile /dev/null\n"
               "  GlobalKnownHostsFile /dev/null\n",
               0644);
    return path;
  }
};

TEST_F(ControlToolsTest, ScpSftpRsyncAndGitRideTheMaster) {
  for (const char* tool : {"scp", "sftp", "rsync", "git"}) {
    if (find_program(tool).empty()) GTEST_SKIP() << tool << " needed (scripts/install-deps.sh installs it)";
  }
  start_master();
  const std::string config = write_ssh_config();
  // ControlMaster auto finds the socket.
  Outcome r = run({ssh_, "-F", config, "-O", "check", "target"});
  ASSERT_EQ(r.code(), 0) << r.err;

  // scp both ways (Debian 12's scp speaks SFTP), then the legacy protocol (-O).
  write_random_file(tmp_.file("blob"), 5 * 1024 * 1024 + 3, 1);
  r = run({find_program("scp"), "-F", config, tmp_.file("blob"), "target:" + tmp_.file("blob.up")});
  ASSERT_EQ(r.code(), 0) << r.err;
  r = run({find_program("scp"), "-F", config, "-O", "target:" + tmp_.file("blob.up"), tmp_.file("blob.down")});
  ASSERT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(file_sha256(tmp_.file("blob.up")), file_sha256(tmp_.file("blob")));
  EXPECT_EQ(file_sha256(tmp_.file("blob.down")), file_sha256(tmp_.file("blob")));

  // sftp in batch mode.
  write_file(tmp_.file("batch"), "put " + tmp_.file("blob") + " " + tmp_.file("blob.sftp") + "\nls -l " +
                                     tmp_.file("blob.sftp") + "\nbye\n");
  r = run({find_program("sftp"), "-F", config, "-b", tmp_.file("batch"), "target"});
  ASSERT_EQ(r.code(), 0) << r.err;
  EXPECT_NE(r.out.find("blob.sftp"), std::string::npos) << r.out;
  EXPECT_EQ(file_sha256(tmp_.file("blob.sftp")), file_sha256(tmp_.file("blob")));

  // rsync -e ssh of a small tree.
  std::filesystem::create_directories(tmp_.file("tree/sub"));
  write_random_file(tmp_.file("tree/a"), 100000, 2);
  write_random_file(tmp_.file("tree/sub/b"), 300000, 3);
  r = run({find_program("rsync"), "-a", "-e", ssh_ + " -F " + config, tmp_.file("tree") + "/",
           "target:" + tmp_.file("tree.copy") + "/"});
  ASSERT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(file_sha256(tmp_.file("tree.copy/a")), file_sha256(tmp_.file("tree/a")));
  EXPECT_EQ(file_sha256(tmp_.file("tree.copy/sub/b")), file_sha256(tmp_.file("tree/sub/b")));

  // git clone of a repository "on the server".
  const std::string git = find_program("git");
  const std::string work = tmp_.file("work");
  Env git_env = client_env();
  git_env.push_back("GIT_AUTHOR_NAME=t");
  git_env.push_back("GIT_AUTHOR_EMAIL=t@example.org");
  git_env.push_back("GIT_COMMITTER_NAME=t");
  git_env.push_back("GIT_COMMITTER_EMAIL=t@example.org");
  git_env.push_back("GIT_SSH_COMMAND=" + ssh_ + " -F " + config);
  auto git_run = [&](std::vector<std::string> argv) {
    argv.insert(argv.begin(), git);
    Process p;
    EXPECT_TRUE(p.start(argv, git_env, tmp_.file("git.out"), tmp_.file("git.err")));
    const ProcessResult res = p.wait(60s);
    EXPECT_EQ(res.exit_code, 0) << p.stderr_text();
    return res.exit_code == 0;
  };
  ASSERT_TRUE(git_run({"init", "-q", work}));
  write_random_file(work + "/data.bin", 200000, 4);
  ASSERT_TRUE(git_run({"-C", work, "add", "data.bin"}));
  ASSERT_TRUE(git_run({"-C", work, "commit", "-q", "-m", "first"}));
  ASSERT_TRUE(git_run({"clone", "-q", "--bare", work, tmp_.file("repo.git")}));
  ASSERT_TRUE(git_run({"clone", "-q", "target:" + tmp_.file("repo.git"), tmp_.file("clone")}));
  EXPECT_EQ(file_sha256(tmp_.file("clone/data.bin")), file_sha256(work + "/data.bin"));

  // Every one of them rode the master's connections.
  EXPECT_LE(count_occurrences(sshd_->log(), "Accepted publickey"), 2u);
}

class ControlManyTest : public ControlToolsTest {
 protected:
  SshdOptions sshd_options() override {
    SshdOptions o = ControlToolsTest::sshd_options();
    o.extra_lines.push_back("MaxSessions 10");
    return o;
  }
};

TEST_F(ControlManyTest, FiftyPassengersAtOnceOnAServerAllowingTenSessions) {
  if (!is_sshplex()) GTEST_SKIP() << "ssh's master carries at most MaxSessions passengers";
  start_master();
  constexpr int kPassengers = 50;
  std::vector<std::unique_ptr<Process>> running;
  for (int i = 0; i < kPassengers; ++i) {
    auto p = std::make_unique<Process>();
    const std::string tag = "p" + std::to_string(i);
    ASSERT_TRUE(p->start(passenger_argv({}, {"sleep 2; echo done-" + std::to_string(i)}), client_env(),
                         tmp_.file(tag + ".out"), tmp_.file(tag + ".err")));
    running.push_back(std::move(p));
  }
  int ok = 0;
  for (std::size_t i = 0; i < running.size(); ++i) {
    const ProcessResult r = running[i]->wait(90s);
    const bool good = r.exited && r.exit_code == 0 && running[i]->stdout_text() == "done-" + std::to_string(i) + "\n";
    EXPECT_TRUE(good) << "passenger " << i << ": exit " << r.exit_code << " " << running[i]->stderr_text();
    ok += good ? 1 : 0;
  }
  EXPECT_EQ(ok, kPassengers);
  // Spread over more connections, never more than PoolMaxSize (16) logins.
  const std::size_t logins = count_occurrences(sshd_->log(), "Accepted publickey");
  EXPECT_GE(logins, 5u) << "50 sessions at 10 per connection need at least 5 connections";
  EXPECT_LE(logins, 16u);
}

TEST_F(ControlToolsTest, PassengerOnADeadConnectionExits255AndTheNextOneWorks) {
  if (!is_sshplex()) GTEST_SKIP() << "ssh's master dies with its only connection";
  start_master();
  const std::string marker = "sleep 31" + std::to_string(::getpid() % 1000);
  Process victim;
  ASSERT_TRUE(victim.start(passenger_argv({}, {marker}), client_env(), tmp_.file("v.out"), tmp_.file("v.err")));
  // The server process holding the passenger's connection: an ancestor of its remote command.
  pid_t connection = -1;
  ASSERT_TRUE(wait_until([&] {
    const auto connections = sshd_->connection_pids();
    const std::set<pid_t> known(connections.begin(), connections.end());
    for (pid_t p : processes_running(marker)) {
      if (p == victim.pid()) continue;
      for (pid_t up = p; up > 1; up = parent_of(up)) {
        if (known.contains(up)) {
          connection = up;
          return true;
        }
      }
    }
    return false;
  }, 15s));
  ::kill(connection, SIGKILL);
  const ProcessResult r = victim.wait(30s);
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 255) << victim.stderr_text();
  // A new passenger goes to a connection that is up (or one made again).
  bool worked = false;
  for (int attempt = 0; attempt < 20 && !worked; ++attempt) {
    worked = passenger({"echo alive"}).out == "alive\n";
    if (!worked) std::this_thread::sleep_for(500ms);
  }
  EXPECT_TRUE(worked);
  EXPECT_TRUE(master_->running());
}

TEST_F(ControlToolsTest, ControlPersistMasterRunsInTheBackgroundUntilIdle) {
  // As ssh: with ControlPersist the command returns once the socket is there, and the master stays
  // up in the background until it has had no passenger for that long.
  ClientOptions o = client_options_for(sshd_->port(), tmp_.file("known_hosts"), key());
  o.extra_args = {"-M", "-S", sock_, "-o", "ControlPersist=2"};
  ClientRun launcher(std::move(o));
  ASSERT_TRUE(launcher.start());
  const ProcessResult launched = launcher.wait_exit(20s);
  ASSERT_TRUE(launched.exited);
  ASSERT_EQ(launched.exit_code, 0) << launcher.stderr_text();
  const Outcome check = passenger({}, "", {"-O", "check"});
  ASSERT_EQ(check.code(), 0) << check.err;
  const auto pid_at = check.err.find("pid=");
  ASSERT_NE(pid_at, std::string::npos);
  const pid_t master = std::atoi(check.err.c_str() + pid_at + 4);
  ASSERT_GT(master, 1);
  // Killed by its pid whatever happens below.
  struct Reaper {
    pid_t pid;
    ~Reaper() { ::kill(pid, SIGKILL); }
  } reaper{master};

  // A passenger longer than the persist time holds it up.
  const Outcome r = passenger({"sleep 3; echo held"});
  EXPECT_EQ(r.out, "held\n") << r.err;
  EXPECT_EQ(::kill(master, 0), 0) << "the master left under a passenger";
  const auto left = std::chrono::steady_clock::now();
  EXPECT_TRUE(wait_until([&] { return ::kill(master, 0) != 0; }, 15s)) << "the idle master did not exit";
  EXPECT_GE(std::chrono::steady_clock::now() - left, 1500ms);
  EXPECT_FALSE(std::filesystem::exists(sock_));
}

TEST_F(ControlToolsTest, MasterCommandWaitsForItsPassengers) {
  if (!is_sshplex()) GTEST_SKIP() << "sshplex's master with a command";
  ClientOptions o = client_options_for(sshd_->port(), tmp_.file("known_hosts"), key());
  o.no_command = false;
  o.verbose = false;
  o.extra_args = {"-M", "-S", sock_};
  o.command = {"sleep 1; exit 7"};
  master_ = std::make_unique<ClientRun>(std::move(o));
  ASSERT_TRUE(master_->start());
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(sock_); }, 20s));
  const auto started = std::chrono::steady_clock::now();
  const Outcome r = passenger({"sleep 3; echo passenger-done"});
  EXPECT_EQ(r.out, "passenger-done\n") << r.err;
  const ProcessResult ended = master_->wait_exit(15s);
  EXPECT_TRUE(ended.exited);
  // The master's own command's status, after the passenger finished.
  EXPECT_EQ(ended.exit_code, 7);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 2500ms);
}

class ControlTerminalTest : public ControlTest {
 protected:
  void TearDown() override {
    if (tmux_.empty()) return;
    tmux({"kill-server"});
    if (server_pid_ > 0) ::kill(server_pid_, SIGKILL);
  }
  bool tmux(const std::vector<std::string>& args, std::string* out = nullptr) {
    std::vector<std::string> argv = {tmux_, "-S", tmp_.file("tmux.sock")};
    argv.insert(argv.end(), args.begin(), args.end());
    const ProcessResult r = run_command(argv, client_env(), tmp_.file("tmux.out"), tmp_.file("tmux.err"), 20s);
    if (out != nullptr) *out = read_file(tmp_.file("tmux.out"));
    return r.exited && r.exit_code == 0;
  }
  std::string screen() {
    std::string out;
    tmux({"capture-pane", "-p", "-t", "t"}, &out);
    return out;
  }
  bool screen_shows(const std::string& text) {
    return wait_until([&] { return screen().find(text) != std::string::npos; }, 20s);
  }
  void type(const std::string& keys) {
    tmux({"send-keys", "-t", "t", "-l", "--", keys});
    tmux({"send-keys", "-t", "t", "Enter"});
  }
  std::string tmux_;
  pid_t server_pid_ = -1;
};

TEST_F(ControlTerminalTest, TerminalPassengerFollowsAResize) {
  tmux_ = find_program("tmux");
  if (tmux_.empty()) GTEST_SKIP() << "tmux needed (scripts/install-deps.sh installs it)";
  start_master();
  std::string cmd;
  for (const auto& a : passenger_argv({"-tt"}, {})) cmd += quote(a) + " ";
  const std::string script = cmd + "; echo exit=$? > " + quote(tmp_.file("status")) + "; sleep 60";
  ASSERT_TRUE(tmux({"new-session", "-d", "-s", "t", "-x", "80", "-y", "24", "sh -c " + quote(script)}))
      << read_file(tmp_.file("tmux.err"));
  std::string pid;
  if (tmux({"display-message", "-p", "#{pid}"}, &pid)) server_pid_ = std::atoi(pid.c_str());
  ASSERT_TRUE(screen_shows(":~#")) << screen();
  type("stty size");
  EXPECT_TRUE(screen_shows("24 80")) << screen();
  ASSERT_TRUE(tmux({"resize-window", "-t", "t", "-x", "100", "-y", "30"}));
  type("clear; stty size; tty");
  EXPECT_TRUE(screen_shows("30 100")) << "the resize did not reach the passenger's pty: " << screen();
  EXPECT_TRUE(screen_shows("/dev/pts/")) << screen();
  type("exit 4");
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(tmp_.file("status")); }, 20s)) << screen();
  EXPECT_EQ(read_file(tmp_.file("status")), "exit=4\n");
}

}  // namespace
