#pragma once
// Recycles the buffers that carry bulk data: transmit buffers of whole packet batches, and the
// payloads of received packets on their way to a local socket.
// Getting a buffer with its pages already touched and its capacity already grown spares the
// allocator round trip, the page faults of fresh memory and the copies of geometric growth on
// every socket write. Per thread, since each event loop runs on one thread; no locking.
#include <cstddef>

#include "ssh/wire/bytes.hpp"

namespace ssh::wire {

// An empty buffer with at least `capacity` bytes reserved: a recycled one of a similar size when
// available (at most 4x larger, so a small request does not pin a big buffer).
Bytes acquire_buffer(std::size_t capacity);
// Hands a buffer back once its bytes are no longer needed. Buffers outside the pooled size range
// (tiny, or huge after a burst) are simply freed, and so are those beyond the pool's depth.
void release_buffer(Bytes&& buffer);
// Buffers parked in this thread's pool (diagnostics and tests).
std::size_t pooled_buffer_count();
// Frees every parked buffer.
void clear_buffer_pool();

}  // namespace ssh::wire
