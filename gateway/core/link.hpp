#pragma once
// What carries one SSH connection's bytes: a TCP socket (TcpLink) or a direct-tcpip channel of
// another SSH connection, for ProxyJump (JumpLink). The SSH core does not care which.
#include <cstddef>
#include <string>

#include "ssh/wire/bytes.hpp"

namespace gateway {

// The link's owner. No callback arrives after Link::close() or after on_link_failed().
class LinkObserver {
 public:
  virtual ~LinkObserver() = default;
  // The byte stream is up: the SSH version exchange may begin.
  virtual void on_link_connected() = 0;
  // Bytes from the peer. They count as consumed when the call returns.
  virtual void on_link_data(ssh::ByteView data) = 0;
  // Some queued output left (queued() went down).
  virtual void on_link_drained() = 0;
  // The link is gone; `reason` is for the user. Final.
  virtual void on_link_failed(const std::string& reason) = 0;
};

class Link {
 public:
  virtual ~Link() = default;
  // Begins connecting; progress arrives through the observer.
  virtual void start() = 0;
  // Queues bytes for the peer. false (with `error`) when the link cannot take them; no
  // on_link_failed follows for that failure.
  virtual bool write(ssh::Bytes bytes, std::string& error) = 0;
  // Bytes accepted by write() and not yet handed on: the owner's output backpressure.
  virtual std::size_t queued() const = 0;
  // Stops / restarts on_link_data; data already received waits in the link.
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;
  // The peer's SSH version arrived: ConnectTimeout (which covers the banner, as in ssh) ends here.
  virtual void established() = 0;
  // Best effort: sends `farewell` (a DISCONNECT) if it can go out now, then closes. No callbacks
  // afterwards. Idempotent.
  virtual void close(ssh::ByteView farewell) = 0;
  // True when failure reasons already say where along a jump chain they happened.
  virtual bool names_hop() const { return false; }
  // The server's numeric address when the link is a direct TCP connection (for CheckHostIP);
  // empty for any other kind of link.
  virtual std::string peer_address() const { return {}; }
};

}  // namespace gateway
