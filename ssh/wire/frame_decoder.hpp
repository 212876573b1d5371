#pragma once
// Incremental deframer for the uint32-length-prefixed messages of local protocols (ssh-agent,
// OpenSSH's control socket): bytes in, whole message bodies out, bounded by a maximum frame size.
#include <cstddef>
#include <string>

#include "ssh/wire/bytes.hpp"

namespace ssh::wire {

class FrameDecoder {
 public:
  // `peer` names the other side in errors ("agent sent an empty message").
  FrameDecoder(std::string peer, std::size_t max_frame) : peer_(std::move(peer)), max_frame_(max_frame) {}

  enum class Status { need_more, frame, error };
  struct Result {
    Status status = Status::need_more;
    Bytes body;         // Status::frame
    std::string error;  // Status::error: the stream is unusable from here on
  };

  void feed(ByteView data);
  // Returns the next complete frame, need_more, or an error (empty or oversized frame). After an
  // error every later call returns the same error.
  Result next();
  // Drops up to n raw bytes that follow the frames taken so far (OpenSSH passes descriptors with a
  // one-byte message each, right after the request that announced them); returns how many.
  std::size_t skip(std::size_t n);
  std::size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  void compact();

  std::string peer_;
  std::size_t max_frame_;
  Bytes buffer_;
  std::size_t consumed_ = 0;
  std::string error_;
};

}  // namespace ssh::wire
