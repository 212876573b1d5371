// Connection::handle and the per-message handlers for what the server sends (RFC 4254).
#include <utility>

#include "ssh/connection/connection.hpp"
#include "ssh/connection/message_numbers.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::connection {
namespace {

HandleResult fail(std::string why) {
  return HandleResult{false, std::move(why), false};
}

}  // namespace

HandleResult Connection::handle(Bytes&& payload) {
  HandleResult relayed;
  if (handle_relayed(payload, &payload, relayed)) return relayed;
  if (!payload.empty() && (payload[0] == msg::kChannelData || payload[0] == msg::kChannelExtendedData)) {
    return handle_data(ByteView(payload).subspan(1), payload[0] == msg::kChannelExtendedData, &payload);
  }
  return handle(ByteView(payload));
}

HandleResult Connection::handle(ByteView payload) {
  if (payload.empty()) return fail("empty connection message");
  HandleResult relayed;
  if (handle_relayed(payload, nullptr, relayed)) return relayed;
  const ByteView body = payload.subspan(1);
  switch (payload[0]) {
    case msg::kGlobalRequest:
      return handle_global_request(body);
    case msg::kRequestSuccess:
      return handle_global_reply(true, body);
    case msg::kRequestFailure:
      return handle_global_reply(false, body);
    case msg::kChannelOpen:
      return handle_channel_open(body);
    case msg::kChannelOpenConfirmation:
      return handle_open_confirmation(body);
    case msg::kChannelOpenFailure:
      return handle_open_failure(body);
    case msg::kChannelWindowAdjust:
      return handle_window_adjust(body);
    case msg::kChannelData:
      return handle_data(body, false, nullptr);
    case msg::kChannelExtendedData:
      return handle_data(body, true, nullptr);
    case msg::kChannelEof:
      return handle_eof(body);
    case msg::kChannelClose:
      return handle_close(body);
    case msg::kChannelRequest:
      return handle_channel_request(body);
    case msg::kChannelSuccess:
      return handle_channel_reply(true, body);
    case msg::kChannelFailure:
      return handle_channel_reply(false, body);
    default:
      break;
  }
  return HandleResult{true, {}, true};
}

HandleResult Connection::handle_global_request(ByteView body) {
  wire::Reader r(body);
  std::string_view name;
  bool want_reply = false;
  if (!r.string(name) || !r.boolean(want_reply)) return fail("malformed GLOBAL_REQUEST");
  // Nothing the server asks globally is acted on: keepalive@openssh.com only wants a reply,
  // hostkeys-00@openssh.com (PROTOCOL §2.5) is informational. RFC 4254 §4: unknown requests
  // with want-reply get REQUEST_FAILURE.
  if (want_reply) push(Bytes{msg::kRequestFailure});
  return {};
}

HandleResult Connection::handle_global_reply(bool success, ByteView body) {
  if (pending_globals_.empty()) return fail("global request reply without a request");
  const PendingGlobal p = pending_globals_.front();
  pending_globals_.pop_front();
  if (p.internal) return {};
  // RFC 4254 §4: REQUEST_SUCCESS may carry request-specific data (e.g. the bound port).
  Bytes data;
  if (success) data.assign(body.begin(), body.end());
  events_.emplace_back(cevent::GlobalRequestResult{p.token, success, std::move(data)});
  return {};
}

HandleResult Connection::handle_channel_open(ByteView body) {
  wire::Reader r(body);
  cevent::OpenRequest open;
  std::uint32_t sender_channel = 0;
  if (!r.string(open.type) || !r.u32(sender_channel) || !r.u32(open.initial_window) || !r.u32(open.max_packet)) {
    return fail("malformed CHANNEL_OPEN");
  }
  const ByteView rest = r.rest();
  open.data.assign(rest.begin(), rest.end());
  // Whatever the type, the application decides (it refuses types nobody registered); the core
  // only reserves an id.
  const auto id = allocate();
  if (!id) {
    refuse_open(sender_channel, msg::kOpenResourceShortage, "too many channels");
    return {};
  }
  Channel& ch = *slots_[*id];
  ch.phase = Channel::Phase::incoming;
  ch.type = open.type;
  ch.remote_id = sender_channel;
  ch.remote_window = open.initial_window;
  ch.remote_max_packet = open.max_packet;
  open.id = *id;
  events_.emplace_back(std::move(open));
  return {};
}

void Connection::refuse_open(std::uint32_t sender_channel, std::uint32_t reason, std::string_view description) {
  // RFC 4254 §5.1: recipient channel, reason code, description, language tag.
  wire::Writer w(msg::kChannelOpenFailure);
  w.u32(sender_channel).u32(reason).string(description).string(std::string_view(""));
  push(w.take());
}

HandleResult Connection::handle_open_confirmation(ByteView body) {
  wire::Reader r(body);
  std::uint32_t id = 0, remote_id = 0, window = 0, max_packet = 0;
  if (!r.u32(id) || !r.u32(remote_id) || !r.u32(window) || !r.u32(max_packet)) {
    return fail("malformed CHANNEL_OPEN_CONFIRMATION");
  }
  Channel* ch = find(id);
  if (ch == nullptr || ch->phase != Channel::Phase::opening)
    return fail("CHANNEL_OPEN_CONFIRMATION for an unknown channel");
  ch->phase = Channel::Phase::open;
  ch->remote_id = remote_id;
  ch->remote_window = window;
  ch->remote_max_packet = max_packet;
  events_.emplace_back(cevent::Opened{id});
  if (ch->close_after_open) {
    send_close(id, *ch);
  } else if (ch->eof_after_open) {
    send_eof(id);
  }
  return {};
}

HandleResult Connection::handle_open_failure(ByteView body) {
  wire::Reader r(body);
  std::uint32_t id = 0, reason = 0;
  std::string description;
  std::string_view language;
  if (!r.u32(id) || !r.u32(reason) || !r.string(description) || !r.string(language)) {
    return fail("malformed CHANNEL_OPEN_FAILURE");
  }
  const Channel* ch = find(id);
  if (ch == nullptr || ch->phase != Channel::Phase::opening) return fail("CHANNEL_OPEN_FAILURE for an unknown channel");
  release(id);
  events_.emplace_back(cevent::OpenFailed{id, reason, std::move(description)});
  return {};
}

Channel* Connection::recipient(wire::Reader& r, ChannelId& id, std::string_view what, HandleResult& error) {
  if (!r.u32(id)) {
    error = fail("malformed " + std::string(what));
    return nullptr;
  }
  Channel* ch = find(id);
  if (ch == nullptr || ch->phase != Channel::Phase::open) {
    error = fail(std::string(what) + " for an unknown channel");
    return nullptr;
  }
  return ch;
}

HandleResult Connection::handle_window_adjust(ByteView body) {
  wire::Reader r(body);
  HandleResult error;
  ChannelId id = 0;
  Channel* ch = recipient(r, id, "CHANNEL_WINDOW_ADJUST", error);
  if (ch == nullptr) return error;
  std::uint32_t add = 0;
  if (!r.u32(add)) return fail("malformed CHANNEL_WINDOW_ADJUST");
  // RFC 4254 §5.2: the window may not exceed 2^32 - 1.
  if (add > UINT32_MAX - ch->remote_window) return fail("CHANNEL_WINDOW_ADJUST overflows the window");
  ch->remote_window += add;
  if (ch->send_limited && add > 0 && ch->half_close.can_send()) {
    ch->send_limited = false;
    events_.emplace_back(cevent::Writable{id});
  }
  return {};
}

HandleResult Connection::handle_data(ByteView body, bool extended, Bytes* owned_payload) {
  wire::Reader r(body);
  const char* what = extended ? "CHANNEL_EXTENDED_DATA" : "CHANNEL_DATA";
  std::uint32_t id = 0, type = 0;
  ByteView data;
  if (!r.u32(id) || (extended && !r.u32(type)) || !r.string(data)) return fail(std::string("malformed ") + what);
  Channel* ch = find(id);
  if (ch == nullptr || ch->phase != Channel::Phase::open) return fail(std::string(what) + " for an unknown channel");
  // Data after the peer's EOF, or racing our CLOSE, is dropped: RFC 4254 §5.3 forbids the first,
  // and OpenSSH tolerates it too, so it is not worth tearing down every channel over.
  if (!ch->half_close.accepts_data()) return {};
  // RFC 4254 §5.2: the peer may not exceed the window or the maximum packet size we advertised.
  if (data.size() > config_.max_packet) return fail(std::string(what) + " larger than the maximum packet size");
  if (data.size() > ch->local_window) return fail(std::string(what) + " beyond the channel window");
  if (data.empty()) return {};
  ch->local_window -= static_cast<std::uint32_t>(data.size());
  ch->unconsumed += data.size();
  if (owned_payload != nullptr) {
    // Reuse the payload's buffer: drop the message header in front of the data.
    Bytes& p = *owned_payload;
    const auto offset = static_cast<std::ptrdiff_t>(data.data() - p.data());
    const std::size_t size = data.size();
    p.erase(p.begin(), p.begin() + offset);
    p.resize(size);
    events_.emplace_back(cevent::Data{id, std::move(p), type});
    return {};
  }
  events_.emplace_back(cevent::Data{id, Bytes(data.begin(), data.end()), type});
  return {};
}

HandleResult Connection::handle_eof(ByteView body) {
  wire::Reader r(body);
  HandleResult error;
  ChannelId id = 0;
  Channel* ch = recipient(r, id, "CHANNEL_EOF", error);
  if (ch == nullptr) return error;
  if (!ch->half_close.remote_eof()) return {};
  events_.emplace_back(cevent::Eof{id});
  if (ch->half_close.both_eof()) send_close(id, *ch);
  return {};
}

HandleResult Connection::handle_close(ByteView body) {
  wire::Reader r(body);
  HandleResult error;
  ChannelId id = 0;
  Channel* ch = recipient(r, id, "CHANNEL_CLOSE", error);
  if (ch == nullptr) return error;
  ch->half_close.remote_close();
  // RFC 4254 §5.3: answer with our own CLOSE unless already sent; either way the channel is done.
  if (ch->half_close.may_send_anything()) {
    send_close(id, *ch);
  } else {
    maybe_finish(id, *ch);
  }
  return {};
}

HandleResult Connection::handle_channel_request(ByteView body) {
  wire::Reader r(body);
  HandleResult error;
  ChannelId id = 0;
  Channel* ch = recipient(r, id, "CHANNEL_REQUEST", error);
  if (ch == nullptr) return error;
  cevent::Request request;
  request.id = id;
  if (!r.string(request.name) || !r.boolean(request.want_reply)) return fail("malformed CHANNEL_REQUEST");
  // After our CLOSE nothing may be answered (RFC 4254 §5.3), but what the request says (an
  // exit-status racing our CLOSE) is still worth knowing.
  if (!ch->half_close.may_send_anything()) request.want_reply = false;
  const ByteView rest = r.rest();
  request.data.assign(rest.begin(), rest.end());
  if (request.want_reply) ++ch->replies_owed;
  events_.emplace_back(std::move(request));
  return {};
}

HandleResult Connection::handle_channel_reply(bool success, ByteView body) {
  wire::Reader r(body);
  HandleResult error;
  ChannelId id = 0;
  Channel* ch = recipient(r, id, success ? "CHANNEL_SUCCESS" : "CHANNEL_FAILURE", error);
  if (ch == nullptr) return error;
  if (ch->replies_received == ch->requests_sent) return fail("channel request reply without a request");
  events_.emplace_back(cevent::RequestResult{id, ++ch->replies_received, success});
  return {};
}

}  // namespace ssh::connection
