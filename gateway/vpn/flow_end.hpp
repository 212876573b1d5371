#pragma once
// The local end of one TCP flow from the tun. The channel is opened first, while the application's
// SYN is held; only once it opened does the SYN reach the kernel, which then completes the
// handshake with our listener. So the socket arrives after the channel: until attach(), what the
// server sends waits here (with its window credit), and the end fails if the kernel's connection
// never comes.
#include <uv.h>

#include <chrono>
#include <cstddef>
#include <string>

#include "gateway/channel/handshake_end.hpp"

namespace gateway::vpn {

class FlowEnd final : public HandshakeEnd {
 public:
  FlowEnd(uv_loop_t* loop, std::chrono::milliseconds accept_timeout, std::string label)
      : HandshakeEnd(loop, accept_timeout, std::move(label)) {
    // Nothing to negotiate with the channel's peer: every byte from it is the flow's data.
    handshake_complete();
  }

  // The kernel's side of the flow, accepted by the listener; taken over.
  void attach(uv_stream_t* socket) { connected(socket); }

  // The channel ended without the server's EOF (the connection died, the target reset, the
  // channel was aborted): the application gets a reset when the end closes, not a FIN it would take
  // for a complete response.
  bool channel_lost() override {
    lost_ = true;
    return true;
  }
  void close() override;

 private:
  std::size_t handshake_data(ssh::ByteView) override { return 0; }

  bool lost_ = false;
};

}  // namespace gateway::vpn
