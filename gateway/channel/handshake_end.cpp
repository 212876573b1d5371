#include "gateway/channel/handshake_end.hpp"

#include "gateway/util/log.hpp"

namespace gateway {

HandshakeEnd::HandshakeEnd(uv_loop_t* loop, std::chrono::milliseconds timeout, std::string label)
    : loop_(loop), label_(std::move(label)) {
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uv_timer_start(
      timer_, [](uv_timer_t* t) { static_cast<HandshakeEnd*>(t->data)->fail("handshake timed out"); },
      static_cast<std::uint64_t>(timeout.count()), 0);
}

HandshakeEnd::~HandshakeEnd() {
  if (timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
}

void HandshakeEnd::stop_timer() {
  if (timer_ == nullptr) return;
  timer_->data = this;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) {
    auto* self = static_cast<HandshakeEnd*>(h->data);
    delete reinterpret_cast<uv_timer_t*>(h);
    self->timer_closed_ = true;
    self->maybe_closed();
  });
  timer_ = nullptr;
}

void HandshakeEnd::read_start() {
  reading_ = true;
  deliver_replies();
  if (reading_ && stream_ && !closing_) stream_->read_start();
}

void HandshakeEnd::read_stop() {
  reading_ = false;
  if (stream_) stream_->read_stop();
}

void HandshakeEnd::reply(ssh::Bytes bytes) {
  replies_.insert(replies_.end(), bytes.begin(), bytes.end());
  deliver_replies();
}

void HandshakeEnd::deliver_replies() {
  if (!reading_ || replies_.empty()) return;
  const ssh::Bytes bytes = std::move(replies_);
  replies_.clear();
  owner_->on_local_data(bytes);
  // A failure waited for its answer to reach the channel.
  if (failed_ && !closing_) owner_->on_local_error(label_ + ": handshake failed");
}

void HandshakeEnd::write(std::vector<ssh::Bytes> parts, Stream stream) {
  if (stream_) {
    stream_->write(std::move(parts), stream);
    return;
  }
  std::size_t credit = 0;
  for (const auto& p : parts) credit += p.size();
  if (stream == Stream::control) credit = 0;
  if (closing_ || failed_ || stream == Stream::extended) {
    owner_->on_local_written(credit);
    return;
  }
  std::vector<ssh::Bytes> rest;
  for (auto& part : parts) {
    if (complete_ || failed_) {
      if (!failed_ && !part.empty()) rest.push_back(std::move(part));
      continue;
    }
    const std::size_t used = handshake_data(part);
    if (complete_ && used < part.size())
      rest.emplace_back(part.begin() + static_cast<std::ptrdiff_t>(used), part.end());
  }
  if (rest.empty() || failed_ || closing_) {
    owner_->on_local_written(credit);
    return;
  }
  // The whole write completes once its tail reached the local side.
  held_.push_back(HeldWrite{std::move(rest), stream, credit});
}

void HandshakeEnd::shutdown_output() {
  if (stream_) {
    stream_->shutdown_output();
    return;
  }
  if (!complete_ && !failed_ && !closing_) handshake_eof();
  if (complete_ && !failed_ && !closing_) {
    shutdown_wanted_ = true;  // applied once connected, after the held bytes
    return;
  }
  owner_->on_local_output_shut();
}

void HandshakeEnd::connected(uv_stream_t* stream, ssh::Bytes first) {
  if (closing_ || failed_) {
    // Too late: the end is going away.
    auto doomed = std::make_unique<StreamEnd>(stream);
    (void)doomed;  // its destructor releases the socket
    return;
  }
  stop_timer();
  stream_ = std::make_unique<StreamEnd>(stream);
  stream_->bind(*this);
  if (!first.empty()) {
    // Ours, not the pump's: its completion is swallowed (writes complete in order).
    ++own_writes_;
    std::vector<ssh::Bytes> parts;
    parts.push_back(std::move(first));
    stream_->write(std::move(parts), Stream::control);
  }
  auto held = std::move(held_);
  held_.clear();
  for (auto& w : held) {
    held_credit_.push_back(w.credit);
    stream_->write(std::move(w.parts), w.stream);
  }
  if (shutdown_wanted_) stream_->shutdown_output();
  deliver_replies();
  if (reading_ && !closing_) stream_->read_start();
}

void HandshakeEnd::on_local_written(std::size_t credit) {
  if (own_writes_ > 0) {
    --own_writes_;
    return;
  }
  if (!held_credit_.empty()) {
    // A held write: its credit includes the handshake bytes it carried.
    credit = held_credit_.front();
    held_credit_.erase(held_credit_.begin());
  }
  owner_->on_local_written(credit);
}

void HandshakeEnd::fail(const std::string& why) {
  if (failed_ || closing_) return;
  failed_ = true;
  log::debug("%s: %s", label_.c_str(), why.c_str());
  stop_timer();
  if (replies_.empty()) {
    owner_->on_local_error(label_ + ": " + why);
  } else {
    deliver_replies();  // reports the error once the answer is out
  }
}

void HandshakeEnd::close() {
  if (closing_) return;
  closing_ = true;
  cancel();
  stop_timer();
  // Every write completes once, even those that never reached the local side.
  auto held = std::move(held_);
  held_.clear();
  for (auto& w : held) owner_->on_local_written(w.credit);
  if (stream_) {
    stream_->close();
  } else {
    stream_closed_ = true;
    maybe_closed();
  }
}

void HandshakeEnd::on_local_closed() {
  stream_closed_ = true;
  maybe_closed();
}

void HandshakeEnd::maybe_closed() {
  if (!closing_ || !stream_closed_ || timer_ != nullptr || !timer_closed_ || reported_closed_) return;
  reported_closed_ = true;
  owner_->on_local_closed();
}

}  // namespace gateway
