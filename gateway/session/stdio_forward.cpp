#include "gateway/session/stdio_forward.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "gateway/channel/stream_end.hpp"
#include "gateway/core/ssh_session.hpp"
#include "gateway/util/liveness.hpp"
#include "gateway/util/log.hpp"
#include "ssh/connection/channel_types.hpp"

namespace gateway::session {
StdioForward::StdioForward(uv_loop_t* loop, config::ForwardEndpoint target, int in, int out, Events events)
    : loop_(loop), target_(std::move(target)), in_(in), out_(out), events_(std::move(events)) {}

StdioForward::~StdioForward() {
  *alive_ = false;
  if (pump_ != nullptr) {
    pump_->set_observer(nullptr);
    pump_->abort();
  }
  for (int fd : {in_, out_}) {
    if (fd >= 0) ::close(fd);
  }
}

std::optional<config::ForwardEndpoint> StdioForward::parse(const std::string& text, std::string& error) {
  if (text.starts_with("/")) {
    config::ForwardEndpoint socket;
    socket.socket_path = text;
    return socket;
  }
  // The listening side of a dynamic forward has exactly the shape of -W: [host:]port or a path.
  const auto parsed = config::parse_forward(config::ForwardKind::dynamic, text);
  if (!parsed.spec || (!parsed.spec->listen.is_socket() && parsed.spec->listen.host.empty())) {
    error = "Bad stdio forwarding specification '" + text + "'";
    return std::nullopt;
  }
  return parsed.spec->listen;
}

std::string StdioForward::target_text() const {
  return target_.is_socket() ? target_.socket_path : target_.host + ":" + std::to_string(target_.port);
}

std::string StdioForward::describe() const {
  return "stdio forward to " + target_text() + (pump_ != nullptr ? ", open" : ", closed");
}

void StdioForward::start(ConnectionSource& source, OnDone on_done) {
  on_done_ = std::move(on_done);
  std::weak_ptr<bool> alive = alive_;
  source.acquire_for_session([this, alive](SshSession* session) {
    if (!util::still_alive(alive)) return;
    if (session == nullptr) {
      log::error("stdio forwarding failed: no connection to the server");
      if (events_.refused) events_.refused();
      if (on_done_) on_done_(255);
      return;
    }
    open_on(*session);
  });
}

void StdioForward::open_on(SshSession& session) {
  ssh_session_ = &session;
  ssh_session_alive_ = session.liveness();
  std::string error;
  auto end = StreamEnd::from_descriptors(loop_, in_, out_, -1, error);
  in_ = out_ = -1;
  if (!end) {
    log::error("stdio forwarding failed: %s", error.c_str());
    if (events_.refused) events_.refused();
    if (on_done_) on_done_(255);
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  pump_ =
      new ChannelPump(session, std::move(end), "stdio forward to " + target_text(), [this, alive](ChannelPump* done) {
        if (auto a = alive.lock(); a && *a) pump_ = nullptr;
        delete done;
      });
  pump_->set_observer(this);
  namespace ct = ssh::connection::channel_type;
  if (target_.is_socket()) {
    pump_->open(ct::kDirectStreamlocal, ct::direct_streamlocal(target_.socket_path));
  } else {
    // No socket behind stdin: the originator is made up, as ssh does ("to appease peers that
    // validate it").
    pump_->open(ct::kDirectTcpip, ct::direct_tcpip(target_.host, target_.port, "127.0.0.1", 65535));
  }
}

void StdioForward::on_open_confirmed(ChannelPump& pump) {
  if (events_.opened) events_.opened(pump.channel_id());
}

void StdioForward::on_open_failed(ChannelPump&, std::uint32_t, const std::string&) {
  // The pump has said why; this is ssh's last word on it.
  failed_ = true;
  log::error("stdio forwarding failed");
  if (events_.refused) events_.refused();
}

void StdioForward::on_finished(ChannelPump&) {
  pump_ = nullptr;
  if (!failed_ && (!util::still_alive(ssh_session_alive_) || ssh_session_->finished())) {
    log::error("stdio forward to %s: the connection was lost", target_text().c_str());
    failed_ = true;
  }
  if (on_done_) on_done_(failed_ ? 255 : 0);
}

void StdioForward::abort() {
  if (pump_ != nullptr) pump_->abort();
}

}  // namespace gateway::session
