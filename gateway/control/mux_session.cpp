#include "gateway/control/mux_session.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "gateway/channel/stream_end.hpp"
#include "gateway/core/ssh_session.hpp"
#include "gateway/session/agent_forward.hpp"
#include "gateway/session/escape_end.hpp"
#include "gateway/session/terminal.hpp"
#include "gateway/session/x11_forward.hpp"
#include "gateway/util/log.hpp"
#include "ssh/connection/session_requests.hpp"
#include "ssh/connection/terminal_modes.hpp"
#include "ssh/wire/writer.hpp"

namespace gateway::control {
namespace {

namespace sr = ssh::connection::session_request;

session::SessionSetup setup_for(const ssh::mux::NewSession& request) {
  // The environment as the passenger sent it (its own SendEnv and SetEnv already applied).
  std::vector<std::pair<std::string, std::string>> env;
  for (const auto& entry : request.env) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    env.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return session::SessionSetup(request.term, request.command, request.subsystem, std::move(env));
}

}  // namespace

bool escape_available_to_passenger(session::EscapeCommand command) {
  using session::EscapeCommand;
  switch (command) {
    case EscapeCommand::disconnect:
    case EscapeCommand::send_break:
    case EscapeCommand::rekey:
    case EscapeCommand::list_channels:
    case EscapeCommand::help:
      return true;
    default:
      return false;
  }
}

MuxSession::MuxSession(uv_loop_t* loop, net::Resolver& resolver, const ssh::mux::NewSession& request,
                       std::array<int, 3> fds, const config::Options& master, Replies& replies,
                       std::function<std::vector<std::string>()> status)
    : SessionChannel(loop, setup_for(request)),
      fds_(fds),
      tty_(request.want_tty),
      tty_forced_(master.request_tty == config::RequestTty::yes || master.request_tty == config::RequestTty::force),
      escape_char_(request.escape_char),
      replies_(replies),
      status_(std::move(status)) {
  if (tty_) tty_fd_ = ::fcntl(fds_[0], F_DUPFD_CLOEXEC, 3);
  err_fd_ = ::fcntl(fds_[2], F_DUPFD_CLOEXEC, 3);
  // Forwarding only as the master itself allows it, as OpenSSH's master does.
  std::string why;
  if (request.want_agent) {
    if (auto agent = session::AgentForwarding::socket_for(master, why)) {
      forwardings_.push_back(std::make_unique<session::AgentForwarding>(loop, *agent));
    }
  }
  if (request.want_x11 && master.forward_x11) {
    if (auto x11 = session::X11Forwarding::prepare(loop, resolver, master)) forwardings_.push_back(std::move(x11));
  }
}

MuxSession::~MuxSession() {
  for (int fd : {tty_fd_, err_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

void MuxSession::start(session::ConnectionSource& source) {
  std::string error;
  auto end = StreamEnd::from_descriptors(loop(), fds_[0], fds_[1], fds_[2], error);
  if (!end) {
    replies_.session_refused("bad descriptors: " + error);
    return;
  }
  std::unique_ptr<LocalEnd> local = std::move(end);
  // Escapes only with a terminal, as ssh.
  if (tty_ && escape_char_ != ssh::mux::kNoEscape && escape_char_ < 256) {
    auto escapes = std::make_unique<session::EscapeEnd>(std::move(local), static_cast<int>(escape_char_),
                                                        [this](session::EscapeCommand c) { return on_escape(c); });
    escapes_ = &escapes->filter();
    local = std::move(escapes);
  }
  open(source, std::move(local));
}

void MuxSession::attach(SshSession& session) {
  for (auto& f : forwardings_) f->attach(session);
}

std::vector<session::ExtraRequest> MuxSession::extra_requests() {
  std::vector<session::ExtraRequest> extra;
  for (auto& f : forwardings_) {
    if (auto r = f->request()) extra.push_back(std::move(*r));
  }
  return extra;
}

std::optional<session::PtyShape> MuxSession::pty_shape() {
  if (!tty_) return std::nullopt;
  // The passenger's terminal as it is now: it goes to raw mode only once the session is open.
  termios tio{};
  const bool have_modes = tty_fd_ >= 0 && ::tcgetattr(tty_fd_, &tio) == 0;
  return session::PtyShape{have_modes ? ssh::connection::terminal_modes::encode(session::modes_of(tio))
                                      : ssh::connection::terminal_modes::encode({}),
                           session::window_size(tty_fd_).value_or(sr::WindowSize{0, 0, 0, 0})};
}

void MuxSession::on_channel_open(ChannelPump& pump) {
  session_id_ = pump.channel_id();
  opened_ = true;
  replies_.session_opened(session_id_);
}

void MuxSession::on_no_channel(const std::string& why) {
  log::info("control socket passenger: %s", why.c_str());
  replies_.session_refused("Session open refused by peer");
}

void MuxSession::on_pty_refused(ChannelPump& pump) {
  say("PTY allocation request failed\r\n");
  if (tty_forced_) {
    pump.abort();
    return;
  }
  replies_.tty_failed(session_id_);
}

void MuxSession::on_not_started(ChannelPump& pump) {
  say(std::string(setup().kind()) + " request failed\r\n");
  pump.abort();
}

void MuxSession::on_extra_refused(ChannelPump&, const std::string& what) { say(what + " request failed\r\n"); }

void MuxSession::on_ended(bool connection_lost) {
  for (auto& f : forwardings_) f->close();
  if (connection_lost && !setup().exit_status()) {
    say("Connection to the server lost.\r\n");
  }
  if (!opened_) return;  // refused: answered already
  replies_.session_ended(session_id_, setup().exit_status());
}

void MuxSession::window_changed() {
  if (!tty_ || !running()) return;
  if (auto size = session::window_size(tty_fd_)) request(sr::kWindowChange, sr::window_change(*size));
}

void MuxSession::say(const std::string& text) {
  if (err_fd_ < 0) return;
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(err_fd_, text.data() + done, text.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
      return;
    }
  }
}

bool MuxSession::on_escape(session::EscapeCommand command) {
  using session::EscapeCommand;
  const session::EscapeFilter& e = *escapes_;
  const char letter = command == EscapeCommand::disconnect      ? '.'
                      : command == EscapeCommand::send_break    ? 'B'
                      : command == EscapeCommand::command_line  ? 'C'
                      : command == EscapeCommand::rekey         ? 'R'
                      : command == EscapeCommand::less_verbose  ? 'V'
                      : command == EscapeCommand::more_verbose  ? 'v'
                      : command == EscapeCommand::suspend       ? '\x1a'
                      : command == EscapeCommand::list_channels ? '#'
                                                                : '?';
  if (!escape_available_to_passenger(command)) {
    say(e.name(letter) + " escape not available to multiplexed sessions\r\n");
    return true;
  }
  switch (command) {
    case EscapeCommand::disconnect:
      // This session only: the master and its other passengers carry on.
      say(e.name('.') + "\r\n");
      abort_channel();
      return false;
    case EscapeCommand::send_break: {
      say(e.name('B') + "\r\n");
      ssh::wire::Writer w;
      w.u32(1000);  // RFC 4335: the break length in milliseconds
      request("break", w.data());
      return true;
    }
    case EscapeCommand::rekey:
      say(e.name('R') + "\r\n");
      if (SshSession* s = connection(); s != nullptr && !s->finished()) {
        s->client().request_rekey();
        s->pump();
      }
      return true;
    case EscapeCommand::list_channels: {
      std::string text = e.name('#') + "\r\nThe following connections are open:\r\n";
      if (status_) {
        for (const auto& line : status_()) text += "  " + line + "\r\n";
      }
      say(text);
      return true;
    }
    default:
      say(e.name('?') + "\r\n" + e.help(false));
      return true;
  }
}

}  // namespace gateway::control
