#pragma once
// The SSH connection as the owner of a channel sees it: SshSession, or a fake in unit tests.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/core/channel_handler.hpp"
#include "ssh/wire/bytes.hpp"

namespace gateway {

class ChannelHost {
 public:
  // Opens a channel of any type with its type-specific data (ssh/connection/channel_types.hpp);
  // nullopt when it cannot now. The handler must outlive the channel (until on_closed).
  virtual std::optional<ssh::ChannelId> open_channel(std::string_view type, ssh::ByteView type_data,
                                                     ChannelHandler& handler) = 0;
  // Answers a server-opened channel: the handler takes it as for one we opened.
  virtual void accept_channel(ssh::ChannelId id, ChannelHandler& handler) = 0;
  virtual void reject_channel(ssh::ChannelId id, std::uint32_t reason, const std::string& description) = 0;
  // A channel request (RFC 4254 §5.4); its reply, when wanted, reaches the handler's
  // on_request_result with the returned number. nullopt when nothing was sent.
  virtual std::optional<std::uint32_t> channel_request(ssh::ChannelId id, std::string_view name, ssh::ByteView data,
                                                       bool want_reply) = 0;
  // Takes what the channel can carry now; when that is less than offered, on_writable follows.
  virtual std::size_t send(ssh::ChannelId id, ssh::ByteView data) = 0;
  // n received bytes were passed on: window credit goes back (batched).
  virtual void consume(ssh::ChannelId id, std::size_t n) = 0;
  virtual void send_eof(ssh::ChannelId id) = 0;
  virtual void close_channel(ssh::ChannelId id) = 0;
  // on_writable() once the connection's output queue has room again.
  virtual void want_writable(ssh::ChannelId id) = 0;

 protected:
  ~ChannelHost() = default;
};

}  // namespace gateway
