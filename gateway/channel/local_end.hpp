#pragma once
// The local side of a channel, whatever it is: a socket, a set of descriptors (stdin/stdout/stderr),
// a Link of another SSH connection (ProxyJump), a reverse-SOCKS or X11 client still in its
// handshake. The ChannelPump drives it; it reports back through LocalEndOwner.
//
// Rules that keep the pump simple and safe:
// - Completions may be reported from inside the call that started them (a write that went out at
//   once) or later from the event loop.
// - on_local_closed() is the end's last word: it comes once, after close(), and nothing of the end
//   may be touched after it (the owner may destroy the end from inside that call, or right after).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ssh/wire/bytes.hpp"

namespace gateway {

class LocalEndOwner {
 public:
  // Bytes read locally; valid only during the call (the owner copies what it cannot send now).
  virtual void on_local_data(ssh::ByteView data) = 0;
  // The local side will send nothing more.
  virtual void on_local_eof() = 0;
  // Reading or writing failed: the local side is unusable (the owner closes everything).
  virtual void on_local_error(const std::string& why) = 0;
  // A write() of channel data finished: `credit` bytes may be acknowledged to the channel (0 for
  // control writes).
  virtual void on_local_written(std::size_t credit) = 0;
  // shutdown_output() finished (or the end has no way to signal EOF and considers it done).
  virtual void on_local_output_shut() = 0;
  // close() finished. Final.
  virtual void on_local_closed() = 0;

 protected:
  ~LocalEndOwner() = default;
};

class LocalEnd {
 public:
  // Where written bytes belong: the channel's data, its extended data (stderr), or bytes of our
  // own for the local side (a SOCKS reply) that earn the channel no window credit.
  enum class Stream : std::uint8_t { data, extended, control };

  virtual ~LocalEnd() = default;
  // Called once by the pump before anything else.
  virtual void bind(LocalEndOwner& owner) = 0;
  // Deliver local bytes through on_local_data / on_local_eof until read_stop().
  virtual void read_start() = 0;
  virtual void read_stop() = 0;
  // Writes the parts in order, after every earlier write. Each write completes with one
  // on_local_written, even when it failed (then on_local_error comes first). An end without a
  // place for extended data discards it (and still completes it).
  virtual void write(std::vector<ssh::Bytes> parts, Stream stream) = 0;
  // No more writes will come: signal EOF to the local side once earlier writes are out.
  virtual void shutdown_output() = 0;
  // Stops everything and releases the local side; on_local_closed follows. Idempotent.
  virtual void close() = 0;
  // The channel ended without the peer's EOF (the connection died, the target reset, the channel
  // was closed mid-stream). By default that is taken as an EOF (shutdown_output follows, as ssh
  // does); an end that can tell its local side the truth (a TCP reset) returns true, and then only
  // close() follows.
  virtual bool channel_lost() { return false; }
};

}  // namespace gateway
