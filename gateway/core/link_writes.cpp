#include "gateway/core/link_writes.hpp"

#include "gateway/net/write_now.hpp"
#include "gateway/util/liveness.hpp"
#include "ssh/wire/buffer_pool.hpp"

namespace gateway {

struct LinkWrites::Request {
  // The transmit buffer goes back to the pool for the next batch of packets.
  ~Request() { ssh::wire::release_buffer(std::move(bytes)); }
  uv_write_t req{};
  ssh::Bytes bytes;
  std::weak_ptr<bool> alive;
  LinkWrites* writes;
  std::size_t queued = 0;  // the part of `bytes` left to libuv (the rest was written at once)
};

bool LinkWrites::write(uv_stream_t* stream, ssh::Bytes bytes, std::string& error) {
  uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(bytes.data()), static_cast<unsigned>(bytes.size()));
  if (queued_ == 0 && net::write_now(stream, &b, 1) == 1) {
    ssh::wire::release_buffer(std::move(bytes));
    return true;
  }
  // The rest (`b`) still points into the buffer, which the request now owns.
  auto* r = new Request{{}, std::move(bytes), alive_, this};
  r->queued = b.len;
  const int rc = uv_write(&r->req, stream, &b, 1, [](uv_write_t* req, int status) {
    std::unique_ptr<Request> done(reinterpret_cast<Request*>(req));
    if (!util::still_alive(done->alive)) return;
    LinkWrites& w = *done->writes;
    w.queued_ -= done->queued;
    w.done_(w.owner_, done->queued, status);
  });
  if (rc != 0) {
    delete r;
    error = uv_strerror(rc);
    return false;
  }
  queued_ += b.len;
  return true;
}

}  // namespace gateway
