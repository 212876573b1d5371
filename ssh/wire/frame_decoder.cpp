#include "ssh/wire/frame_decoder.hpp"

#include <algorithm>

#include "ssh/wire/reader.hpp"

namespace ssh::wire {

void FrameDecoder::feed(ByteView data) {
  if (!error_.empty()) return;
  compact();
  buffer_.insert(buffer_.end(), data.begin(), data.end());
}

void FrameDecoder::compact() {
  // Lazily, so a long-lived decoder does not grow with everything it has ever seen.
  if (consumed_ > 0 && consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > max_frame_) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
}

FrameDecoder::Result FrameDecoder::next() {
  Result r;
  if (!error_.empty()) {
    r.status = Status::error;
    r.error = error_;
    return r;
  }
  Reader reader(ByteView(buffer_).subspan(consumed_));
  std::uint32_t length = 0;
  if (!reader.u32(length)) return r;
  if (length == 0) {
    error_ = peer_ + " sent an empty message";
  } else if (length > max_frame_) {
    error_ = peer_ + " message of " + std::to_string(length) + " bytes exceeds the limit of " + std::to_string(max_frame_);
  }
  if (!error_.empty()) {
    buffer_.clear();
    consumed_ = 0;
    r.status = Status::error;
    r.error = error_;
    return r;
  }
  ByteView body;
  if (!reader.bytes(length, body)) return r;
  r.status = Status::frame;
  r.body.assign(body.begin(), body.end());
  consumed_ += 4 + length;
  compact();
  return r;
}

std::size_t FrameDecoder::skip(std::size_t n) {
  const std::size_t k = std::min(n, buffered());
  consumed_ += k;
  compact();
  return k;
}

}  // namespace ssh::wire
