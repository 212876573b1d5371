#include "ssh/wire/buffer_pool.hpp"

#include <iterator>
#include <vector>

namespace ssh::wire {
namespace {

// Enough for a window's worth of received packets and the writes in flight on a busy connection;
// the range keeps small buffers (which malloc serves well) and outsized ones (kept only by a rare
// burst) out.
constexpr std::size_t kPoolDepth = 64;
constexpr std::size_t kMinPooled = 16 * 1024;
constexpr std::size_t kMaxPooled = 4 * 1024 * 1024;

std::vector<Bytes>& pool() {
  thread_local std::vector<Bytes> buffers;
  return buffers;
}

}  // namespace

Bytes acquire_buffer(std::size_t capacity) {
  auto& buffers = pool();
  // Most recently released first: its memory is the most likely to still be in cache.
  for (auto it = buffers.rbegin(); it != buffers.rend(); ++it) {
    if (it->capacity() >= capacity && it->capacity() / 4 <= capacity) {
      Bytes b = std::move(*it);
      buffers.erase(std::next(it).base());
      return b;
    }
  }
  Bytes fresh;
  fresh.reserve(capacity);
  return fresh;
}

void release_buffer(Bytes&& buffer) {
  Bytes b = std::move(buffer);
  if (b.capacity() < kMinPooled || b.capacity() > kMaxPooled) return;
  auto& buffers = pool();
  if (buffers.size() >= kPoolDepth) return;
  b.clear();
  buffers.push_back(std::move(b));
}

std::size_t pooled_buffer_count() { return pool().size(); }

void clear_buffer_pool() { pool().clear(); }

}  // namespace ssh::wire
