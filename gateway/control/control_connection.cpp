#include "gateway/control/control_connection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "gateway/auth/prompt.hpp"
#include "gateway/util/liveness.hpp"
#include "gateway/util/log.hpp"

namespace gateway::control {
namespace {

namespace mux = ssh::mux;

// One read's worth of bytes, and room for the descriptors it may carry.
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxFdsPerRead = 16;

std::string describe_forward(const config::ForwardSpec& spec) {
  const char* kind = spec.kind == config::ForwardKind::local    ? "local"
                     : spec.kind == config::ForwardKind::remote ? "remote"
                                                                : "dynamic";
  return std::string(kind) + " forward " + config::to_string(spec);
}

}  // namespace

std::optional<config::ForwardSpec> forward_spec_of(const mux::Forward& request, std::string& error) {
  config::ForwardSpec spec;
  switch (request.kind) {
    case mux::kForwardLocal: spec.kind = config::ForwardKind::local; break;
    case mux::kForwardRemote: spec.kind = config::ForwardKind::remote; break;
    case mux::kForwardDynamic: spec.kind = config::ForwardKind::dynamic; break;
    default:
      error = "Invalid forwarding request";
      return std::nullopt;
  }
  if (request.listen_port == mux::kPortStreamlocal) {
    if (request.listen_host.empty() || spec.kind == config::ForwardKind::dynamic) {
      error = "Invalid forwarding request";
      return std::nullopt;
    }
    spec.listen.socket_path = request.listen_host;
  } else {
    spec.listen.host = request.listen_host;
    spec.listen.port = static_cast<std::uint16_t>(request.listen_port);
  }
  // A remote forward to "socks" on port 0 (or no target) is served as SOCKS by us, as ssh -R port.
  const bool no_target = spec.kind == config::ForwardKind::dynamic ||
                         (spec.kind == config::ForwardKind::remote && request.connect_port == 0 &&
                          (request.connect_host.empty() || request.connect_host == "socks"));
  if (!no_target) {
    config::ForwardEndpoint target;
    if (request.connect_port == mux::kPortStreamlocal) {
      target.socket_path = request.connect_host;
    } else {
      target.host = request.connect_host;
      target.port = static_cast<std::uint16_t>(request.connect_port);
    }
    if ((target.socket_path.empty() && (target.host.empty() || target.port == 0))) {
      error = "Invalid forwarding request";
      return std::nullopt;
    }
    spec.target = target;
  }
  return spec;
}

mux::Forward mux_forward_of(const config::ForwardSpec& spec, bool open, std::uint32_t rid) {
  mux::Forward f;
  f.open = open;
  f.rid = rid;
  f.kind = spec.kind == config::ForwardKind::local    ? mux::kForwardLocal
           : spec.kind == config::ForwardKind::remote ? mux::kForwardRemote
                                                      : mux::kForwardDynamic;
  if (spec.listen.is_socket()) {
    f.listen_host = spec.listen.socket_path;
    f.listen_port = mux::kPortStreamlocal;
  } else {
    f.listen_host = spec.listen.host;
    f.listen_port = spec.listen.port;
  }
  if (spec.target) {
    if (spec.target->is_socket()) {
      f.connect_host = spec.target->socket_path;
      f.connect_port = mux::kPortStreamlocal;
    } else {
      f.connect_host = spec.target->host;
      f.connect_port = spec.target->port;
    }
  } else if (spec.kind == config::ForwardKind::remote) {
    f.connect_host = "socks";
  }
  return f;
}

ControlConnection::ControlConnection(ControlHost& host, int fd, Settings settings, OnClosed on_closed)
    : host_(host), fd_(fd), settings_(std::move(settings)), on_closed_(std::move(on_closed)) {
  poll_ = new uv_poll_t;
  uv_poll_init(host_.loop(), poll_, fd_);
  poll_->data = this;
  // The master speaks first, as OpenSSH's does; its "info" extension is understood by 10.3+ clients
  // and ignored by older ones; "status@sshplex.org" tells sshplex -O status it talks to sshplex.
  send(mux::encode(mux::Hello{mux::kVersion, {{"info", "0"}, {"status@sshplex.org", "0"}}}));
  update_poll();
}

ControlConnection::~ControlConnection() {
  *alive_ = false;
  for (int fd : received_fds_) ::close(fd);
  if (awaiting_) {
    for (int fd : awaiting_->fds) ::close(fd);
  }
}

void ControlConnection::update_poll() {
  if (closing_) return;
  int events = UV_READABLE;
  if (!out_.empty()) events |= UV_WRITABLE;
  uv_poll_start(poll_, events, [](uv_poll_t* p, int status, int ev) {
    static_cast<ControlConnection*>(p->data)->on_poll(status, ev);
  });
}

void ControlConnection::on_poll(int status, int events) {
  if (closing_) return;
  if (status < 0) {
    close();
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  if ((events & UV_WRITABLE) != 0) write_some();
  if (!util::still_alive(alive) || closing_) return;
  if ((events & UV_READABLE) != 0) read_some();
}

void ControlConnection::read_some() {
  std::array<char, kReadChunk> buffer;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerRead)];
  iovec iov{buffer.data(), buffer.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(fd_, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    log::debug("control socket client: read: %s", std::strerror(errno));
    close();
    return;
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      received_fds_.push_back(fd);
    }
  }
  if ((msg.msg_flags & MSG_CTRUNC) != 0) {
    log::error("control socket client: too many descriptors at once");
    close();
    return;
  }
  if (n == 0) {
    // The passenger is gone: its session goes with it.
    log::debug("control socket client closed the connection");
    close();
    return;
  }
  decoder_.feed(ssh::ByteView(reinterpret_cast<const std::uint8_t*>(buffer.data()), static_cast<std::size_t>(n)));
  process();
}

void ControlConnection::process() {
  std::weak_ptr<bool> alive = alive_;
  while (!closing_) {
    if (awaiting_) {
      // Each descriptor came with a one-byte message: skip its byte as it is taken.
      while (awaiting_->fds.size() < awaiting_->count && decoder_.skip(1) == 1) {
        if (received_fds_.empty()) {
          log::error("control socket client: a descriptor was announced but not passed");
          close();
          return;
        }
        awaiting_->fds.push_back(received_fds_.front());
        received_fds_.pop_front();
      }
      if (awaiting_->fds.size() < awaiting_->count) return;  // the rest has not arrived yet
      Awaiting done = std::move(*awaiting_);
      awaiting_.reset();
      done.then(std::move(done.fds));
      if (!util::still_alive(alive)) return;
      continue;
    }
    auto frame = decoder_.next();
    if (frame.status == ssh::wire::FrameDecoder::Status::need_more) break;
    if (frame.status == ssh::wire::FrameDecoder::Status::error) {
      log::info("control socket client: %s", frame.error.c_str());
      close();
      return;
    }
    if (proxy_) {
      proxy_->from_client(frame.body);
      if (!util::still_alive(alive)) return;
      continue;
    }
    std::string error;
    auto message = mux::parse_client(frame.body, error);
    if (!message) {
      // As OpenSSH: a malformed request ends the connection, without a reply.
      log::info("control socket client: %s", error.c_str());
      close();
      return;
    }
    handle(*message);
    if (!util::still_alive(alive)) return;
  }
  // Descriptors nobody announced are not kept.
  if (!awaiting_) {
    while (!received_fds_.empty()) {
      ::close(received_fds_.front());
      received_fds_.pop_front();
    }
  }
}

bool ControlConnection::allowed(const std::string& question) {
  if (!settings_.ask) return true;
  const bool yes = auth::confirm(question);
  if (!yes) log::info("control socket: refused by the user: %s", question.c_str());
  return yes;
}

void ControlConnection::await_descriptors(std::size_t count, std::function<void(std::vector<int>)> then) {
  awaiting_ = Awaiting{count, {}, std::move(then)};
}

void ControlConnection::handle(const mux::ClientMessage& message) {
  if (const auto* hello = std::get_if<mux::Hello>(&message)) {
    if (hello_seen_ || hello->version != mux::kVersion) {
      log::info("control socket client: unsupported multiplexing protocol version %u", hello->version);
      close();
      return;
    }
    hello_seen_ = true;  // its extensions are ignored, as OpenSSH's master ignores them
    return;
  }
  if (!hello_seen_) {
    log::info("control socket client: expected HELLO");
    close();
    return;
  }
  const std::string host_name = host_.options().host;
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, mux::NewSession>) {
          const mux::NewSession request = m;
          await_descriptors(3, [this, request, host_name](std::vector<int> fds) {
            if (has_child_) {
              for (int fd : fds) ::close(fd);
              send(mux::encode(mux::Refused{mux::type::kFailure, request.rid, "Multiple sessions not supported"}));
              return;
            }
            if (!allowed("Allow shared connection to " + host_name + "? ")) {
              for (int fd : fds) ::close(fd);
              send(mux::encode(mux::Refused{mux::type::kPermissionDenied, request.rid, "Permission denied"}));
              return;
            }
            has_child_ = true;
            child_rid_ = request.rid;
            if (settings_.passengers) settings_.passengers(1);
            session_ = std::make_unique<MuxSession>(host_.loop(), host_.resolver(), request,
                                                    std::array<int, 3>{fds[0], fds[1], fds[2]}, host_.options(),
                                                    static_cast<MuxSession::Replies&>(*this),
                                                    [this] { return host_.status_lines(); });
            session_->start(host_.connections());
          });
        } else if constexpr (std::is_same_v<T, mux::NewStdioForward>) {
          const mux::NewStdioForward request = m;
          await_descriptors(2, [this, request](std::vector<int> fds) {
            config::ForwardEndpoint target;
            if (request.port == mux::kPortStreamlocal) {
              target.socket_path = request.host;
            } else {
              target.host = request.host;
              target.port = static_cast<std::uint16_t>(request.port);
            }
            const std::string where = target.is_socket() ? "path " + target.socket_path
                                                         : "[" + target.host + "]:" + std::to_string(target.port);
            if (has_child_ || !allowed("Allow forward to " + where + "? ")) {
              for (int fd : fds) ::close(fd);
              send(mux::encode(mux::Refused{has_child_ ? mux::type::kFailure : mux::type::kPermissionDenied,
                                            request.rid,
                                            has_child_ ? "Multiple sessions not supported" : "Permission denied"}));
              return;
            }
            has_child_ = true;
            child_rid_ = request.rid;
            if (settings_.passengers) settings_.passengers(1);
            session::StdioForward::Events events;
            events.opened = [this](std::uint32_t channel) {
              send(mux::encode(mux::SessionOpened{child_rid_, channel}));
            };
            events.refused = [this] {
              send(mux::encode(mux::Refused{mux::type::kFailure, child_rid_, "Session open refused by peer"}));
            };
            stdio_ = std::make_unique<session::StdioForward>(host_.loop(), target, fds[0], fds[1], std::move(events));
            std::weak_ptr<bool> alive = alive_;
            stdio_->start(host_.connections(), [this, alive](int) {
              if (util::still_alive(alive)) close_when_flushed();
            });
          });
        } else if constexpr (std::is_same_v<T, mux::Plain>) {
          switch (m.type) {
            case mux::type::kAliveCheck:
              send(mux::encode(mux::Alive{m.rid, static_cast<std::uint32_t>(::getpid())}));
              return;
            case mux::type::kTerminate:
              if (!allowed("Terminate shared connection to " + host_name + "? ")) {
                send(mux::encode(mux::Refused{mux::type::kPermissionDenied, m.rid, "Permission denied"}));
                return;
              }
              send(mux::encode(mux::Ok{m.rid}));
              host_.terminate();
              return;
            case mux::type::kProxy:
              handle_proxy(m.rid);
              return;
            case mux::type::kStopListening:
              if (!allowed("Disable further multiplexing on shared connection to " + host_name + "? ")) {
                send(mux::encode(mux::Refused{mux::type::kPermissionDenied, m.rid, "Permission denied"}));
                return;
              }
              if (settings_.stop_listening) settings_.stop_listening();
              send(mux::encode(mux::Ok{m.rid}));
              return;
            default:
              send(mux::encode(mux::Refused{mux::type::kFailure, m.rid, "unsupported request"}));
              return;
          }
        } else if constexpr (std::is_same_v<T, mux::Forward>) {
          handle_forward(m);
        } else if constexpr (std::is_same_v<T, mux::ExtInfo>) {
          handle_ext_info(m);
        } else if constexpr (std::is_same_v<T, mux::Unknown>) {
          // Kept open: a newer client may ask what we do not know.
          send(mux::encode(mux::Refused{mux::type::kFailure, m.rid, "unsupported request"}));
        }
      },
      message);
}

void ControlConnection::handle_forward(const mux::Forward& request) {
  std::string error;
  const auto spec = forward_spec_of(request, error);
  if (!spec) {
    send(mux::encode(mux::Refused{mux::type::kFailure, request.rid, error}));
    return;
  }
  const std::uint32_t rid = request.rid;
  if (!request.open) {
    if (host_.close_forward(*spec, error)) {
      send(mux::encode(mux::Ok{rid}));
    } else {
      send(mux::encode(mux::Refused{mux::type::kFailure, rid, error.empty() ? "port not forwarded" : error}));
    }
    return;
  }
  if (!allowed("Open " + describe_forward(*spec) + " on " + host_.options().host + "? ")) {
    send(mux::encode(mux::Refused{mux::type::kPermissionDenied, rid, "Permission denied"}));
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  host_.open_forward(*spec, [this, alive, rid](const std::string& why, std::optional<std::uint32_t> port) {
    if (!util::still_alive(alive)) return;
    if (!why.empty()) {
      send(mux::encode(mux::Refused{mux::type::kFailure, rid, why}));
    } else if (port) {
      send(mux::encode(mux::RemotePort{rid, *port}));
    } else {
      send(mux::encode(mux::Ok{rid}));
    }
  });
}

void ControlConnection::handle_proxy(std::uint32_t rid) {
  if (has_child_) {
    send(mux::encode(mux::Refused{mux::type::kFailure, rid, "Multiple sessions not supported"}));
    return;
  }
  if (!allowed("Allow multiplex proxy connection? ")) {
    send(mux::encode(mux::Refused{mux::type::kPermissionDenied, rid, "Permission denied"}));
    return;
  }
  has_child_ = true;
  child_rid_ = rid;
  if (settings_.passengers) settings_.passengers(1);
  // One connection of the pool, with room for the sessions the client will open, carries it all;
  // the reply waits for it (the client sends nothing before the reply).
  std::weak_ptr<bool> alive = alive_;
  host_.connections().acquire_for_session([this, alive, rid](SshSession* session) {
    if (!util::still_alive(alive) || closing_) return;
    if (session == nullptr) {
      send(mux::encode(mux::Refused{mux::type::kFailure, rid, "no connection to the server"}));
      close_when_flushed();
      return;
    }
    proxy_ = std::make_unique<MuxProxy>(
        *session, [this](ssh::Bytes frame) { send(std::move(frame)); },
        [this](const std::string& why) {
          log::info("control socket proxy client: %s", why.c_str());
          close_when_flushed();
        });
    send(mux::encode(mux::ProxyReply{rid}));
  });
}

void ControlConnection::handle_ext_info(const mux::ExtInfo& request) {
  std::string text;
  if (request.name == "connection" || request.name == "channels" || request.name == "status@sshplex.org") {
    for (const auto& line : host_.status_lines()) text += line + "\n";
  } else if (request.name == "status-json@sshplex.org") {
    text = host_.status_json();
  } else {
    send(mux::encode(mux::ExtInfoReply{request.rid, 0, "info request type not supported"}));
    return;
  }
  send(mux::encode(mux::ExtInfoReply{request.rid, 1, text}));
}

void ControlConnection::send(ssh::Bytes frame) {
  if (closing_) return;
  out_.insert(out_.end(), frame.begin(), frame.end());
  write_some();
}

void ControlConnection::write_some() {
  while (!out_.empty() && !closing_) {
    const ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(out_.begin(), out_.begin() + n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    log::debug("control socket client: write: %s", std::strerror(errno));
    close();
    return;
  }
  if (out_.empty() && close_when_flushed_) {
    close();
    return;
  }
  update_poll();
}

void ControlConnection::close_when_flushed() {
  close_when_flushed_ = true;
  if (out_.empty()) close();
}

void ControlConnection::close() {
  if (closing_) return;
  closing_ = true;
  if (session_) session_->abort();
  if (stdio_) stdio_->abort();
  // The proxy (which may be calling us now) closes its channels when the handle is gone below.
  if (has_child_ && settings_.passengers) settings_.passengers(-1);
  uv_poll_stop(poll_);
  poll_->data = this;
  uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) {
    auto* self = static_cast<ControlConnection*>(h->data);
    delete reinterpret_cast<uv_poll_t*>(h);
    self->proxy_.reset();
    ::close(self->fd_);
    self->fd_ = -1;
    self->on_closed_(self);  // last: the owner destroys us
  });
}

void ControlConnection::window_changed() {
  if (session_ && !closing_) session_->window_changed();
}

void ControlConnection::session_opened(std::uint32_t session_id) {
  send(mux::encode(mux::SessionOpened{child_rid_, session_id}));
}

void ControlConnection::session_refused(const std::string& reason) {
  send(mux::encode(mux::Refused{mux::type::kFailure, child_rid_, reason}));
  close_when_flushed();
}

void ControlConnection::tty_failed(std::uint32_t session_id) { send(mux::encode(mux::TtyAllocFail{session_id})); }

void ControlConnection::session_ended(std::uint32_t session_id, std::optional<std::uint32_t> status) {
  // The exit status first; then the connection closes, which the passenger reads as the end.
  if (status) send(mux::encode(mux::ExitMessage{session_id, *status}));
  close_when_flushed();
}

}  // namespace gateway::control
