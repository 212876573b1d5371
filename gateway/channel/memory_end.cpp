#include "gateway/channel/memory_end.hpp"

#include "gateway/channel/channel_pump.hpp"
#include "gateway/util/liveness.hpp"

namespace gateway {

MemoryEnd::MemoryEnd(Callbacks callbacks) : callbacks_(std::move(callbacks)) {}

MemoryEnd::~MemoryEnd() {
  *alive_ = false;
}

void MemoryEnd::send(ssh::Bytes bytes) {
  if (closing_ || finish_wanted_ || bytes.empty()) return;
  queued_bytes_ += bytes.size();
  queue_.push_back(std::move(bytes));
  deliver();
}

void MemoryEnd::finish() {
  if (closing_ || finish_wanted_) return;
  finish_wanted_ = true;
  deliver();
}

void MemoryEnd::read_start() {
  reading_ = true;
  deliver();
}

void MemoryEnd::read_stop() {
  reading_ = false;
}

void MemoryEnd::deliver() {
  // A delivery inside a delivery (the pump read again from within on_local_data) leaves the
  // queue to the outer loop, which keeps the order.
  if (delivering_ || owner_ == nullptr) return;
  delivering_ = true;
  const std::weak_ptr<bool> alive = alive_;
  while (reading_ && !closing_ && !queue_.empty()) {
    const ssh::Bytes chunk = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= chunk.size();
    // The pump keeps whatever the channel cannot take now and calls read_stop().
    owner_->on_local_data(chunk);
    if (!util::still_alive(alive)) return;
  }
  if (reading_ && !closing_ && queue_.empty() && finish_wanted_ && !eof_delivered_) {
    eof_delivered_ = true;
    owner_->on_local_eof();
    if (!util::still_alive(alive)) return;
  }
  delivering_ = false;
}

void MemoryEnd::write(std::vector<ssh::Bytes> parts, Stream stream) {
  std::size_t credit = 0;
  for (const auto& p : parts) credit += p.size();
  if (stream == Stream::control) credit = 0;
  const std::weak_ptr<bool> alive = alive_;
  // Extended data has no place here (a command's stderr): discarded, still credited.
  if (stream != Stream::extended && !closing_) {
    for (const auto& p : parts) {
      if (p.empty() || detached_ || !callbacks_.on_data) continue;
      callbacks_.on_data(p);
      if (!util::still_alive(alive)) return;
    }
  }
  // A callback that aborted the pump closed the end: on_local_closed was its last word.
  if (closed_reported_) return;
  owner_->on_local_written(credit);
}

void MemoryEnd::shutdown_output() {
  const std::weak_ptr<bool> alive = alive_;
  if (!closing_ && !detached_ && callbacks_.on_eof) {
    callbacks_.on_eof();
    if (!util::still_alive(alive) || closed_reported_) return;
  }
  owner_->on_local_output_shut();
}

void MemoryEnd::close() {
  if (closing_) return;
  closing_ = true;
  queue_.clear();
  queued_bytes_ = 0;
  const std::weak_ptr<bool> alive = alive_;
  if (!detached_ && callbacks_.on_closed) {
    detached_ = true;
    callbacks_.on_closed();
    if (!util::still_alive(alive)) return;
  }
  // The pump may destroy the end from inside this call: nothing after it.
  closed_reported_ = true;
  owner_->on_local_closed();
}

void abandon_pump(ChannelPump*& pump, MemoryEnd*& end) {
  if (end != nullptr) end->detach();
  end = nullptr;
  if (pump == nullptr) return;
  ChannelPump* doomed = pump;
  pump = nullptr;
  doomed->set_observer(nullptr);
  doomed->abort();
}

}  // namespace gateway
