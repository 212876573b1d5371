#pragma once
// `sshplex host [command]`: a session channel on a pooled connection running the command, a login
// shell or a subsystem, as ssh does it. stdin, stdout and stderr stay separate; with a pty the
// local terminal is in raw mode, its size follows SIGWINCH and escape sequences work; the program
// exits with the remote command's status (255 when the connection or the channel fails, or the
// command dies of a signal).
#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/channel/channel_pump.hpp"
#include "gateway/config/forward_spec.hpp"
#include "gateway/config/options.hpp"
#include "gateway/session/escape.hpp"
#include "gateway/session/foreground.hpp"
#include "gateway/session/session_channel.hpp"
#include "gateway/session/session_setup.hpp"
#include "gateway/session/terminal.hpp"

namespace gateway::session {

class ChannelForwarding;

struct SessionSettings {
  // What runs: a command (empty: the login shell), or a subsystem named by `command`.
  std::string command;
  bool subsystem = false;
  bool pty = false;                  // pty-req is sent (ssh's tty_flag)
  bool pty_forced = false;           // -t / -tt / RequestTTY yes: a refused pty ends the session
  bool stdin_null = false;           // stdin from /dev/null (-n, -f)
  int escape_char = -1;              // active with a pty only; -1 none
  bool escape_command_line = false;  // EnableEscapeCommandline
  std::string term;                  // TERM for pty-req (SetEnv TERM=, else the environment)
  // SendEnv matches (from the environment) then SetEnv, as ssh sends them.
  std::vector<std::pair<std::string, std::string>> env;
  std::string host;    // for "Connection to HOST closed."
  bool quiet = false;  // LogLevel QUIET: no closing message

  // ssh's rules (RequestTTY, SessionType, a command or not, whether stdin is a terminal) applied
  // to the options and the command line's command words. Logs, as ssh, when a requested
  // terminal cannot be had because stdin is not one.
  static SessionSettings from(const config::Options& options, const std::vector<std::string>& command_words);
};

// What escape commands (~# ~C ~V ~v) reach beyond the session.
struct EscapeHooks {
  std::function<std::vector<std::string>()> status;
  std::function<bool(const config::ForwardSpec& spec, std::string& error)> add_forward;
  std::function<bool(const config::ForwardSpec& spec)> cancel_forward;
};

class RemoteSession final : public Foreground, private SessionChannel {
 public:
  RemoteSession(uv_loop_t* loop, SessionSettings settings, EscapeHooks hooks);
  ~RemoteSession() override;

  // Agent and X11 forwarding ride on the session: their requests go with it and the server's
  // channels for them are accepted on its connection. Set before start().
  void add_forwarding(std::unique_ptr<ChannelForwarding> forwarding);

  void start(ConnectionSource& source, OnDone on_done) override;
  void abort() override;
  std::string describe() const override;

 private:
  // SessionChannel
  void attach(SshSession& session) override;
  std::vector<ExtraRequest> extra_requests() override;
  std::optional<PtyShape> pty_shape() override;
  void on_no_channel(const std::string& why) override;
  void on_pty_refused(ChannelPump& pump) override;
  void on_not_started(ChannelPump& pump) override;
  void on_extra_refused(ChannelPump& pump, const std::string& what) override;
  void on_ended(bool connection_lost) override;

  bool on_escape(EscapeCommand command);
  void escape_command_line();
  void send_window_size();
  void say(const std::string& text);  // to the local stderr, as the escape commands answer
  void finish(int status);

  SessionSettings settings_;
  EscapeHooks hooks_;
  std::vector<std::unique_ptr<ChannelForwarding>> forwardings_;
  OnDone on_done_;
  const EscapeFilter* escapes_ = nullptr;
  std::unique_ptr<RawMode> raw_;
  uv_signal_t* winch_ = nullptr;
  bool done_ = false;
};

// Something the session asks the server to forward back (agent, X11): a channel request sent with
// the session's setup, and an acceptor for the channels of that type on its connection.
class ChannelForwarding {
 public:
  virtual ~ChannelForwarding() = default;
  // Registers the acceptor on the connection carrying the session.
  virtual void attach(SshSession& session) = 0;
  // The request sent on the session channel; nullopt when none (or it could not be set up).
  using Request = ExtraRequest;
  virtual std::optional<Request> request() = 0;
  // Closes every forwarded channel.
  virtual void close() = 0;
};

}  // namespace gateway::session
