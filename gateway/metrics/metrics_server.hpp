#pragma once
// The Prometheus endpoint (MetricsListen): libmicrohttpd without a thread of its own, driven from
// the libuv loop. Its epoll descriptor is watched with a uv_poll handle and its timeouts with a
// uv_timer, and MHD_run() runs after each, so the page is rendered on the loop thread and the
// counters it reads need no locks.
//
// What a client can make us hold is bounded: kMaxConnections at once (kMaxConnectionsPerAddress
// from one address), kConnectionMemory per connection (a longer request line or header gets
// 431/414 and the connection closes), kConnectionTimeoutSeconds of idleness. Only GET and HEAD of
// /metrics are served: other paths get 404, other methods 405, a request with a body 413.
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

struct MHD_Daemon;
struct MHD_Connection;

namespace gateway::metrics {

inline constexpr unsigned kMaxConnections = 16;
inline constexpr unsigned kMaxConnectionsPerAddress = 8;
inline constexpr std::size_t kConnectionMemory = 16 * 1024;
inline constexpr unsigned kConnectionTimeoutSeconds = 5;

class MetricsServer {
 public:
  // `render` makes the page (text exposition format); it runs on the loop thread for each scrape.
  MetricsServer(uv_loop_t* loop, std::function<std::string()> render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds a numeric IPv4 or IPv6 address; false with `error` saying what failed.
  bool start(const std::string& address, std::uint16_t port, std::string& error);
  // Closes every connection and the listening socket now. Idempotent.
  void stop();
  std::uint16_t bound_port() const { return bound_port_; }
  // "127.0.0.1:9100", "[::1]:9100"
  std::string describe() const;

 private:
  friend struct ServerCallbacks;  // libmicrohttpd's and libuv's C callbacks
  // Lets MHD do what its descriptors are ready for, then waits for its next deadline.
  void run();

  uv_loop_t* loop_;
  std::function<std::string()> render_;
  MHD_Daemon* daemon_ = nullptr;
  uv_poll_t* poll_ = nullptr;    // MHD's epoll descriptor; freed in its close callback
  uv_timer_t* timer_ = nullptr;  // MHD's next timeout; freed in its close callback
  std::string address_;
  std::uint16_t bound_port_ = 0;
};

}  // namespace gateway::metrics
