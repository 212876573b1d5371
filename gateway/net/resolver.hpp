#pragma once
// Asynchronous name resolution with c-ares, driven by the libuv loop (sockets through uv_poll_t,
// c-ares timeouts through one uv_timer_t). Numeric addresses and /etc/hosts never touch the network.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <sys/socket.h>

namespace gateway::net {

struct ResolvedAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

struct ResolveResult {
  std::vector<ResolvedAddress> addresses;  // in the order c-ares returned them
  std::string error;                       // set when addresses is empty
};

class Resolver {
 public:
  using Callback = std::function<void(ResolveResult)>;

  explicit Resolver(uv_loop_t* loop);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  bool ok() const { return channel_ != nullptr; }
  const std::string& init_error() const { return init_error_; }

  // Resolves host for a TCP connection to port. The callback runs on the loop, exactly once
  // (with an error when the resolver is destroyed first).
  void resolve(const std::string& host, std::uint16_t port, Callback callback);

  // Marks every socket c-ares opens from now on (SO_MARK), so sshplex's own lookups bypass the
  // VPN's routes (the server's name must resolve while the tunnel is down). 0: no mark.
  void set_socket_mark(std::uint32_t mark);

  // Closes libuv handles; the object may be destroyed after the loop has run the close callbacks.
  void close();

 private:
  struct SocketWatch;
  struct AresCall;
  static void on_sock_state(void* data, int fd, int readable, int writable);
  static void on_poll(uv_poll_t* handle, int status, int events);
  static void on_timer(uv_timer_t* timer);
  static int on_socket_created(int fd, int type, void* data);
  void reschedule_timer();

  uv_loop_t* loop_;
  void* channel_ = nullptr;  // ares_channel, kept opaque so <ares.h> stays out of this header
  uv_timer_t* timer_ = nullptr;
  std::vector<SocketWatch*> watches_;
  std::string init_error_;
  std::uint32_t socket_mark_ = 0;
  int ares_depth_ = 0;
  bool close_pending_ = false;
};

}  // namespace gateway::net
