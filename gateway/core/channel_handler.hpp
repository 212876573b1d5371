#pragma once
// What a channel's owner (a ChannelPump, in practice) hears from the SSH connection.
#include <cstdint>
#include <string>

#include "ssh/client/client.hpp"

namespace gateway {

class ChannelHandler {
 public:
  virtual ~ChannelHandler() = default;
  virtual void on_open_confirmed() = 0;
  virtual void on_open_failed(std::uint32_t reason, const std::string& description) = 0;
  // Data the owner must pass on and then acknowledge with SshSession::consume().
  virtual void on_data(ssh::Bytes data, std::uint32_t extended_type) = 0;
  // Ends a run of on_data calls (all the packets of one read from the server): data held back
  // can now go out in one write.
  virtual void on_data_flush() {}
  // More can be sent (window reopened or the connection's output queue drained).
  virtual void on_writable() = 0;
  virtual void on_eof() = 0;
  // A request from the server on this channel (exit-status ...): true when it was understood. The
  // session answers want-reply requests with the result.
  virtual bool on_request(const ssh::event::ChannelRequest&) { return false; }
  // The answer to a want-reply request sent on this channel (`seq` as returned when sending).
  virtual void on_request_result(std::uint32_t /*seq*/, bool /*success*/) {}
  // A server message for a relayed channel (SshSession::open_relayed), whole.
  virtual void on_relayed(ssh::Bytes /*payload*/) {}
  // Final: the channel id is gone; the handler may delete itself.
  virtual void on_closed() = 0;
};

}  // namespace gateway
