#include "bench/tools/net.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>

namespace bench::tools {

namespace {

// .bss: costs nothing until touched; the zero block is only ever read.
char g_read_buffer[kIoChunk];
char g_zero_block[kIoChunk];

// One queued remainder: the request, who to tell, and the copied bytes after it.
struct QueuedCopy {
  uv_write_t req;
  WriteDone done;
  void* user;
  std::unique_ptr<char[]> data;
};

void on_queued_copy_written(uv_write_t* req, int status) {
  std::unique_ptr<QueuedCopy> copy(static_cast<QueuedCopy*>(req->data));
  copy->done(copy->user, status);
}

}  // namespace

void alloc_shared(uv_handle_t*, std::size_t, uv_buf_t* buf) { *buf = uv_buf_init(g_read_buffer, sizeof g_read_buffer); }

char* zero_block() { return g_zero_block; }

unsigned int zero_bufs(uv_buf_t* bufs, unsigned int max_bufs, std::uint64_t bytes, std::size_t* covered) {
  unsigned int n = 0;
  *covered = 0;
  while (n < max_bufs && bytes > 0) {
    const auto len = static_cast<unsigned int>(std::min<std::uint64_t>(bytes, kIoChunk));
    bufs[n++] = uv_buf_init(g_zero_block, len);
    bytes -= len;
    *covered += len;
  }
  return n;
}

int pump_zeros(uv_stream_t* stream, std::uint64_t* to_send, bool* writing, uv_write_cb cb, void* user) {
  while (*to_send > 0 && !*writing) {
    uv_buf_t bufs[4];
    std::size_t covered = 0;
    const unsigned int n = zero_bufs(bufs, 4, *to_send, &covered);
    const int r = uv_try_write(stream, bufs, n);
    if (r > 0) {
      *to_send -= static_cast<std::uint64_t>(r);
      continue;
    }
    if (r != UV_EAGAIN && r != 0) return r;
    auto* req = new uv_write_t;
    req->data = user;
    const int q = uv_write(req, stream, bufs, n, cb);
    if (q != 0) {
      delete req;
      return q;
    }
    *to_send -= covered;
    *writing = true;
  }
  return 0;
}

WriteOutcome write_or_queue(uv_stream_t* stream, const char* data, std::size_t len, WriteDone done, void* user,
                            int* error) {
  std::size_t written = 0;
  // uv_try_write wants a mutable buffer pointer; it only reads.
  uv_buf_t buf = uv_buf_init(const_cast<char*>(data), static_cast<unsigned int>(len));
  const int r = uv_try_write(stream, &buf, 1);
  if (r >= 0) {
    written = static_cast<std::size_t>(r);
  } else if (r != UV_EAGAIN) {
    *error = r;
    return WriteOutcome::Failed;
  }
  if (written == len) return WriteOutcome::Done;
  auto copy = std::make_unique<QueuedCopy>();
  const std::size_t rest = len - written;
  copy->data = std::make_unique_for_overwrite<char[]>(rest);
  std::memcpy(copy->data.get(), data + written, rest);
  copy->done = done;
  copy->user = user;
  copy->req.data = copy.get();
  buf = uv_buf_init(copy->data.get(), static_cast<unsigned int>(rest));
  const int q = uv_write(&copy->req, stream, &buf, 1, on_queued_copy_written);
  if (q != 0) {
    *error = q;
    return WriteOutcome::Failed;
  }
  copy.release();
  return WriteOutcome::Queued;
}

int tcp_connect(uv_tcp_t* tcp, uv_connect_t* req, const sockaddr_in& address, uv_connect_cb cb) {
  uv_tcp_nodelay(tcp, 1);
  return uv_tcp_connect(req, tcp, reinterpret_cast<const sockaddr*>(&address), cb);
}

int tcp_listen(uv_tcp_t* tcp, const sockaddr_in& address, uv_connection_cb cb) {
  const int r = uv_tcp_bind(tcp, reinterpret_cast<const sockaddr*>(&address), 0);
  if (r != 0) return r;
  // The kernel caps the backlog at net.core.somaxconn.
  return uv_listen(reinterpret_cast<uv_stream_t*>(tcp), 65535, cb);
}

std::string uv_error_text(int error) { return std::string(uv_err_name(error)) + " (" + uv_strerror(error) + ")"; }

}  // namespace bench::tools
