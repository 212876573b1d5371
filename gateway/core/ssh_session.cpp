#include "gateway/core/ssh_session.hpp"

#include "gateway/core/link_tcp.hpp"
#include "gateway/util/log.hpp"
#include "ssh/connection/channel_types.hpp"

namespace gateway {
namespace {

// The link's unsent bytes above which channels stop being fed, and below which they resume.
constexpr std::size_t kOutputHighWatermark = 4 * 1024 * 1024;
constexpr std::size_t kOutputLowWatermark = 1 * 1024 * 1024;
// Output below this waits for the end of the loop iteration, so that the small packets of many
// channels (opens, acknowledgements, short data) leave in one write and reach sshd in one read.
// Bulk data goes at once: batching gains nothing there and would only grow the buffer.
constexpr std::size_t kBatchedOutputLimit = 64 * 1024;

// True while a session's batched output is being written. A session that carries another one
// (ProxyJump) gets its bytes then; a prepare handle started now would only run after the loop has
// blocked, so such output is written at once.
bool writing_batched_output = false;

ssh::transport::TimePoint now_of(uv_loop_t* loop) {
  return ssh::transport::TimePoint{std::chrono::milliseconds(uv_now(loop))};
}

}  // namespace

SshSession::SshSession(uv_loop_t* loop, net::Resolver& resolver, SessionTarget target, ssh::ClientConfig config,
                       SessionDelegate& delegate)
    : loop_(loop), resolver_(resolver), target_(std::move(target)), config_(std::move(config)), delegate_(delegate) {
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  flusher_ = new uv_prepare_t;
  uv_prepare_init(loop_, flusher_);
  flusher_->data = this;
}

SshSession::~SshSession() {
  *alive_ = false;
  if (link_) link_->close({});
  link_.reset();
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  uv_close(reinterpret_cast<uv_handle_t*>(flusher_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_prepare_t*>(h); });
}

std::unique_ptr<Link> SshSession::make_link() {
  LinkObserver& observer = *this;
  if (target_.make_link) return target_.make_link(loop_, resolver_, target_, observer);
  return std::make_unique<TcpLink>(loop_, resolver_, target_.connect_host, target_.port, target_.socket, observer);
}

void SshSession::start() {
  if (finished_ || link_) return;
  link_ = make_link();
  link_->start();
}

void SshSession::on_link_connected() {
  log::Scope scope(log::kConnectionField, log_connection_);
  if (finished_) return;
  link_up_ = true;
  client_ = std::make_unique<ssh::Client>(config_, now_of(loop_));
  pump();
}

void SshSession::on_link_data(ssh::ByteView data) {
  log::Scope scope(log::kConnectionField, log_connection_);
  if (!client_ || finished_) return;
  client_->handle_bytes(data, now_of(loop_));
  pump();
}

void SshSession::on_link_failed(const std::string& reason) {
  log::Scope scope(log::kConnectionField, log_connection_);
  failure_names_hop_ = link_ && link_->names_hop();
  fail(reason);
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
    if (!finished_) flush_received_data();
    if (finished_ || !link_up_) break;
    if (client_->pending_transmit_bytes() >= kBatchedOutputLimit) {
      progressed = true;
      if (!write_transmit()) {
        in_pump_ = false;
        return;
      }
    }
  }
  in_pump_ = false;
  if (finished_) return;
  if (link_up_ && client_->has_transmit()) {
    if (writing_batched_output || client_->is_closed()) {
      if (!write_transmit()) return;
    } else {
      // A prepare handle runs just before the loop blocks for I/O: the output of everything this
      // iteration handled goes out in one write, and never waits for the next event.
      uv_prepare_start(flusher_, [](uv_prepare_t* p) {
        uv_prepare_stop(p);
        static_cast<SshSession*>(p->data)->write_batched_output();
      });
    }
  }
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

void SshSession::write_batched_output() {
  if (!client_ || finished_ || !link_up_ || !client_->has_transmit()) return;
  writing_batched_output = true;
  write_transmit();
  writing_batched_output = false;
}

bool SshSession::write_transmit() {
  std::string error;
  if (link_->write(client_->take_transmit(), error)) return true;
  fail("write failed: " + error);
  return false;
}

void SshSession::flush_received_data() {
  // One local write per channel for everything one read brought, instead of one per packet.
  router_.flush_data();
}

void SshSession::on_timer() {
  log::Scope scope(log::kConnectionField, log_connection_);
  if (!client_ || finished_) return;
  client_->handle_timeout(now_of(loop_));
  pump();
}

void SshSession::on_link_drained() {
  log::Scope scope(log::kConnectionField, log_connection_);
  if (finished_) return;
  if (link_->queued() <= kOutputLowWatermark) {
    router_.wake_writable();
    if (!finished_) pump();
  }
}

void SshSession::dispatch(ssh::Event& event) {
  if (!session_ids_.empty()) {
    if (const auto* failed = std::get_if<ssh::event::ChannelOpenFailed>(&event)) session_ids_.erase(failed->id);
    if (const auto* closed = std::get_if<ssh::event::ChannelClosed>(&event)) session_ids_.erase(closed->id);
  }
  if (router_.route(event)) return;
  std::visit(
      [&](auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ssh::event::HostKey>) {
          client_->host_key_verdict(delegate_.verify_host_key(*this, e));
        } else if constexpr (std::is_same_v<T, ssh::event::ServerVersion>) {
          link_->established();
          for (const auto& line : e.banner_lines) log::verbose("Server banner line: %s", line.c_str());
          log::verbose("Remote protocol version: %s", e.version.c_str());
        } else if constexpr (std::is_same_v<T, ssh::event::KexComplete>) {
          const auto& a = e.algorithms;
          log::verbose("%s: kex %s, host key %s, cipher %s/%s, mac %s/%s, compression %s/%s%s",
                       e.initial ? "Key exchange" : "Re-key", a.kex.c_str(), a.host_key.c_str(), a.cipher_c2s.c_str(),
                       a.cipher_s2c.c_str(), a.mac_c2s.empty() ? "<implicit>" : a.mac_c2s.c_str(),
                       a.mac_s2c.empty() ? "<implicit>" : a.mac_s2c.c_str(), a.compression_c2s.c_str(),
                       a.compression_s2c.c_str(), a.strict_kex ? ", strict kex" : "");
          if (client_->transport().compression().out_active) log::verbose("Enabling compression at level 6.");
        } else if constexpr (std::is_same_v<T, ssh::event::Debug>) {
          log::info("Remote: %s", e.message.c_str());
        } else if constexpr (std::is_same_v<T, ssh::event::Authenticated>) {
          authenticated_ = true;
          // zlib@openssh.com starts here (plain zlib at the key exchange).
          if (client_->transport().compression().out_active) log::verbose("Enabling compression at level 6.");
          delegate_.on_authenticated(*this, e.method);
        } else if constexpr (std::is_same_v<T, ssh::event::AuthBanner> || std::is_same_v<T, ssh::event::AuthMethods> ||
                             std::is_same_v<T, ssh::event::AuthPublicKeyOk> ||
                             std::is_same_v<T, ssh::event::AuthPrompts>) {
          delegate_.on_auth_event(*this, event);
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

std::optional<ssh::ChannelId> SshSession::open_channel(std::string_view type, ssh::ByteView type_data,
                                                       ChannelHandler& handler) {
  if (!client_ || finished_ || !authenticated_) return std::nullopt;
  client_->advance_time(now_of(loop_));  // the open's round trip sizes the channel window
  auto id = client_->open_channel(type, type_data);
  if (id) router_.set_handler(*id, handler);
  if (id && type == ssh::connection::channel_type::kSession) session_ids_.insert(*id);
  pump();
  return id;
}

std::optional<ssh::ChannelId> SshSession::open_relayed(std::string_view type, std::uint32_t window,
                                                       std::uint32_t max_packet, ssh::ByteView type_data,
                                                       ChannelHandler& handler) {
  if (!client_ || finished_ || !authenticated_) return std::nullopt;
  auto id = client_->open_relayed_channel(type, window, max_packet, type_data);
  if (id) router_.set_handler(*id, handler);
  if (id && type == ssh::connection::channel_type::kSession) session_ids_.insert(*id);
  pump();
  return id;
}

bool SshSession::send_relayed(ssh::ChannelId id, ssh::Bytes payload) {
  if (!client_ || finished_) return false;
  const bool sent = client_->send_relayed(id, std::move(payload));
  pump();
  return sent;
}

bool SshSession::output_has_room() const { return client_ && !finished_ && link_->queued() < kOutputHighWatermark; }

std::optional<std::uint32_t> SshSession::channel_request(ssh::ChannelId id, std::string_view name,
                                                         ssh::ByteView data, bool want_reply) {
  if (!client_ || finished_) return std::nullopt;
  auto seq = client_->channel_request(id, name, data, want_reply);
  pump();
  return seq;
}

void SshSession::register_channel_type(const std::string& type, ChannelRouter::Acceptor acceptor) {
  router_.register_type(type, std::move(acceptor));
}

void SshSession::unregister_channel_type(const std::string& type) { router_.unregister_type(type); }

void SshSession::reply_request(ssh::ChannelId id, bool success) {
  if (client_ && !finished_) client_->reply_channel_request(id, success);
}

void SshSession::accept_channel(ssh::ChannelId id, ChannelHandler& handler) {
  if (!client_ || finished_) return;
  router_.set_handler(id, handler);
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
  if (!client_ || finished_ || link_->queued() >= kOutputHighWatermark) return 0;
  return client_->send_capacity(id);
}

std::size_t SshSession::send(ssh::ChannelId id, ssh::ByteView data) {
  if (!client_ || finished_) return 0;
  if (link_->queued() >= kOutputHighWatermark) {
    // The link is the bottleneck: resume this channel once it drains.
    router_.want_writable(id);
    return 0;
  }
  // The core limits the send to the peer's window and remembers that it did, so that a later
  // WINDOW_ADJUST raises ChannelWritable; hand it everything rather than pre-trimming.
  const std::size_t n = client_->send(id, data);
  pump();
  return n;
}

void SshSession::want_writable(ssh::ChannelId id) { router_.want_writable(id); }

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
    if (client_->has_transmit() && link_ && link_up_) {
      // Best effort: the DISCONNECT goes out if the link can take it now, then the link closes.
      const ssh::Bytes farewell = client_->take_transmit();
      link_->close(farewell);
    }
  }
  fail(why);
}

void SshSession::fail(const std::string& why) {
  if (finished_) return;
  finished_ = true;
  uv_timer_stop(timer_);
  uv_prepare_stop(flusher_);
  if (link_) link_->close({});
  // Channels die with the connection: tell every owner, then forget them.
  global_replies_.clear();
  router_.close_all();
  delegate_.on_disconnected(*this, why, authenticated_);
}

}  // namespace gateway
