#include "gateway/net/listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "gateway/util/log.hpp"

namespace gateway::net {
namespace {

constexpr int kBacklog = 511;
// Accepts per readiness callback, so one busy listener cannot starve the rest of the loop.
constexpr int kAcceptBatch = 64;

// What listen() keeps beside the caller's stream: the poll that drives accepting, the pause timer,
// and the client accepted but not yet handed out. Freed when both handles have closed.
struct ListenState {
  uv_poll_t poll{};
  uv_timer_t timer{};
  uv_stream_t* stream = nullptr;
  uv_connection_cb on_connection = nullptr;
  std::string name;
  int fd = -1;
  int pending_fd = -1;
  int open_handles = 0;
  bool closing = false;
  log::RateLimited exhausted_log{kAcceptErrorLogInterval};
};

// Listening streams made by listen(), so accept_client() and close_stream() find their state from
// the caller's stream pointer. Touched from the loop thread only.
std::unordered_map<const uv_stream_t*, ListenState*>& registry() {
  static std::unordered_map<const uv_stream_t*, ListenState*> map;
  return map;
}

ListenState* state_of(const uv_stream_t* stream) {
  auto it = registry().find(stream);
  return it == registry().end() ? nullptr : it->second;
}

bool make_sockaddr(const std::string& address, std::uint16_t port, sockaddr_storage& out) {
  std::string host = address;
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  if (host == "*") host = "0.0.0.0";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&out)) == 0) return true;
  return uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out)) == 0;
}

void free_handle(uv_handle_t* h) { std::free(h); }

void state_handle_closed(uv_handle_t* h) {
  auto* st = static_cast<ListenState*>(h->data);
  if (--st->open_handles == 0) delete st;
}

std::string errno_text(int err) { return std::strerror(err); }

// A bound, listening socket; -1 with `error` set on failure.
int open_tcp_socket(const sockaddr_storage& addr, std::string& error) {
  const int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno_text(errno);
    return -1;
  }
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const socklen_t len = addr.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0 || ::listen(fd, kBacklog) != 0) {
    error = errno_text(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

int open_unix_socket(const std::string& path, unsigned mask, bool unlink_existing, std::string& error) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) {
    error = "socket path is too long";
    return -1;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno_text(errno);
    return -1;
  }
  // StreamLocalBindUnlink: a socket left behind would make bind fail with "Address already in use".
  if (unlink_existing && ::unlink(path.c_str()) != 0 && errno != ENOENT) {
    error = "cannot remove " + path + ": " + errno_text(errno);
    ::close(fd);
    return -1;
  }
  // StreamLocalBindMask (0177 by default: the socket is created owner-only).
  const mode_t old_mask = ::umask(static_cast<mode_t>(mask & 0777));
  const int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int bind_errno = errno;
  ::umask(old_mask);
  if (rc != 0 || ::listen(fd, kBacklog) != 0) {
    error = errno_text(rc != 0 ? bind_errno : errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

// A libuv stream owning `fd` (a listening socket or an accepted client); nullptr on failure, with
// the descriptor closed.
uv_stream_t* wrap_fd(uv_loop_t* loop, int fd, bool unix_socket) {
  if (unix_socket) {
    auto* pipe = static_cast<uv_pipe_t*>(std::malloc(sizeof(uv_pipe_t)));
    uv_pipe_init(loop, pipe, 0);
    if (uv_pipe_open(pipe, fd) != 0) {
      ::close(fd);
      uv_close(reinterpret_cast<uv_handle_t*>(pipe), free_handle);
      return nullptr;
    }
    return reinterpret_cast<uv_stream_t*>(pipe);
  }
  auto* tcp = static_cast<uv_tcp_t*>(std::malloc(sizeof(uv_tcp_t)));
  uv_tcp_init(loop, tcp);
  if (uv_tcp_open(tcp, fd) != 0) {
    ::close(fd);
    uv_close(reinterpret_cast<uv_handle_t*>(tcp), free_handle);
    return nullptr;
  }
  return reinterpret_cast<uv_stream_t*>(tcp);
}

void on_readable(uv_poll_t* poll, int status, int events);

void resume(uv_timer_t* timer) {
  auto* st = static_cast<ListenState*>(timer->data);
  if (!st->closing) uv_poll_start(&st->poll, UV_READABLE, on_readable);
}

// Stops polling for kAcceptPause: the socket stays readable while clients wait in the backlog, so
// polling on would only spin.
void pause_accepting(ListenState& st) {
  uv_poll_stop(&st.poll);
  uv_timer_start(&st.timer, resume, static_cast<std::uint64_t>(kAcceptPause.count()), 0);
}

// accept(2): these are a failed client's own errors (Linux passes pending network errors on), not
// the listener's; the next client may well succeed.
bool client_error(int err) {
  switch (err) {
    case EINTR:
    case ECONNABORTED:
    case EPERM:  // a firewall rule refused it
    case EPROTO:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
      return true;
    default:
      return false;
  }
}

void on_readable(uv_poll_t* poll, int status, int) {
  auto* st = static_cast<ListenState*>(poll->data);
  if (status < 0) {
    st->on_connection(st->stream, status);
    if (!st->closing) pause_accepting(*st);
    return;
  }
  for (int i = 0; i < kAcceptBatch && !st->closing; ++i) {
    const int fd = ::accept4(st->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      if (client_error(err)) continue;
      if (err == EMFILE || err == ENFILE) {
        st->exhausted_log.log(log::Level::error, "out of file descriptors: refusing new clients on %s",
                              st->name.c_str());
      } else if (err == ENOBUFS || err == ENOMEM) {
        st->exhausted_log.log(log::Level::error, "out of memory: refusing new clients on %s", st->name.c_str());
      } else {
        // libuv error codes are negated errno values on Unix.
        st->on_connection(st->stream, -err);
      }
      if (!st->closing) pause_accepting(*st);
      return;
    }
    st->pending_fd = fd;
    st->on_connection(st->stream, 0);
    if (st->pending_fd >= 0) {
      ::close(st->pending_fd);
      st->pending_fd = -1;
    }
  }
}

}  // namespace

Listener listen(uv_loop_t* loop, const ListenSpec& spec, void* data, uv_connection_cb on_connection,
                std::string& error) {
  Listener out;
  out.unix_socket = !spec.path.empty();
  int fd = -1;
  if (out.unix_socket) {
    fd = open_unix_socket(spec.path, spec.socket_mask, spec.unlink_existing, error);
  } else {
    sockaddr_storage addr{};
    if (!make_sockaddr(spec.address, spec.port, addr)) {
      error = "bad bind address '" + spec.address + "'";
      return {};
    }
    fd = open_tcp_socket(addr, error);
  }
  if (fd < 0) return {};
  if (!out.unix_socket) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    out.bound_port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                                    : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    const bool v6 = ss.ss_family == AF_INET6;
    std::string host = spec.address.empty() ? "127.0.0.1" : spec.address;
    if (v6 && host.front() != '[') host = "[" + host + "]";
    out.name = host + ":" + std::to_string(out.bound_port);
  } else {
    out.name = spec.path;
  }
  out.stream = wrap_fd(loop, fd, out.unix_socket);
  if (out.stream == nullptr) {
    error = "cannot watch the listening socket";
    if (out.unix_socket) ::unlink(spec.path.c_str());
    return {};
  }
  out.stream->data = data;

  auto* st = new ListenState;
  st->stream = out.stream;
  st->on_connection = on_connection;
  st->name = out.name;
  st->fd = fd;
  st->poll.data = st;
  st->timer.data = st;
  int rc = uv_poll_init(loop, &st->poll, fd);
  if (rc == 0) {
    ++st->open_handles;
    uv_timer_init(loop, &st->timer);
    ++st->open_handles;
    rc = uv_poll_start(&st->poll, UV_READABLE, on_readable);
  }
  registry()[out.stream] = st;
  if (rc != 0) {
    error = uv_strerror(rc);
    close_stream(out.stream, out.unix_socket ? spec.path : std::string());
    return {};
  }
  return out;
}

uv_stream_t* accept_client(uv_loop_t* loop, const Listener& listener) {
  ListenState* st = state_of(listener.stream);
  if (st != nullptr) {
    if (st->pending_fd < 0) return nullptr;
    const int fd = st->pending_fd;
    st->pending_fd = -1;
    uv_stream_t* client = wrap_fd(loop, fd, listener.unix_socket);
    if (client != nullptr && !listener.unix_socket) uv_tcp_nodelay(reinterpret_cast<uv_tcp_t*>(client), 1);
    return client;
  }
  // A stream listening through uv_listen() (not made by listen()).
  uv_stream_t* client = nullptr;
  if (listener.unix_socket) {
    auto* pipe = static_cast<uv_pipe_t*>(std::malloc(sizeof(uv_pipe_t)));
    uv_pipe_init(loop, pipe, 0);
    client = reinterpret_cast<uv_stream_t*>(pipe);
  } else {
    auto* tcp = static_cast<uv_tcp_t*>(std::malloc(sizeof(uv_tcp_t)));
    uv_tcp_init(loop, tcp);
    uv_tcp_nodelay(tcp, 1);
    client = reinterpret_cast<uv_stream_t*>(tcp);
  }
  if (uv_accept(listener.stream, client) != 0) {
    close_stream(client);
    return nullptr;
  }
  return client;
}

std::string peer_address(uv_stream_t* client, bool unix_socket, std::uint16_t& port) {
  port = 0;
  if (unix_socket) return "127.0.0.1";
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getpeername(reinterpret_cast<uv_tcp_t*>(client), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return "127.0.0.1";
  }
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    port = ntohs(in->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    port = ntohs(in6->sin6_port);
  }
  return buf;
}

void close_stream(uv_stream_t* stream, const std::string& unlink_path) {
  if (stream == nullptr) return;
  if (ListenState* st = state_of(stream)) {
    registry().erase(stream);
    st->closing = true;
    if (st->pending_fd >= 0) ::close(st->pending_fd);
    st->pending_fd = -1;
    // The poll goes before the stream closes the descriptor it watches.
    const int handles = st->open_handles;
    if (handles == 0) {
      delete st;
    } else {
      uv_close(reinterpret_cast<uv_handle_t*>(&st->poll), state_handle_closed);
      uv_close(reinterpret_cast<uv_handle_t*>(&st->timer), state_handle_closed);
    }
  }
  uv_close(reinterpret_cast<uv_handle_t*>(stream), free_handle);
  if (!unlink_path.empty()) ::unlink(unlink_path.c_str());
}

}  // namespace gateway::net
