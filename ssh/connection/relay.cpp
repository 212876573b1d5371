// Relayed channels (Connection::open_relayed): the channels of a client that speaks the connection
// protocol itself over OpenSSH's mux socket (ssh -O proxy), carried on this connection. Only ids are
// ours: windows, data and requests pass through whole, so the two ends keep their own flow control.
#include <utility>

#include "ssh/connection/connection.hpp"
#include "ssh/connection/message_numbers.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::connection {
namespace {

bool addressed_to_channel(std::uint8_t type) {
  return type >= msg::kChannelOpenConfirmation && type <= msg::kChannelFailure;
}

void put_u32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

}  // namespace

std::optional<ChannelId> Connection::open_relayed(std::string_view type, std::uint32_t window,
                                                  std::uint32_t max_packet, ByteView type_data) {
  const auto id = allocate();
  if (!id) return std::nullopt;
  Channel& ch = *slots_[*id];
  ch.type = type;
  ch.relayed = true;
  wire::Writer w(msg::kChannelOpen);
  w.string(type).u32(*id).u32(window).u32(max_packet).raw(type_data);
  push(w.take());
  return id;
}

bool Connection::send_relayed(ChannelId id, Bytes payload) {
  Channel* ch = find(id);
  if (ch == nullptr || !ch->relayed || ch->phase != Channel::Phase::open || ch->relay_close_sent) return false;
  if (payload.size() < 5 || payload[0] < msg::kChannelWindowAdjust || payload[0] > msg::kChannelFailure) return false;
  put_u32(payload.data() + 1, ch->remote_id);
  const bool closing = payload[0] == msg::kChannelClose;
  push(std::move(payload));
  if (closing) {
    ch->relay_close_sent = true;
    if (ch->relay_close_received) finish_relayed(id);
  }
  return true;
}

void Connection::finish_relayed(ChannelId id) {
  release(id);
  events_.emplace_back(cevent::Closed{id});
}

bool Connection::handle_relayed(ByteView payload, Bytes* owned, HandleResult& result) {
  if (payload.size() < 5 || !addressed_to_channel(payload[0])) return false;
  wire::Reader r(payload.subspan(1));
  std::uint32_t id = 0;
  if (!r.u32(id)) return false;
  Channel* ch = find(id);
  if (ch == nullptr || !ch->relayed) return false;
  const std::uint8_t type = payload[0];
  result = {};
  if (ch->phase == Channel::Phase::opening) {
    if (type == msg::kChannelOpenConfirmation) {
      std::uint32_t remote_id = 0;
      if (!r.u32(remote_id)) {
        result = HandleResult{false, "malformed CHANNEL_OPEN_CONFIRMATION", false};
        return true;
      }
      ch->phase = Channel::Phase::open;
      ch->remote_id = remote_id;
    } else if (type != msg::kChannelOpenFailure) {
      result = HandleResult{false, "message for a relayed channel that is not open yet", false};
      return true;
    }
  } else if (type == msg::kChannelOpenConfirmation || type == msg::kChannelOpenFailure) {
    result = HandleResult{false, "second answer to a relayed channel's open", false};
    return true;
  }
  Bytes whole = owned != nullptr ? std::move(*owned) : Bytes(payload.begin(), payload.end());
  events_.emplace_back(cevent::Relayed{id, std::move(whole)});
  if (type == msg::kChannelOpenFailure) {
    finish_relayed(id);
  } else if (type == msg::kChannelClose) {
    ch->relay_close_received = true;
    if (ch->relay_close_sent) finish_relayed(id);
  }
  return true;
}

}  // namespace ssh::connection
