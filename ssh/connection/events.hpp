#pragma once
// What the connection protocol layer reports upward (RFC 4254). These are defined once: ssh::Client
// passes them on as they are (see ssh/client/client.hpp), and the gateway routes them by channel.
// Nothing here knows a channel type: type-specific data travels as bytes and is read with the typed
// codecs beside the core (channel_types.hpp, session_requests.hpp).
#include <cstdint>
#include <string>
#include <variant>

#include "ssh/wire/bytes.hpp"

namespace ssh::connection {

using ChannelId = std::uint32_t;

namespace cevent {
// A channel we opened was confirmed.
struct Opened {
  ChannelId id;
};
// RFC 4254 §5.1 reason codes (1 administratively prohibited, 2 connect failed, 3 unknown type,
// 4 resource shortage). The id is free again.
struct OpenFailed {
  ChannelId id;
  std::uint32_t reason;
  std::string description;
};
struct Data {
  ChannelId id;
  Bytes data;
  std::uint32_t extended_type;  // 0 for normal data, 1 for stderr (RFC 4254 §5.2)
};
// The peer's window grew after send() had been limited: more can be sent now.
struct Writable {
  ChannelId id;
};
struct Eof {
  ChannelId id;
};
// Both sides have closed; the id may be reused after this event.
struct Closed {
  ChannelId id;
};
// A CHANNEL_REQUEST from the server (RFC 4254 §5.4): exit-status, exit-signal, keepalive@openssh.com
// ... When want_reply is set, the application answers with reply_request(), in arrival order.
struct Request {
  ChannelId id;
  std::string name;
  bool want_reply;
  Bytes data;  // the type-specific part, after want-reply
};
// The answer to a want-reply request we sent; `seq` is the number request() returned for it.
struct RequestResult {
  ChannelId id;
  std::uint32_t seq;
  bool success;
};
struct GlobalRequestResult {
  std::uint64_t token;
  bool success;
  Bytes data;  // RFC 4254 §4: request-specific data of REQUEST_SUCCESS (e.g. the bound port)
};
// The server opens a channel to us (RFC 4254 §5.1): any type, with its type-specific data. `id`
// is reserved until the application calls accept() or reject().
struct OpenRequest {
  ChannelId id;
  std::string type;
  Bytes data;
  std::uint32_t initial_window = 0;
  std::uint32_t max_packet = 0;
};
// A message from the server for a relayed channel (Connection::open_relayed), whole and as
// received: type byte, recipient channel (our id), the rest. After the OPEN_FAILURE or the CLOSE
// that ends it, Closed follows.
struct Relayed {
  ChannelId id;
  Bytes payload;
};
}  // namespace cevent

using ConnectionEvent = std::variant<cevent::Opened, cevent::OpenFailed, cevent::Data, cevent::Writable, cevent::Eof,
                                     cevent::Closed, cevent::Request, cevent::RequestResult,
                                     cevent::GlobalRequestResult, cevent::OpenRequest, cevent::Relayed>;

}  // namespace ssh::connection
