#include "gateway/tunnel/tunnel_end.hpp"

#include <utility>

namespace gateway::tunnel {

TunnelEnd::TunnelEnd(std::shared_ptr<SharedDevice> device, config::TunnelMode mode)
    : shared_(std::move(device)), number_(shared_->next++), mode_(mode), deframer_(mode) {}

TunnelEnd::~TunnelEnd() {
  *alive_ = false;
  if (mine()) {
    shared_->device->stop();
    shared_->reader = 0;
  }
}

void TunnelEnd::read_start() {
  if (closing_ || reading_) return;
  reading_ = true;
  if (!mine()) {
    shared_->reader = number_;
    std::weak_ptr<bool> alive = alive_;
    // Opened without offload: every packet is whole.
    shared_->device->start([this, alive](std::span<std::uint8_t> packet, const tun::OffloadHeader&) {
      if (auto a = alive.lock(); a && *a) on_packet(packet);
    });
  } else {
    shared_->device->resume();
  }
}

void TunnelEnd::read_stop() {
  if (!reading_) return;
  reading_ = false;
  if (mine()) shared_->device->stop();
}

void TunnelEnd::on_packet(std::span<std::uint8_t> packet) {
  if (!reading_ || closing_) return;
  const ssh::Bytes framed = frame_packet(mode_, packet);
  if (framed.empty()) return;  // neither IPv4 nor IPv6: nothing the peer could take
  if (capacity_ && capacity_() < framed.size()) {
    ++dropped_for_window_;
    return;
  }
  owner_->on_local_data(framed);
}

void TunnelEnd::write(std::vector<ssh::Bytes> parts, Stream stream) {
  std::size_t credit = 0;
  for (const auto& p : parts) credit += p.size();
  if (stream == Stream::control) credit = 0;
  if (stream == Stream::data && !closing_) {
    for (const auto& p : parts) {
      deframer_.push(p, [this](std::span<const std::uint8_t> packet) { shared_->device->write(packet); });
    }
  }
  owner_->on_local_written(credit);
}

void TunnelEnd::shutdown_output() {
  // A device has no half-close: the peer's EOF only means no more packets come.
  owner_->on_local_output_shut();
}

void TunnelEnd::close() {
  if (closing_) return;
  closing_ = true;
  reading_ = false;
  if (mine()) {
    shared_->device->stop();
    shared_->reader = 0;
  }
  // The pump may destroy the end from inside this call: nothing after it.
  owner_->on_local_closed();
}

}  // namespace gateway::tunnel
