#pragma once
// A Link through a jump host (ProxyJump): its own SSH connection to the hop (itself reached
// directly or through the hops before it), with the hop's own host key check and authentication,
// then a direct-tcpip channel to the next host (RFC 4254 §7.2) that carries this link's bytes. The
// channel is moved by a ChannelPump like any other; this link's owner is its local end, with
// backpressure both ways (output waits in the pump for channel window, and received bytes return
// window credit only once the owner took them).
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/auth/authenticator.hpp"
#include "gateway/channel/channel_pump.hpp"
#include "gateway/core/link.hpp"
#include "gateway/core/ssh_session.hpp"
#include "gateway/net/resolver.hpp"

namespace gateway {

struct HopSettings;

// Routes `target` through ProxyJump hops in order (the first is reached directly); each next hop,
// and finally the target, is reached through a direct-tcpip channel of the previous hop's
// connection. No hops: the target is left as it is (TCP).
void route_through(SessionTarget& target, std::vector<std::shared_ptr<const HopSettings>> hops);

class JumpLink final : public Link, private SessionDelegate, private ChannelObserver {
 public:
  // `hop` is the jump host; `before` the hops that lead to it (empty: reached over TCP);
  // host:port is where the channel goes. `connect_timeout` bounds the channel open and banner.
  JumpLink(uv_loop_t* loop, net::Resolver& resolver, std::shared_ptr<const HopSettings> hop,
           std::vector<std::shared_ptr<const HopSettings>> before, std::string host, std::uint16_t port,
           std::chrono::milliseconds connect_timeout, LinkObserver& observer);
  ~JumpLink() override;
  JumpLink(const JumpLink&) = delete;
  JumpLink& operator=(const JumpLink&) = delete;

  void start() override;
  bool write(ssh::Bytes bytes, std::string& error) override;
  std::size_t queued() const override;
  void pause_reading() override;
  void resume_reading() override;
  void established() override;
  void close(ssh::ByteView farewell) override;
  bool names_hop() const override { return true; }

  // The jump host's name as the user gave it.
  const std::string& hop_name() const;

 private:
  class Bridge;
  friend class Bridge;

  // SessionDelegate (the hop's connection)
  bool verify_host_key(SshSession& session, const ssh::event::HostKey& key) override;
  void on_auth_event(SshSession& session, const ssh::Event& event) override;
  void on_authenticated(SshSession& session, const std::string& method) override;
  void on_disconnected(SshSession& session, const std::string& reason, bool was_authenticated) override;
  // ChannelObserver (the direct-tcpip channel)
  void on_open_confirmed(ChannelPump& pump) override;
  void on_open_failed(ChannelPump& pump, std::uint32_t reason, const std::string& description) override;
  void on_finished(ChannelPump& pump) override;

  // The channel ended (EOF or close) while the hop's connection lives on.
  void on_channel_ended();
  void on_timeout();
  void fail(const std::string& why);
  // "jump host NAME: " and what failed on the way to host:port.
  std::string where() const;
  std::string target_text() const;

  uv_loop_t* loop_;
  net::Resolver& resolver_;
  std::shared_ptr<const HopSettings> hop_;
  std::vector<std::shared_ptr<const HopSettings>> before_;
  std::string host_;
  std::uint16_t port_;
  std::chrono::milliseconds connect_timeout_;
  LinkObserver& observer_;
  // Destroyed on a later loop turn: this link may go away inside one of their callbacks.
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<SshSession> session_;
  uv_timer_t* timeout_timer_ = nullptr;  // ConnectTimeout: reaching host:port and its banner
  ChannelPump* pump_ = nullptr;          // deletes itself when finished
  Bridge* bridge_ = nullptr;             // the pump's local end (owned by the pump)
  bool paused_ = false;
  bool open_ = false;
  bool established_ = false;
  bool finished_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gateway
