#pragma once
// One entry of the channel table (RFC 4254 §5): ids, both flow-control windows and the
// half-close state. No buffers: data passes straight through as events and payloads, so an idle
// channel costs only this struct.
#include <cstdint>
#include <string>

#include "ssh/connection/half_close.hpp"

namespace ssh::connection {

struct Channel {
  // opening: we sent CHANNEL_OPEN and wait for the answer. incoming: the server opened it and
  // the application has not yet accepted or rejected it (remote_* already known). open: both
  // sides know each other's ids.
  enum class Phase : std::uint8_t { opening, incoming, open };

  Phase phase = Phase::opening;
  std::string type;  // "session", "direct-tcpip" ... as opened (RFC 4254 §5.1)
  std::uint32_t remote_id = 0;
  // What the peer lets us send (RFC 4254 §5.2).
  std::uint32_t remote_window = 0;
  std::uint32_t remote_max_packet = 0;
  // Credit the peer still has from what we advertised, and the credit we keep topping it up to.
  std::uint32_t local_window = 0;
  std::uint32_t window_size = 0;
  // Delivered to the application but not yet passed on (consume()).
  std::uint64_t unconsumed = 0;
  // Passed on but not yet returned to the peer in a WINDOW_ADJUST.
  std::uint32_t consumed = 0;
  // Our want-reply requests are numbered from 1; the peer answers them in order (RFC 4254 §5.4),
  // so the next answer belongs to request replies_received + 1.
  std::uint32_t requests_sent = 0;
  std::uint32_t replies_received = 0;
  // The peer's want-reply requests the application has not answered yet.
  std::uint32_t replies_owed = 0;
  HalfClose half_close;
  // Relayed (Connection::open_relayed): its messages pass through whole, in both directions;
  // windows and requests are the business of the two ends.
  bool relayed = false;
  bool relay_close_sent = false;
  bool relay_close_received = false;
  bool send_limited = false;      // the last send() could not take everything
  bool eof_after_open = false;    // send_eof() before the open was confirmed (or accepted)
  bool close_after_open = false;  // close() before the open was confirmed
};

}  // namespace ssh::connection
