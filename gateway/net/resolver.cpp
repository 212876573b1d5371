#include "gateway/net/resolver.hpp"

#include <ares.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "gateway/net/socket_mark.hpp"
#include "gateway/util/log.hpp"

namespace gateway::net {
namespace {

struct Query {
  Resolver::Callback callback;
};

void on_addrinfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
  std::unique_ptr<Query> query(static_cast<Query*>(arg));
  ResolveResult out;
  if (status != ARES_SUCCESS || result == nullptr) {
    out.error = ares_strerror(status);
  } else {
    for (ares_addrinfo_node* node = result->nodes; node != nullptr; node = node->ai_next) {
      if (node->ai_addr == nullptr || node->ai_addrlen > sizeof(sockaddr_storage)) continue;
      ResolvedAddress a;
      std::memcpy(&a.addr, node->ai_addr, node->ai_addrlen);
      a.len = node->ai_addrlen;
      out.addresses.push_back(a);
    }
    if (out.addresses.empty()) out.error = "no addresses";
  }
  if (result != nullptr) ares_freeaddrinfo(result);
  query->callback(std::move(out));
}

struct LibraryInit {
  LibraryInit() { ares_library_init(ARES_LIB_INIT_ALL); }
};

}  // namespace

// Marks a call into c-ares, so that close() requested from a callback waits until it returns.
struct Resolver::AresCall {
  explicit AresCall(Resolver& r) : resolver(r) { ++resolver.ares_depth_; }
  ~AresCall() {
    if (--resolver.ares_depth_ == 0 && resolver.close_pending_) {
      resolver.close_pending_ = false;
      resolver.close();
    }
  }
  AresCall(const AresCall&) = delete;
  AresCall& operator=(const AresCall&) = delete;
  Resolver& resolver;
};

struct Resolver::SocketWatch {
  uv_poll_t poll{};
  int fd = -1;
  Resolver* owner = nullptr;
};

Resolver::Resolver(uv_loop_t* loop) : loop_(loop) {
  static LibraryInit init;
  ares_options options{};
  options.sock_state_cb = &Resolver::on_sock_state;
  options.sock_state_cb_data = this;
  ares_channel channel = nullptr;
  const int rc = ares_init_options(&channel, &options, ARES_OPT_SOCK_STATE_CB);
  if (rc != ARES_SUCCESS) {
    init_error_ = ares_strerror(rc);
    return;
  }
  channel_ = channel;
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
}

Resolver::~Resolver() { close(); }

void Resolver::set_socket_mark(std::uint32_t mark) {
  socket_mark_ = mark;
  if (channel_ == nullptr) return;
  ares_set_socket_callback(static_cast<ares_channel>(channel_), mark != 0 ? &Resolver::on_socket_created : nullptr,
                           this);
}

int Resolver::on_socket_created(int fd, int /*type*/, void* data) {
  auto* self = static_cast<Resolver*>(data);
  std::string why;
  if (net::mark_socket(fd, self->socket_mark_, why)) return 0;
  log::error("%s", why.c_str());
  return -1;  // c-ares gives the socket up: better no lookup than one through the tunnel it serves
}

void Resolver::close() {
  if (ares_depth_ > 0) {
    // Called from inside a c-ares callback: destroying the channel now would free what c-ares is
    // still using. The outermost c-ares call finishes the close.
    close_pending_ = true;
    return;
  }
  if (channel_ != nullptr) {
    // Cancels outstanding queries: their callbacks run now with ARES_EDESTRUCTION (and may call
    // close() again, which then finds no channel).
    auto* channel = static_cast<ares_channel>(channel_);
    channel_ = nullptr;
    ares_destroy(channel);
  }
  for (SocketWatch* w : watches_) {
    uv_poll_stop(&w->poll);
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll),
             [](uv_handle_t* h) { delete static_cast<SocketWatch*>(h->data); });
  }
  watches_.clear();
  if (timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
}

void Resolver::resolve(const std::string& host, std::uint16_t port, Callback callback) {
  if (channel_ == nullptr) {
    callback(ResolveResult{{}, "resolver unavailable: " + init_error_});
    return;
  }
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = ARES_AI_NUMERICSERV;
  const std::string service = std::to_string(port);
  auto* query = new Query{std::move(callback)};
  {
    AresCall call(*this);
    ares_getaddrinfo(static_cast<ares_channel>(channel_), host.c_str(), service.c_str(), &hints, on_addrinfo, query);
  }
  reschedule_timer();
}

void Resolver::on_sock_state(void* data, int fd, int readable, int writable) {
  auto* self = static_cast<Resolver*>(data);
  auto it = std::find_if(self->watches_.begin(), self->watches_.end(), [fd](SocketWatch* w) { return w->fd == fd; });
  if (readable == 0 && writable == 0) {
    if (it == self->watches_.end()) return;
    SocketWatch* w = *it;
    self->watches_.erase(it);
    uv_poll_stop(&w->poll);
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll),
             [](uv_handle_t* h) { delete static_cast<SocketWatch*>(h->data); });
    return;
  }
  SocketWatch* w = nullptr;
  if (it == self->watches_.end()) {
    w = new SocketWatch;
    w->fd = fd;
    w->owner = self;
    uv_poll_init_socket(self->loop_, &w->poll, fd);
    w->poll.data = w;
    self->watches_.push_back(w);
  } else {
    w = *it;
  }
  int events = 0;
  if (readable != 0) events |= UV_READABLE;
  if (writable != 0) events |= UV_WRITABLE;
  uv_poll_start(&w->poll, events, &Resolver::on_poll);
}

void Resolver::on_poll(uv_poll_t* handle, int status, int events) {
  auto* w = static_cast<SocketWatch*>(handle->data);
  Resolver* self = w->owner;
  if (self->channel_ == nullptr) return;
  const int fd = w->fd;
  ares_socket_t rfd = ARES_SOCKET_BAD;
  ares_socket_t wfd = ARES_SOCKET_BAD;
  if (status < 0 || (events & UV_READABLE) != 0) rfd = fd;
  if (status < 0 || (events & UV_WRITABLE) != 0) wfd = fd;
  {
    AresCall call(*self);
    ares_process_fd(static_cast<ares_channel>(self->channel_), rfd, wfd);
  }
  self->reschedule_timer();
}

void Resolver::on_timer(uv_timer_t* timer) {
  auto* self = static_cast<Resolver*>(timer->data);
  if (self->channel_ == nullptr) return;
  {
    AresCall call(*self);
    ares_process_fd(static_cast<ares_channel>(self->channel_), ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  }
  self->reschedule_timer();
}

void Resolver::reschedule_timer() {
  if (channel_ == nullptr || timer_ == nullptr || ares_depth_ > 0) return;
  timeval tv{};
  timeval* next = ares_timeout(static_cast<ares_channel>(channel_), nullptr, &tv);
  if (next == nullptr) {
    uv_timer_stop(timer_);
    return;
  }
  const auto ms = static_cast<std::uint64_t>(next->tv_sec) * 1000 + static_cast<std::uint64_t>(next->tv_usec) / 1000;
  uv_timer_start(timer_, &Resolver::on_timer, ms == 0 ? 1 : ms, 0);
}

}  // namespace gateway::net
