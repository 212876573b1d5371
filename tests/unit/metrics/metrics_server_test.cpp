// The endpoint in-process on a real libuv loop and a real socket: served, refused, bounded, and
// closed without a descriptor or handle left behind.
#include "gateway/metrics/metrics_server.hpp"

#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace {

using gateway::metrics::MetricsServer;

std::size_t open_fds() {
  std::size_t n = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  while (const dirent* e = ::readdir(dir)) n += e->d_name[0] != '.';
  ::closedir(dir);
  return n;
}

std::string exchange(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return "<connect failed>";
  }
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return reply;
}

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override { uv_loop_init(&loop_); }
  void TearDown() override {
    uv_run(&loop_, UV_RUN_DEFAULT);  // close callbacks
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left open";
  }
  // Runs the loop until a client thread got its reply.
  std::string ask(int port, const std::string& request) {
    std::string reply;
    std::atomic<bool> done{false};
    std::thread client([&] {
      reply = exchange(port, request);
      done = true;
    });
    while (!done) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    client.join();
    return reply;
  }
  uv_loop_t loop_{};
};

TEST_F(MetricsServerTest, ServesGetAndHeadOfMetricsOnly) {
  const std::size_t fds_before = open_fds();
  int renders = 0;
  {
    MetricsServer server(&loop_, [&] {
      ++renders;
      return std::string("x_up 1\n");
    });
    std::string error;
    ASSERT_TRUE(server.start("127.0.0.1", 0, error)) << error;
    const int port = server.bound_port();
    ASSERT_GT(port, 0);
    EXPECT_EQ(server.describe(), "127.0.0.1:" + std::to_string(port));

    const std::string get = ask(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(get.starts_with("HTTP/1.1 200")) << get;
    EXPECT_NE(get.find("Content-Type: text/plain; version=0.0.4; charset=utf-8"), std::string::npos) << get;
    EXPECT_TRUE(get.ends_with("\r\n\r\nx_up 1\n")) << get;
    const std::string head = ask(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(head.starts_with("HTTP/1.1 200")) << head;
    EXPECT_EQ(head.find("x_up"), std::string::npos);
    EXPECT_TRUE(ask(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").starts_with("HTTP/1.1 404"));
    const std::string del = ask(port, "DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(del.starts_with("HTTP/1.1 405")) << del;
    EXPECT_NE(del.find("Allow: GET, HEAD"), std::string::npos) << del;
    const std::string body = ask(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    EXPECT_TRUE(body.starts_with("HTTP/1.1 413")) << body;
    // Malformed requests: an error status or a close, never the page.
    for (const char* bad : {"NONSENSE\r\n\r\n", "GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n",
                            "GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n", "\x01\x02 \xff\r\n\r\n"}) {
      const std::string reply = ask(port, bad);
      EXPECT_TRUE(reply.empty() || reply.starts_with("HTTP/1.1 4") || reply.starts_with("HTTP/1.1 5"))
          << bad << " -> [" << reply << "]";
    }
    const std::string huge =
        ask(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nX: " + std::string(64 * 1024, 'a') + "\r\n\r\n");
    EXPECT_TRUE(huge.empty() || huge.starts_with("HTTP/1.1 4")) << huge.substr(0, 100);
    EXPECT_EQ(renders, 2) << "only GET and HEAD of /metrics render the page";
  }
  EXPECT_EQ(open_fds(), fds_before) << "listening socket, epoll or a connection left open";
}

TEST_F(MetricsServerTest, APortInUseIsAClearError) {
  MetricsServer first(&loop_, [] { return std::string(); });
  std::string error;
  ASSERT_TRUE(first.start("127.0.0.1", 0, error)) << error;
  const std::size_t fds_before = open_fds();
  MetricsServer second(&loop_, [] { return std::string(); });
  EXPECT_FALSE(second.start("127.0.0.1", first.bound_port(), error));
  EXPECT_EQ(error, "cannot listen for metrics on 127.0.0.1:" + std::to_string(first.bound_port()) +
                       ": Address already in use");
  EXPECT_EQ(open_fds(), fds_before);
  first.stop();
  first.stop();  // idempotent
}

}  // namespace
