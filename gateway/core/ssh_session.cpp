#include "gateway/core/ssh_session.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "gateway/core/log.hpp"

namespace gateway {
namespace {

// The socket's unsent bytes above which channels stop being fed, and below which they resume.
constexpr std::size_t kOutputHighWatermark = 4 * 1024 * 1024;
constexpr std::size_t kOutputLowWatermark = 1 * 1024 * 1024;
constexpr std::size_t kReadChunk = 64 * 1024;

struct WriteReq {
  uv_write_t req{};
  ssh::Bytes bytes;
  std::shared_ptr<bool> alive;
  SshSession* session;
};

ssh::transport::TimePoint now_of(uv_loop_t* loop) {
  return ssh::transport::TimePoint{std::chrono::milliseconds(uv_now(loop))};
}

std::string address_string(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
  } else if (ss.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

}  // namespace

void SessionDelegate::on_channel_open_request(SshSession& session, const ssh::event::ChannelOpenRequest& request) {
  session.reject_channel(request.id, 1, "no forward for this connection");
}

SshSession::SshSession(uv_loop_t* loop, net::Resolver& resolver, SessionTarget target, ssh::ClientConfig config,
                       SessionDelegate& delegate)
    : loop_(loop), resolver_(resolver), target_(std::move(target)), config_(std::move(config)), delegate_(delegate) {
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  connect_timer_ = new uv_timer_t;
  uv_timer_init(loop_, connect_timer_);
  connect_timer_->data = this;
}

SshSession::~SshSession() {
  *alive_ = false;
  close_socket();
  auto free_timer = [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); };
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), free_timer);
  uv_close(reinterpret_cast<uv_handle_t*>(connect_timer_), free_timer);
}

void SshSession::start() {
  log::verbose("Resolving %s", target_.connect_host.c_str());
  std::weak_ptr<bool> alive = alive_;
  resolver_.resolve(target_.connect_host, target_.port, [this, alive](net::ResolveResult result) {
    if (alive.expired() || !*alive.lock()) return;
    if (result.addresses.empty()) {
      fail("sshplex: Could not resolve hostname " + target_.connect_host + ": " + result.error);
      return;
    }
    addresses_ = std::move(result.addresses);
    next_address_ = 0;
    connect_next();
  });
}

void SshSession::connect_next() {
  if (next_address_ >= addresses_.size()) {
    fail("sshplex: connect to host " + target_.connect_host + " port " + std::to_string(target_.port) + ": " +
         (last_error_.empty() ? "no usable address" : last_error_));
    return;
  }
  const net::ResolvedAddress& address = addresses_[next_address_++];
  log::verbose("Connecting to %s [%s] port %u.", target_.connect_host.c_str(), address_string(address.addr).c_str(),
               target_.port);
  close_socket();
  tcp_ = new uv_tcp_t;
  uv_tcp_init(loop_, tcp_);
  tcp_->data = this;
  uv_tcp_nodelay(tcp_, 1);
  auto* req = new uv_connect_t;
  struct ConnectCtx {
    std::weak_ptr<bool> alive;
    SshSession* self;
  };
  req->data = new ConnectCtx{alive_, this};
  const int rc = uv_tcp_connect(req, tcp_, reinterpret_cast<const sockaddr*>(&address.addr), [](uv_connect_t* r, int status) {
    auto* ctx = static_cast<ConnectCtx*>(r->data);
    const bool live = !ctx->alive.expired() && *ctx->alive.lock();
    SshSession* self = ctx->self;
    delete ctx;
    delete r;
    if (live && status != UV_ECANCELED) self->on_connected(status);
  });
  if (rc != 0) {
    delete static_cast<ConnectCtx*>(req->data);
    delete req;
    last_error_ = uv_strerror(rc);
    connect_next();
    return;
  }
  if (target_.connect_timeout.count() > 0) {
    // As in ssh, ConnectTimeout covers the TCP connect and the server's version banner.
    uv_timer_start(connect_timer_, [](uv_timer_t* t) {
      auto* self = static_cast<SshSession*>(t->data);
      if (self->client_) {
        self->fail("Connection timed out during banner exchange");
        return;
      }
      self->last_error_ = "Connection timed out";
      self->connect_next();
    }, static_cast<std::uint64_t>(target_.connect_timeout.count()), 0);
  }
}

void SshSession::on_connected(int status) {
  if (status != 0) {
    uv_timer_stop(connect_timer_);
    last_error_ = status == UV_ECONNREFUSED ? "Connection refused" : uv_strerror(status);
    connect_next();
    return;
  }
  log::verbose("Connection established.");
  client_ = std::make_unique<ssh::Client>(config_, now_of(loop_));
  uv_read_start(reinterpret_cast<uv_stream_t*>(tcp_),
                [](uv_handle_t*, size_t, uv_buf_t* buf) {
                  buf->base = new char[kReadChunk];
                  buf->len = kReadChunk;
                },
                [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
                  auto* self = static_cast<SshSession*>(stream->data);
                  self->on_read(nread, buf);
                  delete[] buf->base;
                });
  pump();
}

void SshSession::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (nread == 0) return;
  if (nread < 0) {
    const std::string why = nread == UV_EOF ? "Connection closed by remote host" : uv_strerror(static_cast<int>(nread));
    fail(why);
    return;
  }
  client_->handle_bytes(ssh::ByteView(reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(nread)),
                        now_of(loop_));
  pump();
}

void SshSession::pump() {
  if (!client_ || finished_ || in_pump_) return;
  in_pump_ = true;
  bool progressed = true;
  while (progressed && !finished_) {
    progressed = false;
    while (auto event = client_->poll_event()) {
      progressed = true;
      dispatch(*event);
      if (finished_) break;
    }
    if (finished_ || tcp_ == nullptr) break;
    if (client_->has_transmit()) {
      progressed = true;
      auto* w = new WriteReq{{}, client_->take_transmit(), alive_, this};
      uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(w->bytes.data()), static_cast<unsigned>(w->bytes.size()));
      write_queue_bytes_ += w->bytes.size();
      const int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(tcp_), &b, 1, [](uv_write_t* req, int status) {
        std::unique_ptr<WriteReq> wr(reinterpret_cast<WriteReq*>(req));
        if (!*wr->alive) return;
        if (status < 0) {
          wr->session->fail(std::string("write failed: ") + uv_strerror(status));
          return;
        }
        wr->session->on_write_done(wr->bytes.size());
      });
      if (rc != 0) {
        write_queue_bytes_ -= w->bytes.size();
        delete w;
        in_pump_ = false;
        fail(std::string("write failed: ") + uv_strerror(rc));
        return;
      }
    }
  }
  in_pump_ = false;
  if (finished_) return;
  if (client_->is_closed()) {
    fail("connection closed");
    return;
  }
  if (auto deadline = client_->next_deadline()) {
    const auto now = now_of(loop_);
    const auto wait = *deadline > now ? std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - now)
                                      : std::chrono::milliseconds(0);
    uv_timer_start(timer_, [](uv_timer_t* t) { static_cast<SshSession*>(t->data)->on_timer(); },
                   static_cast<std::uint64_t>(wait.count()) + 1, 0);
  } else {
    uv_timer_stop(timer_);
  }
}

void SshSession::on_timer() {
  if (!client_ || finished_) return;
  client_->handle_timeout(now_of(loop_));
  pump();
}

void SshSession::on_write_done(std::size_t bytes) {
  write_queue_bytes_ -= bytes;
  if (write_queue_bytes_ <= kOutputLowWatermark && !want_writable_.empty()) {
    auto waiting = std::move(want_writable_);
    want_writable_.clear();
    for (ssh::ChannelId id : waiting) {
      auto it = handlers_.find(id);
      if (it != handlers_.end()) it->second->on_writable();
    }
    pump();
  }
}

void SshSession::dispatch(ssh::Event& event) {
  std::visit(
      [&](auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ssh::event::HostKey>) {
          client_->host_key_verdict(delegate_.verify_host_key(*this, e));
        } else if constexpr (std::is_same_v<T, ssh::event::ServerVersion>) {
          uv_timer_stop(connect_timer_);
          for (const auto& line : e.banner_lines) log::verbose("Server banner line: %s", line.c_str());
          log::verbose("Remote protocol version: %s", e.version.c_str());
        } else if constexpr (std::is_same_v<T, ssh::event::KexComplete>) {
          const auto& a = e.algorithms;
          log::verbose("%s: kex %s, host key %s, cipher %s/%s, mac %s/%s%s", e.initial ? "Key exchange" : "Re-key",
                       a.kex.c_str(), a.host_key.c_str(), a.cipher_c2s.c_str(), a.cipher_s2c.c_str(),
                       a.mac_c2s.empty() ? "<implicit>" : a.mac_c2s.c_str(),
                       a.mac_s2c.empty() ? "<implicit>" : a.mac_s2c.c_str(), a.strict_kex ? ", strict kex" : "");
        } else if constexpr (std::is_same_v<T, ssh::event::Debug>) {
          log::info("Remote: %s", e.message.c_str());
        } else if constexpr (std::is_same_v<T, ssh::event::Authenticated>) {
          authenticated_ = true;
          delegate_.on_authenticated(*this, e.method);
        } else if constexpr (std::is_same_v<T, ssh::event::AuthBanner> || std::is_same_v<T, ssh::event::AuthMethods> ||
                             std::is_same_v<T, ssh::event::AuthPublicKeyOk> ||
                             std::is_same_v<T, ssh::event::AuthPrompts>) {
          delegate_.on_auth_event(*this, event);
        } else if constexpr (std::is_same_v<T, ssh::event::ChannelOpened>) {
          if (auto it = handlers_.find(e.id); it != handlers_.end()) it->second->on_open_confirmed();
        } else if constexpr (std::is_same_v<T, ssh::event::ChannelOpenFailed>) {
          if (auto it = handlers_.find(e.id); it != handlers_.end()) {
            ChannelHandler* h = it->second;
            handlers_.erase(it);
            want_writable_.erase(e.id);
            h->on_open_failed(e.reason, e.description);
          }
        } else if constexpr (std::is_same_v<T, ssh::event::ChannelData>) {
          if (auto it = handlers_.find(e.id); it != handlers_.end()) {
            it->second->on_data(std::move(e.data), e.extended_type);
          } else {
            client_->consume(e.id, e.data.size());
          }
        } else if constexpr (std::is_same_v<T, ssh::event::ChannelWritable>) {
          if (auto it = handlers_.find(e.id); it != handlers_.end()) it->second->on_writable();
        } else if constexpr (std::is_same_v<T, ssh::event::ChannelEof>) {
          if (auto it = handlers_.find(e.id); it != handlers_.end()) it->second->on_eof();
        } else if constexpr (std::is_same_v<T, ssh::event::ChannelClosed>) {
          if (auto it = handlers_.find(e.id); it != handlers_.end()) {
            ChannelHandler* h = it->second;
            handlers_.erase(it);
            want_writable_.erase(e.id);
            h->on_closed();
          }
        } else if constexpr (std::is_same_v<T, ssh::event::ChannelOpenRequest>) {
          delegate_.on_channel_open_request(*this, e);
        } else if constexpr (std::is_same_v<T, ssh::event::GlobalRequestResult>) {
          if (auto it = global_replies_.find(e.token); it != global_replies_.end()) {
            GlobalReply reply = std::move(it->second);
            global_replies_.erase(it);
            reply(e);
          }
        } else if constexpr (std::is_same_v<T, ssh::event::Disconnected>) {
          std::string why = e.description;
          if (e.by_peer) why = "Received disconnect from " + target_.connect_host + " port " +
                               std::to_string(target_.port) + ":" + std::to_string(e.reason) + ": " + e.description;
          fail(why);
        }
      },
      event);
}

std::optional<ssh::ChannelId> SshSession::open_direct_tcpip(const std::string& host, std::uint32_t port,
                                                            const std::string& originator,
                                                            std::uint32_t originator_port, ChannelHandler& handler) {
  if (!client_ || finished_ || !authenticated_) return std::nullopt;
  auto id = client_->open_direct_tcpip(host, port, originator, originator_port);
  if (id) handlers_[*id] = &handler;
  pump();
  return id;
}

std::optional<ssh::ChannelId> SshSession::open_direct_streamlocal(const std::string& path, ChannelHandler& handler) {
  if (!client_ || finished_ || !authenticated_) return std::nullopt;
  auto id = client_->open_direct_streamlocal(path);
  if (id) handlers_[*id] = &handler;
  pump();
  return id;
}

void SshSession::accept_channel(ssh::ChannelId id, ChannelHandler& handler) {
  if (!client_ || finished_) return;
  handlers_[id] = &handler;
  client_->accept_channel(id);
  pump();
}

void SshSession::reject_channel(ssh::ChannelId id, std::uint32_t reason, const std::string& description) {
  if (!client_ || finished_) return;
  client_->reject_channel(id, reason, description);
  pump();
}

bool SshSession::global_request(const std::function<std::uint64_t(ssh::Client&)>& send, GlobalReply on_reply) {
  if (!client_ || finished_ || !authenticated_) return false;
  const std::uint64_t token = send(*client_);
  if (token == 0) return false;
  global_replies_[token] = std::move(on_reply);
  pump();
  return true;
}

std::size_t SshSession::send_capacity(ssh::ChannelId id) const {
  if (!client_ || finished_ || write_queue_bytes_ >= kOutputHighWatermark) return 0;
  return client_->send_capacity(id);
}

std::size_t SshSession::send(ssh::ChannelId id, ssh::ByteView data) {
  if (!client_ || finished_) return 0;
  if (write_queue_bytes_ >= kOutputHighWatermark) {
    // The socket is the bottleneck: resume this channel once it drains.
    want_writable_.insert(id);
    return 0;
  }
  // The core limits the send to the peer's window and remembers that it did, so that a later
  // WINDOW_ADJUST raises ChannelWritable; hand it everything rather than pre-trimming.
  const std::size_t n = client_->send(id, data);
  pump();
  return n;
}

void SshSession::want_writable(ssh::ChannelId id) { want_writable_.insert(id); }

void SshSession::consume(ssh::ChannelId id, std::size_t n) {
  if (!client_ || finished_) return;
  client_->consume(id, n);
  pump();
}

void SshSession::send_eof(ssh::ChannelId id) {
  if (!client_ || finished_) return;
  client_->send_eof(id);
  pump();
}

void SshSession::close_channel(ssh::ChannelId id) {
  if (!client_ || finished_) return;
  client_->close_channel(id);
  pump();
}

void SshSession::shutdown(const std::string& why) {
  if (finished_) return;
  if (client_ && !client_->is_closed()) {
    client_->disconnect(ssh::transport::kByApplication, why);
    if (client_->has_transmit() && tcp_ != nullptr) {
      // Best effort: the DISCONNECT goes out with the socket's remaining queue before close.
      uv_buf_t b{};
      auto bytes = client_->take_transmit();
      b = uv_buf_init(reinterpret_cast<char*>(bytes.data()), static_cast<unsigned>(bytes.size()));
      uv_try_write(reinterpret_cast<uv_stream_t*>(tcp_), &b, 1);
    }
  }
  fail(why);
}

void SshSession::fail(const std::string& why) {
  if (finished_) return;
  finished_ = true;
  uv_timer_stop(timer_);
  uv_timer_stop(connect_timer_);
  close_socket();
  // Channels die with the connection: tell every owner, then forget them.
  auto handlers = std::move(handlers_);
  handlers_.clear();
  want_writable_.clear();
  global_replies_.clear();
  for (auto& [id, handler] : handlers) handler->on_closed();
  delegate_.on_disconnected(*this, why, authenticated_);
}

void SshSession::close_socket() {
  if (tcp_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(tcp_), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  tcp_ = nullptr;
}

}  // namespace gateway
