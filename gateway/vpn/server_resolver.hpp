#pragma once
// The resolver the server itself uses: its /etc/resolv.conf, read through an exec channel. The
// VPN's DNS goes there by default, so names only the server can resolve (its search domains, a
// split-horizon zone, a 127.0.0.53 stub) work from this side, and no query reaches our network.
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/channel/channel_pump.hpp"
#include "gateway/channel/memory_end.hpp"
#include "gateway/pool/upstream.hpp"
#include "tun/address.hpp"

namespace gateway::vpn {

inline constexpr std::uint16_t dns_port = 53;
// glibc reads at most three nameserver lines (MAXNS); so do we.
inline constexpr std::size_t max_nameservers = 3;

// The nameserver lines of a resolv.conf(5) text, in order, port 53: IPv4 or IPv6 literals;
// comments (# or ; first on a line, or after the address), other keywords and lines that do not
// parse are skipped. A link-local address with a scope ("fe80::1%eth0") is skipped: the scope
// names an interface of the server that a tun::Endpoint cannot carry.
std::vector<tun::Endpoint> parse_resolv_conf(std::string_view text);

// What glibc uses when resolv.conf names no server: the one on the machine itself.
tun::Endpoint default_server_resolver();

// Runs "cat /etc/resolv.conf" on a pooled connection once and parses the output. `done` is called
// once (not after cancel() or destruction): with the nameservers, or with the fallback
// (default_server_resolver) and the reason, which is also logged as a warning.
class ServerResolverFetch final : private ChannelObserver {
 public:
  struct Result {
    std::vector<tun::Endpoint> resolvers;  // never empty
    std::string error;                     // why the fallback is used; empty on success
  };
  using Done = std::function<void(Result)>;

  ServerResolverFetch(uv_loop_t* loop, Upstream& upstream, std::chrono::milliseconds timeout, Done done);
  ~ServerResolverFetch() override;
  ServerResolverFetch(const ServerResolverFetch&) = delete;
  ServerResolverFetch& operator=(const ServerResolverFetch&) = delete;

  void start();
  // Stops the fetch; `done` is not called.
  void cancel();

 private:
  class Wait final : public Upstream::Waiter {
   public:
    explicit Wait(ServerResolverFetch& owner) : owner_(owner) {}
    void on_session(SshSession* session) override { owner_.on_session(session); }

   private:
    ServerResolverFetch& owner_;
  };

  void on_session(SshSession* session);
  void finish(Result result);
  void fail(const std::string& why);
  void release_channel();

  // ChannelObserver
  void on_open_confirmed(ChannelPump& pump) override;
  void on_open_failed(ChannelPump& pump, std::uint32_t reason, const std::string& description) override;
  bool on_request(ChannelPump& pump, const ssh::event::ChannelRequest& request) override;
  void on_request_result(ChannelPump& pump, std::uint32_t seq, bool success) override;
  void on_finished(ChannelPump& pump) override;

  uv_loop_t* loop_;
  Upstream& upstream_;
  std::chrono::milliseconds timeout_;
  Done done_;
  Wait wait_{*this};
  bool waiting_ = false;
  uv_timer_t* timer_ = nullptr;
  ChannelPump* pump_ = nullptr;  // deletes itself once finished
  MemoryEnd* end_ = nullptr;     // the pump's
  std::string output_;
  std::optional<std::uint32_t> exec_seq_;
  std::optional<std::uint32_t> exit_status_;
  bool started_ = false;
  bool over_ = false;
};

}  // namespace gateway::vpn
