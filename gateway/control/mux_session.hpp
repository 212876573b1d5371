#pragma once
// A control-socket passenger's session (mux NEW_SESSION): a session channel on the pool whose local
// end is the passenger's own stdin, stdout and stderr, passed over the socket. It is set up in
// OpenSSH's order with the passenger's terminal (modes and size read from its stdin), TERM,
// command and environment; agent and X11 forwarding as the master's settings allow. The passenger
// hears SESSION_OPENED once the channel is open, TTY_ALLOC_FAIL, and EXIT_MESSAGE with the remote
// status; a passenger whose connection dies gets EOF and exits 255 as with ssh.
#include <uv.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "gateway/config/options.hpp"
#include "gateway/net/resolver.hpp"
#include "gateway/session/escape.hpp"
#include "gateway/session/remote_session.hpp"
#include "gateway/session/session_channel.hpp"
#include "ssh/mux/mux_messages.hpp"

namespace gateway::control {

class MuxSession final : private session::SessionChannel {
 public:
  class Replies {
   public:
    virtual void session_opened(std::uint32_t session_id) = 0;
    virtual void session_refused(const std::string& reason) = 0;
    virtual void tty_failed(std::uint32_t session_id) = 0;
    // The channel and the passenger's descriptors are gone; `status` when the server sent one.
    virtual void session_ended(std::uint32_t session_id, std::optional<std::uint32_t> status) = 0;

   protected:
    ~Replies() = default;
  };

  // Takes over the three descriptors. `master` are sshplex's own options (agent and X11 forwarding
  // only as they allow); `status` lists the open connections for ~#.
  MuxSession(uv_loop_t* loop, net::Resolver& resolver, const ssh::mux::NewSession& request, std::array<int, 3> fds,
             const config::Options& master, Replies& replies, std::function<std::vector<std::string>()> status);
  ~MuxSession() override;

  void start(session::ConnectionSource& source);
  // The passenger went away: close the channel.
  void abort() { abort_channel(); }
  // SIGWINCH from a passenger (it knows the master's pid): the terminal's size to the server.
  void window_changed();
  bool has_tty() const { return tty_; }

 private:
  // SessionChannel
  void attach(SshSession& session) override;
  std::vector<session::ExtraRequest> extra_requests() override;
  std::optional<session::PtyShape> pty_shape() override;
  void on_channel_open(ChannelPump& pump) override;
  void on_no_channel(const std::string& why) override;
  void on_pty_refused(ChannelPump& pump) override;
  void on_not_started(ChannelPump& pump) override;
  void on_extra_refused(ChannelPump& pump, const std::string& what) override;
  void on_ended(bool connection_lost) override;

  bool on_escape(session::EscapeCommand command);
  void say(const std::string& text);  // to the passenger's stderr

  std::array<int, 3> fds_;
  int tty_fd_ = -1;  // a duplicate of the passenger's stdin, for its terminal's modes and size
  int err_fd_ = -1;  // a duplicate of its stderr, for escape answers
  bool tty_;
  bool tty_forced_;  // the master's RequestTTY yes/force: a refused pty ends the session
  std::uint32_t escape_char_;
  Replies& replies_;
  std::function<std::vector<std::string>()> status_;
  std::vector<std::unique_ptr<session::ChannelForwarding>> forwardings_;
  const session::EscapeFilter* escapes_ = nullptr;
  std::uint32_t session_id_ = 0;
  bool opened_ = false;
};

// The master's side of the passenger's escape sequences is not all of ssh's: these are answered
// "not available to multiplexed sessions".
bool escape_available_to_passenger(session::EscapeCommand command);

}  // namespace gateway::control
