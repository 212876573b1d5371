#pragma once
// A session channel set up as ssh does it, for both kinds of session (sshplex's own and a control
// socket passenger's): forwarding requests (x11-req, auth-agent-req), pty-req, env, then exec,
// shell or subsystem. It sorts the answers and keeps what the server says of the end
// (exit-status, exit-signal).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/channel/channel_pump.hpp"
#include "ssh/connection/session_requests.hpp"

namespace gateway::session {

// A request sent with the setup on behalf of a forwarding (agent, X11).
struct ExtraRequest {
  std::string name;
  ssh::Bytes data;
  bool want_reply = false;
  std::string what;  // "X11 forwarding", for the failure message
};

// The terminal a pty is made like.
struct PtyShape {
  ssh::Bytes modes;  // encoded (terminal_modes.hpp)
  ssh::connection::session_request::WindowSize size;
};

class SessionSetup {
 public:
  // `command` empty: the login shell; with `subsystem`, the subsystem's name.
  SessionSetup(std::string term, std::string command, bool subsystem,
               std::vector<std::pair<std::string, std::string>> env);

  // Sends everything on the newly confirmed channel, in OpenSSH's order.
  void send(ChannelPump& pump, const std::vector<ExtraRequest>& extra, const std::optional<PtyShape>& pty);

  enum class Answer { unrelated, pty_granted, pty_refused, started, not_started, extra_refused };
  // What a reply to one of our requests means; `what` names an extra request that was refused.
  Answer answer(std::uint32_t seq, bool success, std::string& what) const;
  // exit-status / exit-signal from the server; true when understood.
  bool take(const ssh::event::ChannelRequest& request);

  const std::optional<std::uint32_t>& exit_status() const { return exit_status_; }
  // "TERM", "KILL (core dumped): message"; empty when none came.
  const std::string& exit_signal() const { return exit_signal_; }
  // "exec", "shell" or "subsystem", as ssh names a refused one.
  const char* kind() const;
  const std::string& command() const { return command_; }
  bool subsystem() const { return subsystem_; }

 private:
  std::string term_;
  std::string command_;
  bool subsystem_;
  std::vector<std::pair<std::string, std::string>> env_;
  std::optional<std::uint32_t> pty_seq_;
  std::optional<std::uint32_t> run_seq_;
  std::vector<std::pair<std::uint32_t, std::string>> extra_seqs_;
  std::optional<std::uint32_t> exit_status_;
  std::string exit_signal_;
};

}  // namespace gateway::session
