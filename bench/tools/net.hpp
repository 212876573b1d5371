// Socket plumbing shared by the load tools: one process-wide read buffer (a read callback consumes
// the data before the next read, so idle connections own no buffer), one shared block of zeros for
// bulk writes, and a write that tries the socket first and queues a copy of only what did not fit.
#pragma once

#include <netinet/in.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace bench::tools {

// Size of one large socket write and of the shared read buffer.
inline constexpr std::size_t kIoChunk = 256 * 1024;

// alloc_cb handing out the shared read buffer (single-threaded: one read at a time per process).
void alloc_shared(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);

// kIoChunk bytes of zeros, never written to; uv_buf_t wants a non-const pointer.
char* zero_block();

// Fills up to max_bufs uv_bufs pointing into zero_block() covering min(bytes, max_bufs * kIoChunk)
// bytes; returns how many buffers were used and the bytes covered in *covered.
unsigned int zero_bufs(uv_buf_t* bufs, unsigned int max_bufs, std::uint64_t bytes, std::size_t* covered);

// Sends zeros while the socket takes them (*to_send counts down); when it is full, queues up to
// 4 * kIoChunk more with uv_write (req->data = user; cb must delete the request and clear *writing)
// and sets *writing. Does nothing while *writing. Returns 0 or a libuv error.
int pump_zeros(uv_stream_t* stream, std::uint64_t* to_send, bool* writing, uv_write_cb cb, void* user);

// Called when a queued copy has been written (status 0) or failed (status < 0, UV_ECANCELED when
// the handle closed first).
using WriteDone = void (*)(void* user, int status);

enum class WriteOutcome { Done, Queued, Failed };
// Writes data now as far as the socket takes it; the remainder is copied and queued with uv_write,
// and done(user, status) runs when it is out. *error gets the libuv error on Failed.
WriteOutcome write_or_queue(uv_stream_t* stream, const char* data, std::size_t len, WriteDone done, void* user,
                            int* error);

// Connects a fresh uv_tcp_t (already initialised) with TCP_NODELAY set.
int tcp_connect(uv_tcp_t* tcp, uv_connect_t* req, const sockaddr_in& address, uv_connect_cb cb);

// Binds and listens on address (backlog as deep as the kernel allows).
int tcp_listen(uv_tcp_t* tcp, const sockaddr_in& address, uv_connection_cb cb);

// "ECONNREFUSED (connection refused)" for messages.
std::string uv_error_text(int error);

inline uv_handle_t* as_handle(uv_tcp_t* tcp) { return reinterpret_cast<uv_handle_t*>(tcp); }
inline uv_stream_t* as_stream(uv_tcp_t* tcp) { return reinterpret_cast<uv_stream_t*>(tcp); }

}  // namespace bench::tools
