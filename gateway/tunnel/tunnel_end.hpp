#pragma once
// The local end of ssh's tun forwarding: a tun device (point-to-point) or a tap device (ethernet).
// A packet device, not a stream: each read is one packet, framed for the channel
// (tunnel_framing); channel data is deframed into packets, each written to the device. Packets
// the kernel cannot take now are dropped (IP loses packets; TCP retransmits), so a write always
// completes at once and the window is credited straight away. The device never ends by itself.
//
// The device is shared: it outlives the end (and its channel) so that a reconnect carries on with
// the same interface, its addresses and routes.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "gateway/channel/local_end.hpp"
#include "gateway/tunnel/tunnel_framing.hpp"
#include "gateway/vpn/tun_device.hpp"

namespace gateway::tunnel {

// The device and which end reads it now: an end of a lost connection that closes late must not
// stop the reading of the end that took over.
struct SharedDevice {
  std::unique_ptr<vpn::TunDevice> device;
  std::uint64_t reader = 0;  // the reading end's number; 0: none
  std::uint64_t next = 1;
};

class TunnelEnd final : public LocalEnd {
 public:
  TunnelEnd(std::shared_ptr<SharedDevice> device, config::TunnelMode mode);
  ~TunnelEnd() override;
  TunnelEnd(const TunnelEnd&) = delete;
  TunnelEnd& operator=(const TunnelEnd&) = delete;

  const Deframer::Counters& deframer_counters() const { return deframer_.counters(); }
  // What the channel can take now without cutting a packet (window and output queue). A packet
  // read while it is smaller is dropped, as a full link drops it: ssh's peer takes each channel
  // data message as one packet, so a packet must never be split, nor several joined.
  void set_capacity(std::function<std::size_t()> capacity) { capacity_ = std::move(capacity); }
  std::uint64_t dropped_for_window() const { return dropped_for_window_; }

  void bind(LocalEndOwner& owner) override { owner_ = &owner; }
  void read_start() override;
  void read_stop() override;
  void write(std::vector<ssh::Bytes> parts, Stream stream) override;
  void shutdown_output() override;
  void close() override;

 private:
  void on_packet(std::span<std::uint8_t> packet);

  bool mine() const { return shared_->reader == number_; }

  std::shared_ptr<SharedDevice> shared_;
  std::uint64_t number_;
  config::TunnelMode mode_;
  Deframer deframer_;
  LocalEndOwner* owner_ = nullptr;
  std::function<std::size_t()> capacity_;
  std::uint64_t dropped_for_window_ = 0;
  bool reading_ = false;
  bool closing_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gateway::tunnel
