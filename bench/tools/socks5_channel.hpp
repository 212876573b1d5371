// One SOCKS5 channel as the load tools open it (RFC 1928): connect to the proxy, greeting offering
// only method 0 (no authentication), CONNECT to an IPv4 target, the whole reply read and checked,
// then one byte written and its echo read. After that the channel stays open (idle) until closed.
// Without a proxy the same channel is a plain TCP connection to the target (connect, then the
// 1-byte echo): a flow through the tun VPN, measured by the same code as one through SOCKS.
#pragma once

#include <netinet/in.h>
#include <uv.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "bench/tools/live_list.hpp"

namespace bench::tools {

class Socks5Channel {
 public:
  class Observer {
   public:
    // The echo came back: the channel works. The observer may close() it here.
    virtual void on_channel_ready(Socks5Channel& channel) = 0;
    // The open failed; the channel closes itself after this returns.
    virtual void on_channel_failed(Socks5Channel& channel, const char* why) = 0;
    // A ready channel was closed or reset by the proxy; it closes itself after this returns.
    virtual void on_channel_lost(Socks5Channel& channel) = 0;

   protected:
    ~Observer() = default;
  };

  // Starts an open through `proxy`, or straight to `target` when proxy is null. Returns nullptr
  // (nothing to clean up) when even the connect cannot start, with the libuv error in *error;
  // otherwise the observer hears back exactly once about the open.
  static Socks5Channel* open(uv_loop_t* loop, const sockaddr_in* proxy, const sockaddr_in& target, Observer& observer,
                             int* error);

  Socks5Channel(const Socks5Channel&) = delete;
  Socks5Channel& operator=(const Socks5Channel&) = delete;

  // Closes the socket now (no further callbacks); the object is freed once libuv is done with it.
  void close();

  std::uint64_t started_ns() const { return started_ns_; }
  bool ready() const { return state_ == State::Ready; }

  // For the owner's bookkeeping (in-flight / held lists).
  ListHook<Socks5Channel> hook;

 private:
  enum class State { Connecting, MethodChoice, Reply, Echo, Ready, Closed };

  Socks5Channel(Observer& observer, const sockaddr_in& target);
  ~Socks5Channel() = default;

  static void on_connect(uv_connect_t* req, int status);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_write_done(void* user, int status);

  void consume(const std::uint8_t* data, std::size_t len);
  // Bytes the current state still needs before it can be judged (0: complete).
  std::size_t wanted() const;
  void advance();
  void send(const std::uint8_t* data, std::size_t len);
  void fail(const char* why);

  uv_tcp_t tcp_{};
  uv_connect_t connect_{};
  Observer& observer_;
  std::uint64_t started_ns_ = 0;
  State state_ = State::Connecting;
  bool direct_ = false;  // no proxy: the echo follows the connect
  std::uint8_t request_[10] = {};
  // Longest reply: 4 header bytes, a 255-byte domain with its length byte, 2 port bytes.
  std::array<std::uint8_t, 262> in_{};
  std::uint16_t in_len_ = 0;
};

// An open still unanswered after this long counts as failed, so one stuck open cannot stall a run.
inline constexpr std::uint64_t kOpenTimeoutNs = 30'000'000'000u;

// The channels of `in_flight` whose open has waited longer than kOpenTimeoutNs at `now_ns`.
std::vector<Socks5Channel*> overdue_opens(LiveList<Socks5Channel>& in_flight, std::uint64_t now_ns);

}  // namespace bench::tools
