#pragma once
// -W host:port: stdin and stdout joined to a direct-tcpip (or direct-streamlocal) channel on the
// pool, as ssh's stdio forward. `ProxyCommand sshplex -W %h:%p jump` in ssh_config gives stock
// ssh, scp and git a shared, self-healing jump connection.
#include <uv.h>

#include <functional>
#include <string>

#include "gateway/channel/channel_pump.hpp"
#include "gateway/config/forward_spec.hpp"
#include "gateway/session/foreground.hpp"

namespace gateway::session {

class StdioForward final : public Foreground, private ChannelObserver {
 public:
  // For a control-socket passenger (mux NEW_STDIO_FWD): told when the channel is open or refused.
  struct Events {
    std::function<void(std::uint32_t channel)> opened;
    std::function<void()> refused;
  };
  // Joins `in` and `out` (taken over) to the target.
  StdioForward(uv_loop_t* loop, config::ForwardEndpoint target, int in, int out, Events events = {});
  ~StdioForward() override;
  StdioForward(const StdioForward&) = delete;
  StdioForward& operator=(const StdioForward&) = delete;

  // "host:port" or a socket path, as ssh -W takes it; nullopt with `error` otherwise.
  static std::optional<config::ForwardEndpoint> parse(const std::string& text, std::string& error);

  void start(ConnectionSource& source, OnDone on_done) override;
  void abort() override;
  std::string describe() const override;

 private:
  void open_on(SshSession& session);
  void on_open_confirmed(ChannelPump& pump) override;
  void on_open_failed(ChannelPump& pump, std::uint32_t reason, const std::string& description) override;
  void on_finished(ChannelPump& pump) override;
  std::string target_text() const;

  uv_loop_t* loop_;
  config::ForwardEndpoint target_;
  int in_;   // until handed to the channel's local end
  int out_;
  Events events_;
  OnDone on_done_;
  SshSession* ssh_session_ = nullptr;  // only while ssh_session_alive_ says it exists
  std::weak_ptr<bool> ssh_session_alive_;
  ChannelPump* pump_ = nullptr;  // deletes itself once finished
  bool failed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gateway::session
