// The benchmark's load tools (sshplex-bench) run for real on loopback: byte counts are exact, the
// delay relay delays, short downloads are caught, and the SOCKS tools work against sshplex -D in
// front of a real sshd.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
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

double monotonic_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The number after "key": in a one-line JSON object; nullopt when the key is missing.
std::optional<double> json_number(const std::string& line, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  const auto at = line.find(needle);
  if (at == std::string::npos) return std::nullopt;
  const char* start = line.c_str() + at + needle.size();
  char* end = nullptr;
  const double value = std::strtod(start, &end);
  if (end == start) return std::nullopt;
  return value;
}

struct ToolRun {
  ProcessResult result;
  std::string out;
  std::string err;
  bool ok() const { return result.exited && result.exit_code == 0; }
  std::string describe() const { return "exit " + std::to_string(result.exit_code) + ", stdout: " + out + ", stderr: " + err; }
};

class BenchTools : public ::testing::Test {
 protected:
  // Runs a client subcommand to completion.
  ToolRun run(std::vector<std::string> args, milliseconds timeout = seconds(9)) {
    args.insert(args.begin(), SSHPLEX_BENCH_BINARY);
    const std::string n = std::to_string(runs_++);
    ToolRun r;
    r.result = run_command(args, base_env(), tmp_.file("run" + n + ".out"), tmp_.file("run" + n + ".err"), timeout);
    r.out = read_file(tmp_.file("run" + n + ".out"));
    r.err = read_file(tmp_.file("run" + n + ".err"));
    return r;
  }

  // Starts a long-running subcommand and waits for its {"ready": true} line.
  ::testing::AssertionResult start(Process& p, std::vector<std::string> args) {
    args.insert(args.begin(), SSHPLEX_BENCH_BINARY);
    const std::string n = std::to_string(runs_++);
    if (!p.start(args, base_env(), tmp_.file("bg" + n + ".out"), tmp_.file("bg" + n + ".err"))) {
      return ::testing::AssertionFailure() << p.error();
    }
    return wait_ready(p.stdout_path(), [&p] { return p.running(); });
  }

  template <class Alive>
  static ::testing::AssertionResult wait_ready(const std::string& stdout_path, Alive alive) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string out = read_file(stdout_path);
      if (out.find("\"ready\": true") != std::string::npos) return ::testing::AssertionSuccess();
      if (!alive()) return ::testing::AssertionFailure() << "exited before ready: " << out;
      std::this_thread::sleep_for(milliseconds(5));
    }
    return ::testing::AssertionFailure() << "no ready line";
  }

  static std::string at(int port) { return "127.0.0.1:" + std::to_string(port); }

  TempDir tmp_{"sshplex-bench-tools"};
  int runs_ = 0;
};

TEST_F(BenchTools, BulkUploadAndDownloadMoveExactlyTheBytesAsked) {
  const int sink = free_tcp_port();
  const int source = free_tcp_port();
  Process server;
  ASSERT_TRUE(start(server, {"server", "--sink", std::to_string(sink), "--source", std::to_string(source)}));

  const ToolRun up = run({"bulk", "--connect", at(sink), "--upload", "50000001"});
  ASSERT_TRUE(up.ok()) << up.describe();
  EXPECT_EQ(json_number(up.out, "bytes"), 50000001.0) << up.out;
  EXPECT_GT(json_number(up.out, "seconds").value_or(0), 0.0);
  EXPECT_GT(json_number(up.out, "mb_per_s").value_or(0), 0.0);

  const ToolRun down = run({"bulk", "--connect", at(source), "--download", "30000007", "--streams", "3"});
  ASSERT_TRUE(down.ok()) << down.describe();
  EXPECT_EQ(json_number(down.out, "bytes"), 3 * 30000007.0) << down.out;
  // Exactly one line: the result.
  EXPECT_EQ(down.out.find('\n'), down.out.size() - 1) << down.out;

  const ToolRun empty = run({"bulk", "--connect", at(source), "--download", "0"});
  ASSERT_TRUE(empty.ok()) << empty.describe();
  EXPECT_EQ(json_number(empty.out, "bytes"), 0.0);

  // SIGTERM stops the server cleanly.
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  const ProcessResult end = server.wait(seconds(5));
  EXPECT_TRUE(end.exited && end.exit_code == 0) << "exit " << end.exit_code << " signal " << end.term_signal;
}

TEST_F(BenchTools, DownloadDetectsAShortCount) {
  // A source that answers the request with fewer bytes than asked for, then closes.
  const int listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listen_fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof address;
  ASSERT_EQ(::bind(listen_fd, reinterpret_cast<sockaddr*>(&address), len), 0);
  ASSERT_EQ(::listen(listen_fd, 4), 0);
  ASSERT_EQ(::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&address), &len), 0);
  std::thread short_source([listen_fd] {
    const int fd = ::accept(listen_fd, nullptr, nullptr);
    if (fd < 0) return;
    std::uint8_t request[8];
    if (recv_exact(fd, request, sizeof request)) {
      const std::vector<char> some(1000, 'z');
      (void)::send(fd, some.data(), some.size(), MSG_NOSIGNAL);
    }
    ::close(fd);
  });
  const ToolRun r = run({"bulk", "--connect", at(ntohs(address.sin_port)), "--download", "5000"});
  short_source.join();
  ::close(listen_fd);
  EXPECT_TRUE(r.result.exited && r.result.exit_code == 1) << r.describe();
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("short download: got 1000 of 5000"), std::string::npos) << r.err;
}

TEST_F(BenchTools, DelayRelayDelaysEachWayAndKeepsByteCounts) {
  const int echo = free_tcp_port();
  const int sink = free_tcp_port();
  const int source = free_tcp_port();
  Process server;
  ASSERT_TRUE(start(server, {"server", "--echo", std::to_string(echo), "--sink", std::to_string(sink), "--source",
                             std::to_string(source)}));
  const int slow = free_tcp_port();
  Process slow_relay;
  ASSERT_TRUE(start(slow_relay, {"delay-relay", "--listen", std::to_string(slow), "--connect", at(echo), "--delay-ms",
                                 "100"}));

  // A 1-byte round trip crosses the relay twice: at least 2 x 100 ms.
  const int fd = connect_endpoint(Endpoint::tcp(slow), seconds(5));
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 3; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint8_t ping = static_cast<std::uint8_t>('a' + i);
    ASSERT_EQ(::send(fd, &ping, 1, 0), 1);
    std::uint8_t pong = 0;
    ASSERT_TRUE(recv_exact(fd, &pong, 1));
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(pong, ping);
    EXPECT_GE(ms, 200.0);
    EXPECT_LT(ms, 400.0);
  }
  // EOF travels with the same delay: the echo server's EOF comes back after about 200 ms.
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(::shutdown(fd, SHUT_WR), 0);
  std::uint8_t byte = 0;
  EXPECT_EQ(::recv(fd, &byte, 1, 0), 0);
  const auto eof_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(eof_ms, 200.0);
  ::close(fd);

  const int to_sink = free_tcp_port();
  const int to_source = free_tcp_port();
  Process sink_relay;
  Process source_relay;
  ASSERT_TRUE(start(sink_relay, {"delay-relay", "--listen", std::to_string(to_sink), "--connect", at(sink),
                                 "--delay-ms", "0"}));
  ASSERT_TRUE(start(source_relay, {"delay-relay", "--listen", std::to_string(to_source), "--connect", at(source),
                                   "--delay-ms", "0"}));
  const ToolRun up = run({"bulk", "--connect", at(to_sink), "--upload", "40000003", "--streams", "2"});
  ASSERT_TRUE(up.ok()) << up.describe();
  EXPECT_EQ(json_number(up.out, "bytes"), 2 * 40000003.0);
  const ToolRun down = run({"bulk", "--connect", at(to_source), "--download", "40000003", "--streams", "2"});
  ASSERT_TRUE(down.ok()) << down.describe();
  EXPECT_EQ(json_number(down.out, "bytes"), 2 * 40000003.0);
}

TEST_F(BenchTools, FirstByteRetriesUntilTheGreeting) {
  const int greet = free_tcp_port();
  const double before = monotonic_now();
  Process client;
  ASSERT_TRUE(client.start({SSHPLEX_BENCH_BINARY, "first-byte", "--connect", at(greet), "--timeout", "8"}, base_env(),
                           tmp_.file("fb.out"), tmp_.file("fb.err")));
  // Nothing listens yet: the client keeps retrying until the server comes up.
  std::this_thread::sleep_for(milliseconds(300));
  Process server;
  ASSERT_TRUE(start(server, {"server", "--greet", std::to_string(greet)}));
  const ProcessResult r = client.wait(seconds(8));
  const double after = monotonic_now();
  const std::string out = client.stdout_text();
  ASSERT_TRUE(r.exited && r.exit_code == 0) << out << client.stderr_text();
  const auto at_first_byte = json_number(out, "monotonic");
  ASSERT_TRUE(at_first_byte.has_value()) << out;
  EXPECT_GE(*at_first_byte, before + 0.3);
  EXPECT_LE(*at_first_byte, after);
  EXPECT_GT(json_number(out, "attempts").value_or(0), 10.0) << out;
}

// Without --proxy, socks-latency and hold open plain TCP connections to the target (the tun VPN's
// flows): connect, then the 1-byte echo.
TEST_F(BenchTools, DirectOpensSkipSocks) {
  const int echo = free_tcp_port();
  Process server;
  ASSERT_TRUE(start(server, {"server", "--echo", std::to_string(echo)}));
  const ToolRun latency = run({"socks-latency", "--target", at(echo), "--count", "30", "--warmup", "2"});
  ASSERT_TRUE(latency.ok()) << latency.describe();
  EXPECT_EQ(json_number(latency.out, "opens"), 30.0) << latency.out;
  EXPECT_EQ(json_number(latency.out, "failures"), 0.0) << latency.out;
  EXPECT_GT(json_number(latency.out, "p50_ms").value_or(-1), 0.0) << latency.out;

  const std::string out_path = tmp_.file("hold-direct.out");
  Process hold;
  ASSERT_TRUE(hold.start(
      {SSHPLEX_BENCH_BINARY, "hold", "--target", at(echo), "--count", "300", "--concurrency", "300", "--timeout", "20"},
      base_env(), out_path, tmp_.file("hold-direct.err")));
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (hold.stdout_text().find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  const std::string ready = hold.stdout_text();
  EXPECT_EQ(json_number(ready, "held"), 300.0) << ready << hold.stderr_text();
  EXPECT_EQ(json_number(ready, "failures"), 0.0) << ready;
}

TEST_F(BenchTools, TimeoutAndBadArgumentsExitAsAgreed) {
  const ToolRun timeout = run({"first-byte", "--connect", at(free_tcp_port()), "--timeout", "0.3"});
  EXPECT_TRUE(timeout.result.exited && timeout.result.exit_code == 2) << timeout.describe();
  EXPECT_TRUE(timeout.out.empty());
  EXPECT_NE(timeout.err.find("timed out"), std::string::npos) << timeout.err;

  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"bulk", "--connect", "127.0.0.1:1"},
           {"bulk", "--connect", "nowhere:80", "--upload", "1"},
           {"bulk", "--connect", "127.0.0.1:0", "--upload", "1"},
           {"server"},
           {"hold", "--proxy", "127.0.0.1:1080", "--target", "127.0.0.1:7"},
           {"socks-latency", "--proxy", "127.0.0.1:1080", "--target", "127.0.0.1:7", "--count", "x"},
           {"delay-relay", "--listen", "1", "--connect", "127.0.0.1:2", "--delay-ms", "1", "--bogus", "1"},
           {"no-such-tool"}}) {
    const ToolRun r = run(bad);
    EXPECT_TRUE(r.result.exited && r.result.exit_code == 1) << bad[0] << ": " << r.describe();
    EXPECT_FALSE(r.err.empty()) << bad[0];
  }
}

// socks-latency and hold against sshplex -D in front of a real sshd, with the tool's own echo server
// as the target.
class BenchToolsSocks : public BenchTools {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    const KeyPair& user_key = cached_key(KeyType::Ed25519, "user");
    sshd_.authorize_key(user_key.public_line);
    ASSERT_TRUE(sshd_.start());
    ASSERT_TRUE(sshd_.write_known_hosts(tmp_.file("known_hosts")));
    echo_port_ = free_tcp_port();
    ASSERT_TRUE(start(echo_, {"server", "--echo", std::to_string(echo_port_)}));
    socks_port_ = free_tcp_port();
    ClientOptions options = client_options_for(sshd_.port(), tmp_.file("known_hosts"), user_key);
    options.extra_args = {"-D", at(socks_port_)};
    client_ = std::make_unique<ClientRun>(options);
    ASSERT_TRUE(client_->start());
    ASSERT_TRUE(wait_for_port(socks_port_, seconds(20))) << client_->stderr_text();
  }

  SshdServer sshd_{[] {
    SshdOptions o;
    o.log_level = "INFO";
    return o;
  }()};
  Process echo_;
  int echo_port_ = 0;
  int socks_port_ = 0;
  std::unique_ptr<ClientRun> client_;
};

TEST_F(BenchToolsSocks, SocksLatencyRecordsEveryOpen) {
  const ToolRun r = run({"socks-latency", "--proxy", at(socks_port_), "--target", at(echo_port_), "--count", "50",
                         "--warmup", "5"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(json_number(r.out, "opens"), 50.0) << r.out;
  EXPECT_EQ(json_number(r.out, "failures"), 0.0) << r.out;
  const double p50 = json_number(r.out, "p50_ms").value_or(-1);
  const double p90 = json_number(r.out, "p90_ms").value_or(-1);
  const double p99 = json_number(r.out, "p99_ms").value_or(-1);
  const double mean = json_number(r.out, "mean_ms").value_or(-1);
  const double secs = json_number(r.out, "seconds").value_or(-1);
  EXPECT_GT(p50, 0.0) << r.out;
  EXPECT_LE(p50, p90);
  EXPECT_LE(p90, p99);
  EXPECT_LT(p99, 2000.0);
  EXPECT_GT(mean, 0.0);
  // Sequential opens: the measured period holds all 50 latencies back to back.
  EXPECT_GE(secs * 1000.0, 50 * mean * 0.9) << r.out;
  EXPECT_NEAR(json_number(r.out, "opens_per_s").value_or(0), 50.0 / secs, 0.01 * 50.0 / secs);

  const ToolRun parallel = run({"socks-latency", "--proxy", at(socks_port_), "--target", at(echo_port_),
                                "--parallel", "4", "--duration", "1"});
  ASSERT_TRUE(parallel.ok()) << parallel.describe();
  EXPECT_GT(json_number(parallel.out, "opens").value_or(0), 4.0) << parallel.out;
  EXPECT_EQ(json_number(parallel.out, "failures"), 0.0) << parallel.out;
  EXPECT_GE(json_number(parallel.out, "seconds").value_or(0), 1.0) << parallel.out;
}

TEST_F(BenchToolsSocks, HoldKeepsChannelsOpenUntilStdinCloses) {
  // hold with a pipe on stdin (closing it is one of its stop signals) and stdout in a file.
  int in[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  const std::string out_path = tmp_.file("hold.out");
  const std::string err_path = tmp_.file("hold.err");
  std::vector<std::string> args = {SSHPLEX_BENCH_BINARY, "hold", "--proxy", at(socks_port_), "--target",
                                   at(echo_port_), "--count", "200", "--concurrency", "50", "--timeout", "30"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(in[0], 0);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  bool exited_early = false;
  const auto ready = wait_ready(out_path, [&] {
    int status = 0;
    exited_early = exited_early || ::waitpid(pid, &status, WNOHANG) == pid;
    return !exited_early;
  });
  const std::string out = read_file(out_path);
  EXPECT_TRUE(ready) << out << read_file(err_path);
  EXPECT_EQ(json_number(out, "held"), 200.0) << out;
  EXPECT_EQ(json_number(out, "failures"), 0.0) << out;
  EXPECT_GT(json_number(out, "seconds").value_or(0), 0.0) << out;
  // Still holding a moment later.
  std::this_thread::sleep_for(milliseconds(200));
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, WNOHANG), 0) << "hold ended by itself";

  ::close(in[1]);
  const auto deadline = std::chrono::steady_clock::now() + seconds(5);
  pid_t done = 0;
  while (done == 0 && std::chrono::steady_clock::now() < deadline) {
    done = ::waitpid(pid, &status, WNOHANG);
    if (done == 0) std::this_thread::sleep_for(milliseconds(10));
  }
  if (done == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL() << "hold did not stop on stdin EOF";
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_file(err_path);
  // Nothing printed after the ready line.
  EXPECT_EQ(read_file(out_path), out);
}

}  // namespace
