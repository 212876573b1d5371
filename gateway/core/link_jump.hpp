#pragma once
// A Link through a jump host (ProxyJump): its own SSH connection to the hop (itself reached
// directly or through the hops before it), with the hop's own host key check and authentication,
// then a direct-tcpip channel to the next host (RFC 4254 §7.2) that carries this link's bytes.
// Backpressure both ways: output waits in a bounded queue for channel window, and received bytes
// return window credit only once the owner took them.
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/auth/authenticator.hpp"
#include "gateway/core/channel_handler.hpp"
#include "gateway/core/link.hpp"
#include "gateway/core/ssh_session.hpp"
#include "gateway/net/resolver.hpp"

namespace gateway {

struct HopSettings;

class JumpLink final : public Link, private SessionDelegate, private ChannelHandler {
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
  std::size_t queued() const override { return queued_; }
  void pause_reading() override;
  void resume_reading() override;
  void established() override;
  void close(ssh::ByteView farewell) override;
  bool names_hop() const override { return true; }

  // The jump host's name as the user gave it.
  const std::string& hop_name() const;

 private:
  // SessionDelegate (the hop's connection)
  bool verify_host_key(SshSession& session, const ssh::event::HostKey& key) override;
  void on_auth_event(SshSession& session, const ssh::Event& event) override;
  void on_authenticated(SshSession& session, const std::string& method) override;
  void on_disconnected(SshSession& session, const std::string& reason, bool was_authenticated) override;
  // ChannelHandler (the direct-tcpip channel)
  void on_open_confirmed() override;
  void on_open_failed(std::uint32_t reason, const std::string& description) override;
  void on_data(ssh::Bytes data, std::uint32_t extended_type) override;
  void on_writable() override;
  void on_eof() override;
  void on_closed() override;

  // Sends queued output as the window allows; true when something went.
  bool flush();
  // Hands received bytes to the owner while not paused.
  void deliver();
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
  uv_timer_t* resume_timer_ = nullptr;   // delivers held data on a later turn after resume_reading()
  std::optional<ssh::ChannelId> channel_;
  std::deque<ssh::Bytes> out_;
  std::size_t out_offset_ = 0;  // bytes of out_.front() already sent
  std::size_t queued_ = 0;
  std::deque<ssh::Bytes> in_;  // received while paused, not yet consumed
  bool eof_ = false;           // the far end finished sending; reported once in_ is delivered
  bool open_ = false;
  bool established_ = false;
  bool paused_ = false;
  bool delivering_ = false;
  bool flushing_ = false;
  bool finished_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gateway
