#pragma once
// Writing straight to a stream before queueing: when nothing is queued, uv_try_write needs no
// request and leaves the epoll registration alone, which on loopback is most writes.
#include <uv.h>

#include <cstddef>

namespace gateway::net {

// Writes what `stream` takes now of bufs[0 .. count) and drops it from the front of the list: the
// return value is the index of the first buffer left to write (count when everything went), and
// that buffer's base and len are advanced past its written part. Errors leave everything to the
// queued write that follows, which reports them.
std::size_t write_now(uv_stream_t* stream, uv_buf_t* bufs, std::size_t count);

}  // namespace gateway::net
