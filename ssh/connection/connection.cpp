#include "ssh/connection/connection.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "ssh/connection/message_numbers.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::connection {
namespace {

// Largest CHANNEL_DATA we build, whatever the peer advertises: RFC 4253 §6.1 only guarantees
// 32768-byte payloads, and OpenSSH's own maximum packet is well above this.
constexpr std::uint32_t kMaxSendChunk = 64 * 1024;

}  // namespace

Connection::Connection(ConnectionConfig config) : config_(config) {
  // A zero window or packet size would stall every channel; keep the minimum usable.
  config_.window = std::max<std::uint32_t>(config_.window, 1024);
  config_.max_packet = std::max<std::uint32_t>(config_.max_packet, 1024);
}

Connection::~Connection() = default;

const Channel* Connection::channel(ChannelId id) const {
  if (id >= slots_.size()) return nullptr;
  return slots_[id].get();
}

Channel* Connection::find(ChannelId id) {
  if (id >= slots_.size()) return nullptr;
  return slots_[id].get();
}

std::optional<ChannelId> Connection::allocate() {
  if (live_ >= config_.max_channels) return std::nullopt;
  ChannelId id = 0;
  if (!free_ids_.empty()) {
    id = *free_ids_.begin();
    free_ids_.erase(free_ids_.begin());
  } else {
    id = static_cast<ChannelId>(slots_.size());
    slots_.emplace_back();
  }
  slots_[id] = std::make_unique<Channel>();
  slots_[id]->local_window = config_.window;
  slots_[id]->window_size = config_.window;
  ++live_;
  return id;
}

void Connection::release(ChannelId id) {
  if (id >= slots_.size() || !slots_[id]) return;
  slots_[id].reset();
  free_ids_.insert(id);
  --live_;
}

std::optional<ChannelId> Connection::open(std::string_view type, ByteView type_data, std::uint32_t window) {
  const auto id = allocate();
  if (!id) return std::nullopt;
  Channel& ch = *slots_[*id];
  ch.type = type;
  if (window != 0) {
    ch.local_window = std::max<std::uint32_t>(window, 1024);
    ch.window_size = ch.local_window;
  }
  // RFC 4254 §5.1: channel type, sender channel, initial window size, maximum packet size, then
  // the type-specific data.
  wire::Writer w(msg::kChannelOpen);
  w.string(type).u32(*id).u32(ch.local_window).u32(config_.max_packet).raw(type_data);
  push(w.take());
  return id;
}

std::size_t Connection::send_capacity(ChannelId id) const {
  const Channel* ch = channel(id);
  if (ch == nullptr || ch->phase != Channel::Phase::open || !ch->half_close.can_send()) return 0;
  if (ch->remote_max_packet == 0) return 0;
  return ch->remote_window;
}

std::size_t Connection::send(ChannelId id, ByteView data, std::uint32_t extended_type, std::size_t limit) {
  struct Queue final : PayloadSink {
    explicit Queue(Connection& c) : conn(c) {}
    bool payload(ByteView head, ByteView body) override {
      Bytes p;
      p.reserve(head.size() + body.size());
      p.insert(p.end(), head.begin(), head.end());
      p.insert(p.end(), body.begin(), body.end());
      conn.push(std::move(p));
      return true;
    }
    Connection& conn;
  } queue(*this);
  return send(id, data, extended_type, limit, queue);
}

std::size_t Connection::send(ChannelId id, ByteView data, std::uint32_t extended_type, std::size_t limit,
                             PayloadSink& sink) {
  Channel* ch = find(id);
  if (ch == nullptr || data.empty()) return 0;
  const std::size_t take = std::min({send_capacity(id), data.size(), limit});
  ch->send_limited = take < data.size();
  const std::size_t chunk = std::min(ch->remote_max_packet, kMaxSendChunk);
  // RFC 4254 §5.2: each packet carries at most the peer's maximum packet size of data.
  std::size_t sent = 0;
  while (sent < take) {
    const ByteView piece = data.subspan(sent, std::min(chunk, take - sent));
    // byte type, uint32 recipient, [uint32 data_type_code,] uint32 length: then the data itself.
    std::array<std::uint8_t, 13> head{};
    std::size_t n = 0;
    auto u32 = [&](std::uint32_t v) {
      for (int shift = 24; shift >= 0; shift -= 8) head[n++] = static_cast<std::uint8_t>(v >> shift);
    };
    head[n++] = extended_type == 0 ? msg::kChannelData : msg::kChannelExtendedData;
    u32(ch->remote_id);
    if (extended_type != 0) u32(extended_type);
    u32(static_cast<std::uint32_t>(piece.size()));
    if (!sink.payload(ByteView(head.data(), n), piece)) break;
    sent += piece.size();
  }
  if (sent < take) ch->send_limited = true;
  ch->remote_window -= static_cast<std::uint32_t>(sent);
  return sent;
}

void Connection::consume(ChannelId id, std::size_t n) {
  Channel* ch = find(id);
  if (ch == nullptr) return;
  // Credit only for bytes actually delivered: the application cannot grow our window.
  const auto credit = static_cast<std::uint32_t>(std::min<std::uint64_t>(n, ch->unconsumed));
  ch->unconsumed -= credit;
  ch->consumed += credit;
  // Batched (one WINDOW_ADJUST per eighth of the window, not per read), yet early enough that the
  // peer keeps nearly the whole window in flight: on a long link throughput is window / RTT, and
  // waiting for half the window (as OpenSSH does) would halve it.
  if (ch->consumed < std::max(ch->window_size / 8, config_.max_packet)) return;
  if (!ch->half_close.accepts_data()) return;  // nothing more will arrive; credit is moot
  wire::Writer w(msg::kChannelWindowAdjust);
  w.u32(ch->remote_id).u32(ch->consumed);
  push(w.take());
  ch->local_window += ch->consumed;
  ch->consumed = 0;
}

void Connection::set_window(std::uint32_t window) { config_.window = std::max<std::uint32_t>(window, 1024); }

bool Connection::enlarge_window(ChannelId id, std::uint32_t window) {
  Channel* ch = find(id);
  if (ch == nullptr || ch->phase != Channel::Phase::open || window <= ch->window_size) return false;
  if (!ch->half_close.accepts_data()) return false;
  // RFC 4254 §5.2: the window may be widened at any time by granting more than was consumed.
  const std::uint32_t extra = window - ch->window_size;
  wire::Writer w(msg::kChannelWindowAdjust);
  w.u32(ch->remote_id).u32(extra);
  push(w.take());
  ch->local_window += extra;
  ch->window_size = window;
  return true;
}

void Connection::send_eof(ChannelId id) {
  Channel* ch = find(id);
  if (ch == nullptr) return;
  if (ch->phase != Channel::Phase::open) {
    ch->eof_after_open = true;
    return;
  }
  if (!ch->half_close.local_eof()) return;
  wire::Writer w(msg::kChannelEof);
  w.u32(ch->remote_id);
  push(w.take());
  if (ch->half_close.both_eof()) send_close(id, *ch);
}

void Connection::send_close(ChannelId id, Channel& ch) {
  if (!ch.half_close.local_close()) return;
  wire::Writer w(msg::kChannelClose);
  w.u32(ch.remote_id);
  push(w.take());
  maybe_finish(id, ch);
}

void Connection::maybe_finish(ChannelId id, Channel& ch) {
  if (!ch.half_close.finished()) return;
  events_.emplace_back(cevent::Closed{id});
  release(id);
}

void Connection::close(ChannelId id) {
  Channel* ch = find(id);
  if (ch == nullptr) return;
  if (ch->phase == Channel::Phase::opening) {
    // No remote id yet: CLOSE goes out when the confirmation arrives.
    ch->close_after_open = true;
    return;
  }
  if (ch->phase == Channel::Phase::incoming) {
    // Never confirmed, so the peer expects OPEN_FAILURE rather than CLOSE (RFC 4254 §5.1).
    reject(id, msg::kOpenConnectFailed, "channel closed before it was accepted");
    return;
  }
  send_close(id, *ch);
}

bool Connection::accept(ChannelId id) {
  Channel* ch = find(id);
  if (ch == nullptr || ch->phase != Channel::Phase::incoming) return false;
  // RFC 4254 §5.1: recipient channel, sender channel, initial window, maximum packet size.
  wire::Writer w(msg::kChannelOpenConfirmation);
  w.u32(ch->remote_id).u32(id).u32(ch->local_window).u32(config_.max_packet);
  push(w.take());
  // No Opened event: the application answered synchronously and already knows.
  ch->phase = Channel::Phase::open;
  if (ch->eof_after_open) send_eof(id);
  return true;
}

bool Connection::reject(ChannelId id, std::uint32_t reason, std::string_view description) {
  Channel* ch = find(id);
  if (ch == nullptr || ch->phase != Channel::Phase::incoming) return false;
  refuse_open(ch->remote_id, reason, description);
  release(id);
  return true;
}

std::optional<std::uint32_t> Connection::request(ChannelId id, std::string_view name, ByteView data,
                                                  bool want_reply) {
  Channel* ch = find(id);
  if (ch == nullptr || ch->phase != Channel::Phase::open || !ch->half_close.may_send_anything()) return std::nullopt;
  // RFC 4254 §5.4: recipient channel, request type, want reply, type-specific data.
  wire::Writer w(msg::kChannelRequest);
  w.u32(ch->remote_id).string(name).boolean(want_reply).raw(data);
  push(w.take());
  if (!want_reply) return 0;
  return ++ch->requests_sent;
}

bool Connection::reply_request(ChannelId id, bool success) {
  Channel* ch = find(id);
  if (ch == nullptr || ch->replies_owed == 0) return false;
  --ch->replies_owed;
  // Nothing may follow our CLOSE (RFC 4254 §5.3); the peer no longer waits for the answer.
  if (ch->phase != Channel::Phase::open || !ch->half_close.may_send_anything()) return false;
  wire::Writer w(success ? msg::kChannelSuccess : msg::kChannelFailure);
  w.u32(ch->remote_id);
  push(w.take());
  return true;
}

std::uint64_t Connection::global_request(std::string_view name, ByteView request_data, bool want_reply) {
  const std::uint64_t token = next_token_++;
  wire::Writer w(msg::kGlobalRequest);
  w.string(name).boolean(want_reply).raw(request_data);
  push(w.take());
  if (want_reply) pending_globals_.push_back({token, false});
  return token;
}

void Connection::send_keepalive() {
  wire::Writer w(msg::kGlobalRequest);
  w.string(std::string_view("keepalive@openssh.com")).boolean(true);
  push(w.take());
  pending_globals_.push_back({0, true});
}

std::optional<Bytes> Connection::poll_send() {
  if (out_.empty()) return std::nullopt;
  Bytes p = std::move(out_.front());
  out_.pop_front();
  return p;
}

std::optional<ConnectionEvent> Connection::poll_event() {
  if (events_.empty()) return std::nullopt;
  ConnectionEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

}  // namespace ssh::connection
