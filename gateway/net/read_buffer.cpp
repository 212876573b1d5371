#include "gateway/net/read_buffer.hpp"

#include <cstddef>
#include <memory>

namespace gateway::net {

void shared_read_buffer(uv_handle_t*, size_t, uv_buf_t* buf) {
  constexpr std::size_t kSize = 256 * 1024;
  static const std::unique_ptr<char[]> buffer(new char[kSize]);
  buf->base = buffer.get();
  buf->len = kSize;
}

}  // namespace gateway::net
