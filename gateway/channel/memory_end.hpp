#pragma once
// A LocalEnd whose local side is code in this process rather than a descriptor: the DNS relay's
// pipelined resolver connection, the output of a command run on the server. The pump drives it
// like any other end, so window credit, half-close and teardown stay the pump's business.
//
// - channel -> local: each write is handed to `on_data` as bytes and completes at once (the code
//   has taken them), so credit goes back to the channel straight away; the server's EOF reaches
//   `on_eof`.
// - local -> channel: send() and finish() queue bytes and EOF; they are delivered while the pump
//   reads and wait while it does not (read_stop is the pump's backpressure), so what is queued is
//   bounded by what the code chooses to send.
// - `on_closed` is the last callback: the end is destroyed by its pump right after, so whoever
//   keeps a pointer to it drops it there. detach() silences every callback (the code goes first).
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/channel/local_end.hpp"

namespace gateway {

class MemoryEnd final : public LocalEnd {
 public:
  struct Callbacks {
    std::function<void(ssh::ByteView data)> on_data;  // channel data (and control bytes)
    std::function<void()> on_eof;                     // the server sends nothing more
    std::function<void()> on_closed;                  // the end is going away
  };

  explicit MemoryEnd(Callbacks callbacks);
  ~MemoryEnd() override;
  MemoryEnd(const MemoryEnd&) = delete;
  MemoryEnd& operator=(const MemoryEnd&) = delete;

  // Bytes for the channel, after everything sent before. Ignored once finished or closed.
  void send(ssh::Bytes bytes);
  // No more bytes for the channel: CHANNEL_EOF once the queued ones went.
  void finish();
  // The code is going away: no callback is made from now on; the pump still winds the end down.
  void detach() { detached_ = true; }

  // Bytes queued and not yet taken by the pump (it is not reading).
  std::size_t queued() const { return queued_bytes_; }
  bool reading() const { return reading_; }
  bool closed() const { return closing_; }

  void bind(LocalEndOwner& owner) override { owner_ = &owner; }
  void read_start() override;
  void read_stop() override;
  void write(std::vector<ssh::Bytes> parts, Stream stream) override;
  void shutdown_output() override;
  void close() override;

 private:
  // Delivers what is queued while the pump reads. Any callback may end the end's life, so each
  // is followed by a check of alive_.
  void deliver();

  Callbacks callbacks_;
  LocalEndOwner* owner_ = nullptr;
  std::deque<ssh::Bytes> queue_;
  std::size_t queued_bytes_ = 0;
  bool reading_ = false;
  bool delivering_ = false;
  bool finish_wanted_ = false;
  bool eof_delivered_ = false;
  bool closing_ = false;
  bool closed_reported_ = false;
  // Callbacks are not cleared on detach(): one of them may be running (the code detaching from it).
  bool detached_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class ChannelPump;

// For an owner that goes away before its pump: the end stops calling back, the pump is told nobody
// observes it any more and aborted (it winds down and deletes itself); both pointers are cleared.
void abandon_pump(ChannelPump*& pump, MemoryEnd*& end);

}  // namespace gateway
