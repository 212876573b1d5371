// Loopback networking helpers for the integration fixtures: free ports, readiness polling, a
// threaded echo server (TCP or unix socket), and hash-checked bulk transfers through a forward.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

namespace testsupport {

// Where a client connects: a TCP port on 127.0.0.1, or a unix socket path.
struct Endpoint {
  int port = 0;
  std::string unix_path;

  static Endpoint tcp(int p) { return Endpoint{p, {}}; }
  static Endpoint unix_socket(std::string path) { return Endpoint{0, std::move(path)}; }
  bool is_unix() const { return !unix_path.empty(); }
  std::string describe() const;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
int free_tcp_port();
// Connects (blocking, close-on-exec); -1 on failure. A non-zero receive_timeout makes blocking
// reads give up after that long (SO_RCVTIMEO), so a test can never hang on a silent peer.
int connect_endpoint(const Endpoint& ep, std::chrono::milliseconds receive_timeout = std::chrono::milliseconds(0));
// Reads exactly n bytes; false on EOF, error or timeout.
bool recv_exact(int fd, std::uint8_t* out, std::size_t n);
// True once something accepts connections on the endpoint, false after timeout.
bool wait_for_endpoint(const Endpoint& ep, std::chrono::milliseconds timeout);
inline bool wait_for_port(int port, std::chrono::milliseconds timeout) {
  return wait_for_endpoint(Endpoint::tcp(port), timeout);
}

// Echoes every byte back on each accepted connection; many connections at once, one poll loop on a
// background thread. When a peer half-closes, the remaining data is flushed and the write side shut.
class EchoServer {
 public:
  EchoServer() = default;
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;
  EchoServer(EchoServer&&) = delete;
  EchoServer& operator=(EchoServer&&) = delete;

  bool start_tcp();                          // 127.0.0.1, ephemeral port
  bool start_unix(const std::string& path);  // creates the socket file (mode 0666)
  void stop();

  Endpoint endpoint() const { return endpoint_; }
  int port() const { return endpoint_.port; }
  std::size_t connections_accepted() const { return accepted_.load(); }

 private:
  bool launch(int listen_fd);
  void loop();

  Endpoint endpoint_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::thread thread_;
  std::atomic<std::size_t> accepted_{0};
};

struct TransferResult {
  bool ok = false;  // all bytes sent and the same bytes came back
  std::size_t sent = 0;
  std::size_t received = 0;
  std::string sent_sha256;  // hex
  std::string received_sha256;
  std::string error;  // why it failed, for the assertion message
};

// Connects to ep, writes `bytes` pseudo-random bytes (seeded) while concurrently reading the echo,
// hashes both directions with SHA-256 and compares. Stops after `bytes` bytes came back, on EOF,
// on error, or when the deadline passes. Never blocks past the timeout.
TransferResult echo_transfer(const Endpoint& ep, std::size_t bytes, std::uint64_t seed,
                             std::chrono::milliseconds timeout = std::chrono::seconds(60));

// One small round trip (a few bytes echoed) with a short timeout: "does the forward work yet".
bool echo_ping(const Endpoint& ep, std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

}  // namespace testsupport
