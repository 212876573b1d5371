#include "gateway/net/write_now.hpp"

namespace gateway::net {

std::size_t write_now(uv_stream_t* stream, uv_buf_t* bufs, std::size_t count) {
  const int n = uv_try_write(stream, bufs, static_cast<unsigned>(count));
  std::size_t written = n > 0 ? static_cast<std::size_t>(n) : 0;
  std::size_t first = 0;
  while (first < count && written >= bufs[first].len) written -= bufs[first++].len;
  if (first < count) {
    bufs[first].base += written;
    bufs[first].len -= written;
  }
  return first;
}

}  // namespace gateway::net
