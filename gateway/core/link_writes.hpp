#pragma once
// The write half that the stream links (TcpLink, ProcessLink) share: a transmit buffer goes out at
// once when nothing is queued (net::write_now, no request), otherwise through uv_write, whose request
// owns the buffer and gives it back to the pool when done. Completions that arrive after the owner
// is gone are dropped.
#include <uv.h>

#include <cstddef>
#include <memory>
#include <string>

#include "ssh/wire/bytes.hpp"

namespace gateway {

class LinkWrites {
 public:
  // Runs once per uv_write that completes while the owner lives: `bytes` were queued, `status` is
  // libuv's. queued() already excludes them.
  using Done = void (*)(void* owner, std::size_t bytes, int status);

  LinkWrites(void* owner, Done done) : owner_(owner), done_(done) {}
  ~LinkWrites() { *alive_ = false; }
  LinkWrites(const LinkWrites&) = delete;
  LinkWrites& operator=(const LinkWrites&) = delete;

  // false with `error` when libuv refuses the write.
  bool write(uv_stream_t* stream, ssh::Bytes bytes, std::string& error);
  // Bytes handed to libuv and not yet written.
  std::size_t queued() const { return queued_; }

 private:
  struct Request;
  void* owner_;
  Done done_;
  std::size_t queued_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gateway
