// Self-tests of the end-to-end harness: the echo server and the hash-checked transfer must really
// detect damaged or truncated data, and the process launcher must never leave processes behind.
// These run everywhere (no root, no sshd needed).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>
#include <vector>

#include "support/files.hpp"
#include "support/net.hpp"
#include "support/process.hpp"

namespace {

using namespace testsupport;

// Running, not merely a zombie waiting for whichever process inherited it to reap it.
bool alive(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  std::size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

TEST(EchoHarness, TcpTransferRoundTrips) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  TransferResult r = echo_transfer(echo.endpoint(), 8 * 1024 * 1024 + 17, 3);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.sent, 8u * 1024 * 1024 + 17);
  EXPECT_EQ(r.received, r.sent);
  EXPECT_EQ(r.sent_sha256, r.received_sha256);
  EXPECT_EQ(r.sent_sha256.size(), 64u);
}

TEST(EchoHarness, UnixSocketAndConcurrentConnections) {
  TempDir dir;
  EchoServer echo;
  ASSERT_TRUE(echo.start_unix(dir.file("echo.sock")));
  std::vector<TransferResult> results(6);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = echo_transfer(echo.endpoint(), 300000 + i, i); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(echo.connections_accepted(), results.size());
}

TEST(EchoHarness, DifferentSeedsGiveDifferentData) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  TransferResult a = echo_transfer(echo.endpoint(), 4096, 1);
  TransferResult b = echo_transfer(echo.endpoint(), 4096, 2);
  ASSERT_TRUE(a.ok && b.ok);
  EXPECT_NE(a.sent_sha256, b.sent_sha256);
}

// A server that echoes with one flipped bit in the 1000th byte, or closes after `cut` bytes.
class FaultyEcho {
 public:
  explicit FaultyEcho(std::size_t cut = 0) : cut_(cut) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    ::listen(fd_, 4);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FaultyEcho() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  FaultyEcho(const FaultyEcho&) = delete;
  FaultyEcho& operator=(const FaultyEcho&) = delete;
  FaultyEcho(FaultyEcho&&) = delete;
  FaultyEcho& operator=(FaultyEcho&&) = delete;
  int port() const { return port_; }

 private:
  void serve() {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    std::vector<char> buf(4096);
    std::size_t total = 0;
    for (;;) {
      ssize_t n = ::read(c, buf.data(), buf.size());
      if (n <= 0) break;
      auto un = static_cast<std::size_t>(n);
      if (total <= 1000 && total + un > 1000) buf[1000 - total] = static_cast<char>(buf[1000 - total] ^ 1);
      if (cut_ != 0 && total + un >= cut_) {
        un = cut_ - total;
        if (::write(c, buf.data(), un) < 0) break;
        break;
      }
      if (::write(c, buf.data(), un) < 0) break;
      total += un;
    }
    ::close(c);
  }

  std::size_t cut_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(EchoHarness, FlippedBitIsDetected) {
  FaultyEcho faulty;
  TransferResult r = echo_transfer(Endpoint::tcp(faulty.port()), 64 * 1024, 5, std::chrono::seconds(10));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.received, r.sent);
  EXPECT_NE(r.sent_sha256, r.received_sha256);
}

TEST(EchoHarness, TruncationIsDetected) {
  FaultyEcho faulty(5000);
  TransferResult r = echo_transfer(Endpoint::tcp(faulty.port()), 64 * 1024, 5, std::chrono::seconds(10));
  EXPECT_FALSE(r.ok);
  EXPECT_LT(r.received, 64u * 1024);
}

TEST(EchoHarness, NothingListeningFailsFast) {
  int port = free_tcp_port();
  ASSERT_GT(port, 0);
  EXPECT_FALSE(wait_for_port(port, std::chrono::milliseconds(200)));
  EXPECT_FALSE(echo_ping(Endpoint::tcp(port)));
}

TEST(ProcessHarness, ExitCodeAndOutputCaptured) {
  TempDir dir;
  ProcessResult r = run_command({"/bin/sh", "-c", "echo out; echo err >&2; exit 7"}, base_env(), dir.file("o"),
                                dir.file("e"), std::chrono::seconds(10));
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(read_file(dir.file("o")), "out\n");
  EXPECT_EQ(read_file(dir.file("e")), "err\n");
}

TEST(ProcessHarness, TimeoutKillsTheProcess) {
  TempDir dir;
  auto start = std::chrono::steady_clock::now();
  ProcessResult r = run_command({"sleep", "30"}, base_env(), "", dir.file("e"), std::chrono::milliseconds(200));
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.exited);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(ProcessHarness, StopKillsDescendantsOutsideTheGroup) {
  TempDir dir;
  pid_t leader = 0;
  pid_t escaped = 0;
  {
    Process p;
    // The grandchild moves to its own session, as sshd does with each connection.
    ASSERT_TRUE(p.start({"/bin/sh", "-c", "setsid sleep 60 & echo $! > " + dir.file("pid") + "; sleep 60"}, base_env(),
                        "", dir.file("e")));
    leader = p.pid();
    for (int i = 0; i < 200 && read_file(dir.file("pid")).empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    escaped = static_cast<pid_t>(std::stol(read_file(dir.file("pid"))));
    ASSERT_TRUE(alive(escaped));
  }
  for (int i = 0; i < 100 && alive(escaped); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(alive(leader));
  EXPECT_FALSE(alive(escaped)) << "descendant " << escaped << " survived";
}

TEST(ProcessHarness, MissingProgramReported) {
  Process p;
  EXPECT_FALSE(p.start({"/nonexistent/program"}, base_env(), "", ""));
  EXPECT_FALSE(p.error().empty());
}

}  // namespace
