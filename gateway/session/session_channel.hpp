#pragma once
// What every session channel does, whoever asked for it (sshplex's own foreground session, or a
// control-socket passenger): find a pooled connection with room for a session, open the channel
// with the given local end, move to another connection when the server refuses a session beyond
// its MaxSessions, send the setup in OpenSSH's order, sort the answers and keep the exit status.
// What the answers mean to the user is the subclass's.
#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/channel/channel_pump.hpp"
#include "gateway/session/foreground.hpp"
#include "gateway/session/session_setup.hpp"

namespace gateway::session {

class SessionChannel : protected ChannelObserver {
 public:
  ~SessionChannel() override;
  SessionChannel(const SessionChannel&) = delete;
  SessionChannel& operator=(const SessionChannel&) = delete;

 protected:
  SessionChannel(uv_loop_t* loop, SessionSetup setup);

  // Finds a connection and opens the session channel there with `local` as its local end.
  void open(ConnectionSource& source, std::unique_ptr<LocalEnd> local);
  // Closes the channel and the local end.
  void abort_channel();
  // A request on the open channel (window-change, break); false when it cannot be sent.
  bool request(std::string_view name, ssh::ByteView data);
  bool running() const { return pump_ != nullptr; }
  // The connection carrying the channel, or nullptr when it is gone.
  SshSession* connection() const;
  const SessionSetup& setup() const { return setup_; }
  uv_loop_t* loop() const { return loop_; }

  // ---- what the subclass decides
  // Called on each connection the channel is opened on (agent and X11 acceptors).
  virtual void attach(SshSession&) {}
  // Requests that go first (x11-req, auth-agent-req).
  virtual std::vector<ExtraRequest> extra_requests() { return {}; }
  // The pty to ask for; nullopt: none.
  virtual std::optional<PtyShape> pty_shape() { return std::nullopt; }
  virtual void on_channel_open(ChannelPump&) {}
  // No connection came, or the server refused the channel (reason and description as RFC 4254).
  virtual void on_no_channel(const std::string& why) = 0;
  virtual void on_pty_refused(ChannelPump& pump) = 0;
  // The command, shell or subsystem runs (input is released first) / was refused.
  virtual void on_started(ChannelPump&) {}
  virtual void on_not_started(ChannelPump& pump) = 0;
  virtual void on_extra_refused(ChannelPump&, const std::string&) {}
  // Channel and local end are gone; `connection_lost` when the connection died under it.
  virtual void on_ended(bool connection_lost) = 0;

  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

 private:
  void open_on(SshSession& session, std::unique_ptr<LocalEnd> local);
  // ChannelObserver
  void on_open_confirmed(ChannelPump& pump) override;
  void on_open_failed(ChannelPump& pump, std::uint32_t reason, const std::string& description) override;
  bool on_request(ChannelPump& pump, const ssh::event::ChannelRequest& request) override;
  void on_request_result(ChannelPump& pump, std::uint32_t seq, bool success) override;
  void on_finished(ChannelPump& pump) override;

  uv_loop_t* loop_;
  SessionSetup setup_;
  ConnectionSource* source_ = nullptr;
  ChannelPump* pump_ = nullptr;  // deletes itself once finished
  SshSession* session_ = nullptr;  // only while session_alive_ says it exists
  std::weak_ptr<bool> session_alive_;
  int attempts_ = 0;
};

}  // namespace gateway::session
