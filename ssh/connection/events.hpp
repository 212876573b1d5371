#pragma once
// What the connection protocol layer reports upward (RFC 4254). ssh::Client maps these one to one
// onto its public events.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "ssh/wire/bytes.hpp"

namespace ssh::connection {

using ChannelId = std::uint32_t;

namespace cevent {
struct Opened {
  ChannelId id;
};
struct OpenFailed {
  ChannelId id;
  std::uint32_t reason;
  std::string description;
};
struct Data {
  ChannelId id;
  Bytes data;
  std::uint32_t extended_type;
};
struct Writable {
  ChannelId id;
};
struct Eof {
  ChannelId id;
};
struct Closed {
  ChannelId id;
};
struct Exit {
  ChannelId id;
  std::optional<std::uint32_t> status;
  std::string signal;
};
struct RequestResult {
  ChannelId id;
  bool success;
};
struct GlobalRequestResult {
  std::uint64_t token;
  bool success;
  Bytes data;
};
// The server opened a forwarded-tcpip (RFC 4254 §7.2) or forwarded-streamlocal@openssh.com
// (OpenSSH PROTOCOL §2.4) channel; `id` is reserved until Connection::accept() or reject().
struct OpenRequest {
  ChannelId id;
  std::string type;
  std::string connected_address;
  std::uint32_t connected_port = 0;
  std::string originator_address;
  std::uint32_t originator_port = 0;
  std::string socket_path;
};
}  // namespace cevent

using ConnectionEvent = std::variant<cevent::Opened, cevent::OpenFailed, cevent::Data, cevent::Writable, cevent::Eof,
                                     cevent::Closed, cevent::Exit, cevent::RequestResult, cevent::GlobalRequestResult,
                                     cevent::OpenRequest>;

}  // namespace ssh::connection
