#include "gateway/session/remote_session.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "gateway/channel/stream_end.hpp"
#include "gateway/core/ssh_session.hpp"
#include "gateway/session/escape_end.hpp"
#include "gateway/util/liveness.hpp"
#include "gateway/util/log.hpp"
#include "ssh/connection/channel_types.hpp"
#include "ssh/connection/message_numbers.hpp"
#include "ssh/connection/session_requests.hpp"
#include "ssh/known_hosts/host_pattern.hpp"
#include "ssh/wire/writer.hpp"

extern char** environ;

namespace gateway::session {
namespace {

namespace sr = ssh::connection::session_request;
using config::RequestTty;

const char* level_name(log::Level level) {
  switch (level) {
    case log::Level::error:
      return "ERROR";
    case log::Level::info:
      return "INFO";
    case log::Level::verbose:
      return "VERBOSE";
    case log::Level::debug1:
      return "DEBUG";
    case log::Level::debug2:
      return "DEBUG2";
    case log::Level::debug3:
      return "DEBUG3";
  }
  return "INFO";
}

// A line from the controlling terminal, read as ssh's ~C does: the terminal is back in its normal
// mode meanwhile, and the rest of the program waits (the user is typing at it).
std::string read_terminal_line(const std::string& prompt) {
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return {};
  (void)!::write(fd, prompt.data(), prompt.size());
  std::string line;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n' && c != '\r') line += c;
  ::close(fd);
  return line;
}

}  // namespace

SessionSettings SessionSettings::from(const config::Options& options, const std::vector<std::string>& words) {
  SessionSettings s;
  for (const auto& w : words) s.command += (s.command.empty() ? "" : " ") + w;
  if (s.command.empty()) s.command = options.remote_command;
  s.subsystem = options.session_type == config::SessionType::subsystem;
  // ssh's rules for a pseudo-terminal (ssh(1) -t, ssh_config(5) RequestTTY).
  const RequestTty want = options.request_tty;
  bool tty = want == RequestTty::yes || want == RequestTty::force;
  if (s.command.empty()) tty = want != RequestTty::no;
  if (want == RequestTty::no || options.session_type == config::SessionType::none) tty = false;
  if ((!::isatty(STDIN_FILENO) || options.stdin_null) && want != RequestTty::force) {
    if (tty) log::info("Pseudo-terminal will not be allocated because stdin is not a terminal.");
    tty = false;
  }
  s.pty = tty;
  s.pty_forced = want == RequestTty::yes || want == RequestTty::force;
  s.stdin_null = options.stdin_null;
  s.escape_char = tty ? options.escape_char : -1;
  s.escape_command_line = options.enable_escape_commandline;
  if (const char* term = std::getenv("TERM")) s.term = term;
  // SendEnv: variables of our environment whose name matches, in the environment's order.
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = entry.substr(0, eq);
    for (const auto& pattern : options.send_env) {
      if (ssh::known_hosts::match_wildcard(pattern, name)) {
        s.env.emplace_back(name, entry.substr(eq + 1));
        break;
      }
    }
  }
  // SetEnv, in configuration order; TERM is the pty's terminal type.
  for (const auto& entry : options.set_env) {
    const auto eq = entry.find('=');
    const std::string name = entry.substr(0, eq);
    const std::string value = entry.substr(eq + 1);
    if (name == "TERM") {
      if (!value.empty()) s.term = value;
      continue;
    }
    s.env.emplace_back(name, value);
  }
  s.host = options.hostname;
  s.quiet = options.log_level == config::LogLevel::quiet;
  return s;
}

RemoteSession::RemoteSession(uv_loop_t* loop, SessionSettings settings, EscapeHooks hooks)
    : SessionChannel(loop, SessionSetup(settings.term, settings.command, settings.subsystem, settings.env)),
      settings_(std::move(settings)),
      hooks_(std::move(hooks)) {}

RemoteSession::~RemoteSession() {
  if (winch_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(winch_), [](uv_handle_t* h) { delete reinterpret_cast<uv_signal_t*>(h); });
  }
}

void RemoteSession::add_forwarding(std::unique_ptr<ChannelForwarding> forwarding) {
  forwardings_.push_back(std::move(forwarding));
}

std::string RemoteSession::describe() const {
  std::string what = settings_.subsystem         ? "subsystem " + settings_.command
                     : settings_.command.empty() ? "login shell"
                                                 : "command '" + settings_.command + "'";
  return "session: " + what + (settings_.pty ? " with a terminal" : "") + (running() ? ", running" : ", ended");
}

void RemoteSession::start(ConnectionSource& source, OnDone on_done) {
  on_done_ = std::move(on_done);
  // Duplicates: closing the session's ends must not close our own stderr (the log goes there).
  const int in = settings_.stdin_null ? ::open("/dev/null", O_RDONLY | O_CLOEXEC)
                                      : ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
  const int out = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  const int err = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  std::string error;
  auto stdio = StreamEnd::from_descriptors(loop(), in, out, err, error);
  if (!stdio) {
    log::error("cannot use the standard descriptors for the session: %s", error.c_str());
    finish(255);
    return;
  }
  std::unique_ptr<LocalEnd> local = std::move(stdio);
  if (settings_.escape_char >= 0) {
    auto escapes = std::make_unique<EscapeEnd>(std::move(local), settings_.escape_char,
                                               [this](EscapeCommand command) { return on_escape(command); });
    escapes_ = &escapes->filter();
    local = std::move(escapes);
  }
  open(source, std::move(local));
}

void RemoteSession::attach(SshSession& session) {
  for (auto& f : forwardings_) f->attach(session);
}

std::vector<ExtraRequest> RemoteSession::extra_requests() {
  std::vector<ExtraRequest> extra;
  for (auto& f : forwardings_) {
    if (auto r = f->request()) extra.push_back(std::move(*r));
  }
  return extra;
}

std::optional<PtyShape> RemoteSession::pty_shape() {
  if (!settings_.pty) return std::nullopt;
  raw_ = std::make_unique<RawMode>(STDIN_FILENO);
  if (winch_ == nullptr) {
    winch_ = new uv_signal_t;
    uv_signal_init(loop(), winch_);
    winch_->data = this;
    uv_signal_start(
        winch_, [](uv_signal_t* h, int) { static_cast<RemoteSession*>(h->data)->send_window_size(); }, SIGWINCH);
  }
  // The size is 0 x 0 and the modes empty when stdin is not a terminal (-tt on a pipe), as ssh.
  return PtyShape{raw_->saved() ? ssh::connection::terminal_modes::encode(modes_of(*raw_->saved()))
                                : ssh::connection::terminal_modes::encode({}),
                  window_size(STDIN_FILENO).value_or(sr::WindowSize{0, 0, 0, 0})};
}

void RemoteSession::on_no_channel(const std::string& why) {
  log::error("channel 0: %s", why.c_str());
}

void RemoteSession::on_pty_refused(ChannelPump& pump) {
  log::error("PTY allocation request failed on channel %u", pump.channel_id());
  if (settings_.pty_forced) {
    pump.abort();
  } else {
    raw_.reset();  // the session goes on without a terminal
  }
}

void RemoteSession::on_not_started(ChannelPump& pump) {
  log::error("%s request failed on channel %u", setup().kind(), pump.channel_id());
  pump.abort();
}

void RemoteSession::on_extra_refused(ChannelPump& pump, const std::string& what) {
  log::error("%s request failed on channel %u", what.c_str(), pump.channel_id());
}

void RemoteSession::on_ended(bool connection_lost) {
  raw_.reset();
  int status = 255;
  if (setup().exit_status()) {
    status = static_cast<int>(*setup().exit_status() & 0xff);
  } else if (!setup().exit_signal().empty()) {
    log::error("Remote command killed by signal %s", setup().exit_signal().c_str());
  } else if (connection_lost) {
    log::error("Connection to %s closed by remote host.", settings_.host.c_str());
  }
  if (settings_.pty && !settings_.quiet) log::info("Connection to %s closed.", settings_.host.c_str());
  finish(status);
}

void RemoteSession::finish(int status) {
  if (done_) return;
  done_ = true;
  for (auto& f : forwardings_) f->close();
  if (winch_ != nullptr) uv_signal_stop(winch_);
  if (on_done_) on_done_(status);
}

void RemoteSession::abort() {
  abort_channel();
  for (auto& f : forwardings_) f->close();
  raw_.reset();
}

void RemoteSession::send_window_size() {
  if (auto size = window_size(STDIN_FILENO)) request(sr::kWindowChange, sr::window_change(*size));
}

void RemoteSession::say(const std::string& text) {
  // The escape commands answer on the terminal, past any output queued for it.
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
      return;
    }
  }
}

bool RemoteSession::on_escape(EscapeCommand command) {
  const EscapeFilter& e = *escapes_;
  switch (command) {
    case EscapeCommand::disconnect:
      say(e.name('.') + "\r\n");
      abort_channel();
      return false;
    case EscapeCommand::help:
      say(e.name('?') + "\r\n" + e.help(settings_.escape_command_line));
      return true;
    case EscapeCommand::list_channels: {
      std::string text = e.name('#') + "\r\nThe following connections are open:\r\n";
      if (hooks_.status) {
        for (const auto& line : hooks_.status()) text += "  " + line + "\r\n";
      }
      say(text);
      return true;
    }
    case EscapeCommand::command_line:
      escape_command_line();
      return true;
    case EscapeCommand::send_break: {
      say(e.name('B') + "\r\n");
      // RFC 4335: the break length in milliseconds.
      ssh::wire::Writer w;
      w.u32(1000);
      request("break", w.data());
      return true;
    }
    case EscapeCommand::rekey:
      say(e.name('R') + "\r\n");
      if (SshSession* session = connection(); session != nullptr && !session->finished()) {
        session->client().request_rekey();
        session->pump();
      }
      return true;
    case EscapeCommand::less_verbose:
    case EscapeCommand::more_verbose: {
      int level = static_cast<int>(log::level());
      level += command == EscapeCommand::more_verbose ? 1 : -1;
      level = std::clamp(level, static_cast<int>(log::Level::error), static_cast<int>(log::Level::debug3));
      log::set_level(static_cast<log::Level>(level));
      say(e.name(command == EscapeCommand::more_verbose ? 'v' : 'V') + " [LogLevel " +
          level_name(static_cast<log::Level>(level)) + "]\r\n");
      return true;
    }
    case EscapeCommand::suspend:
      say(e.name('\x1a') + " [suspend sshplex]\r\n");
      if (raw_) raw_->leave();
      ::raise(SIGTSTP);
      // Resumed (fg): back to raw mode, and the terminal may have changed size meanwhile.
      if (raw_) raw_->enter();
      send_window_size();
      return true;
  }
  return true;
}

void RemoteSession::escape_command_line() {
  if (!settings_.escape_command_line) {
    say("commandline disabled\r\n");
    return;
  }
  if (raw_) raw_->leave();
  std::string line = read_terminal_line("\r\nsshplex> ");
  if (raw_) raw_->enter();
  std::size_t i = line.find_first_not_of(' ');
  if (i == std::string::npos) return;
  if (line[i] == '-') ++i;
  const std::string rest = i < line.size() ? line.substr(i) : std::string();
  auto kind_of = [](char c) -> std::optional<config::ForwardKind> {
    if (c == 'L') return config::ForwardKind::local;
    if (c == 'R') return config::ForwardKind::remote;
    if (c == 'D') return config::ForwardKind::dynamic;
    return std::nullopt;
  };
  if (rest.empty() || rest[0] == 'h' || rest[0] == 'H' || rest[0] == '?') {
    say("Commands:\r\n"
        "      -L[bind_address:]port:host:hostport    Request local forward\r\n"
        "      -R[bind_address:]port:host:hostport    Request remote forward\r\n"
        "      -D[bind_address:]port                  Request dynamic forward\r\n"
        "      -KL[bind_address:]port                 Cancel local forward\r\n"
        "      -KR[bind_address:]port                 Cancel remote forward\r\n"
        "      -KD[bind_address:]port                 Cancel dynamic forward\r\n");
    return;
  }
  const bool cancel = rest[0] == 'K';
  const std::size_t k = cancel ? 1 : 0;
  const auto kind = k < rest.size() ? kind_of(rest[k]) : std::nullopt;
  if (!kind) {
    say("Invalid command.\r\n");
    return;
  }
  std::string spec_text = rest.substr(k + 1);
  spec_text.erase(0, spec_text.find_first_not_of(' '));
  auto parsed = config::parse_forward(*kind, spec_text);
  if (cancel && !parsed.spec && *kind != config::ForwardKind::dynamic) {
    // A cancel names the listening side only; the forward is found by it.
    parsed = config::parse_forward(config::ForwardKind::dynamic, spec_text);
    if (parsed.spec) parsed.spec->kind = *kind;
  }
  if (!parsed.spec) {
    const char* what = cancel                                 ? "forwarding close"
                       : *kind == config::ForwardKind::local  ? "local forwarding"
                       : *kind == config::ForwardKind::remote ? "remote forwarding"
                                                              : "dynamic forwarding";
    say(std::string("Bad ") + what + " specification '" + spec_text + "': " + parsed.error + "\r\n");
    return;
  }
  if (cancel) {
    const bool done = hooks_.cancel_forward && hooks_.cancel_forward(*parsed.spec);
    say(done ? "Canceled forwarding.\r\n" : "Unknown port forwarding.\r\n");
    return;
  }
  std::string error;
  if (hooks_.add_forward && hooks_.add_forward(*parsed.spec, error)) {
    say("Forwarding port.\r\n");
  } else {
    say("Port forwarding failed" + (error.empty() ? std::string(".") : ": " + error) + "\r\n");
  }
}

}  // namespace gateway::session
