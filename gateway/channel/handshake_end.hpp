#pragma once
// A local end whose local side is only known after a handshake: the reverse-SOCKS client's request
// (-R with no target), the X11 client's cookie, the agent's session binding. Until then the pump's
// writes feed handshake_data() and reply() answers go back to the channel; bytes that arrive after
// the handshake wait (with their window credit) until the subclass has connected and calls
// connected(). From there on it relays like a StreamEnd on that socket. A handshake that is not done
// within the timeout fails.
#include <uv.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/channel/local_end.hpp"
#include "gateway/channel/stream_end.hpp"

namespace gateway {

class HandshakeEnd : public LocalEnd, private LocalEndOwner {
 public:
  ~HandshakeEnd() override;
  HandshakeEnd(const HandshakeEnd&) = delete;
  HandshakeEnd& operator=(const HandshakeEnd&) = delete;

  void bind(LocalEndOwner& owner) final { owner_ = &owner; }
  void read_start() final;
  void read_stop() final;
  void write(std::vector<ssh::Bytes> parts, Stream stream) final;
  void shutdown_output() final;
  void close() override;

 protected:
  HandshakeEnd(uv_loop_t* loop, std::chrono::milliseconds timeout, std::string label);

  // Handshake bytes from the channel's peer; returns how many belong to the handshake. Once it is
  // complete (call handshake_complete() first), the rest is data for the local side.
  virtual std::size_t handshake_data(ssh::ByteView data) = 0;
  // The peer finished sending before the handshake was complete.
  virtual void handshake_eof() { fail("client closed during the handshake"); }
  // The end is closing: stop whatever is in progress (connects, lookups).
  virtual void cancel() {}

  void handshake_complete() { complete_ = true; }
  // Bytes for the channel's peer (handshake answers).
  void reply(ssh::Bytes bytes);
  // The local side is connected: `first` goes to it ahead of the held bytes, then everything relays.
  void connected(uv_stream_t* stream, ssh::Bytes first = {});
  // The handshake failed: after any reply already given, the channel is closed.
  void fail(const std::string& why);
  bool closing() const { return closing_; }
  // The connected socket's handle once connected(); nullptr before.
  uv_stream_t* connected_socket() const { return stream_ ? stream_->socket_handle() : nullptr; }

  uv_loop_t* loop_;
  std::string label_;

 private:
  // LocalEndOwner (the connected stream)
  void on_local_data(ssh::ByteView data) override { owner_->on_local_data(data); }
  void on_local_eof() override { owner_->on_local_eof(); }
  void on_local_error(const std::string& why) override { owner_->on_local_error(why); }
  void on_local_written(std::size_t credit) override;
  void on_local_output_shut() override { owner_->on_local_output_shut(); }
  void on_local_closed() override;

  void deliver_replies();
  void stop_timer();
  void maybe_closed();

  LocalEndOwner* owner_ = nullptr;
  std::unique_ptr<StreamEnd> stream_;
  uv_timer_t* timer_ = nullptr;
  ssh::Bytes replies_;  // for the channel, not yet delivered (not reading)
  // Writes that came after the handshake, with the credit their completion carries.
  struct HeldWrite {
    std::vector<ssh::Bytes> parts;
    Stream stream;
    std::size_t credit;
  };
  std::vector<HeldWrite> held_;
  std::vector<std::size_t> held_credit_;  // of held writes handed to the stream, in order
  int own_writes_ = 0;                   // our own writes to the stream, completions not passed on
  bool complete_ = false;
  bool reading_ = false;
  bool shutdown_wanted_ = false;
  bool failed_ = false;
  bool closing_ = false;
  bool stream_closed_ = false;
  bool timer_closed_ = false;
  bool reported_closed_ = false;
};

}  // namespace gateway
