#include "ssh/wire/buffer_pool.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace ssh::wire {
namespace {

// Empties this thread's pool so each test starts from a known state.
void drain_pool() {
  clear_buffer_pool();
  EXPECT_EQ(pooled_buffer_count(), 0u);
}

TEST(BufferPool, AcquiredBuffersAreEmptyWithTheCapacityAsked) {
  drain_pool();
  const Bytes b = acquire_buffer(300 * 1024);
  EXPECT_TRUE(b.empty());
  EXPECT_GE(b.capacity(), 300u * 1024);
}

TEST(BufferPool, ReleasedBufferIsReusedWithItsStorage) {
  drain_pool();
  Bytes b = acquire_buffer(256 * 1024);
  b.assign(1000, 0xab);
  const std::uint8_t* storage = b.data();
  release_buffer(std::move(b));
  const Bytes again = acquire_buffer(128 * 1024);
  EXPECT_EQ(again.data(), storage);
  EXPECT_TRUE(again.empty()) << "a recycled buffer must not carry old bytes";
}

TEST(BufferPool, TooSmallOrHugeBuffersAreNotKept) {
  drain_pool();
  Bytes small;
  small.reserve(1024);
  release_buffer(std::move(small));
  Bytes huge;
  huge.reserve(64 * 1024 * 1024);
  release_buffer(std::move(huge));
  const Bytes fresh = acquire_buffer(512);
  EXPECT_LT(fresh.capacity(), 64u * 1024 * 1024);
  EXPECT_GE(fresh.capacity(), 512u);
}

TEST(BufferPool, ABufferSmallerThanAskedIsNotHandedOut) {
  drain_pool();
  Bytes b = acquire_buffer(128 * 1024);
  release_buffer(std::move(b));
  const Bytes bigger = acquire_buffer(1024 * 1024);
  EXPECT_GE(bigger.capacity(), 1024u * 1024);
}

TEST(BufferPool, DepthIsBounded) {
  drain_pool();
  EXPECT_EQ(pooled_buffer_count(), 0u);
  // Release many at once: only a bounded number may stay parked in the pool.
  std::vector<Bytes> held;
  for (int i = 0; i < 100; ++i) held.push_back(acquire_buffer(64 * 1024));
  for (auto& b : held) release_buffer(std::move(b));
  EXPECT_GT(pooled_buffer_count(), 0u);
  EXPECT_LE(pooled_buffer_count(), 64u);
  const std::size_t parked = pooled_buffer_count();
  (void)acquire_buffer(64 * 1024);
  EXPECT_EQ(pooled_buffer_count(), parked - 1);
}

TEST(BufferPool, ASmallRequestDoesNotPinABigBuffer) {
  drain_pool();
  Bytes big = acquire_buffer(1024 * 1024);
  const std::uint8_t* storage = big.data();
  release_buffer(std::move(big));
  const Bytes small = acquire_buffer(20 * 1024);
  EXPECT_NE(small.data(), storage);
  EXPECT_EQ(pooled_buffer_count(), 1u) << "the big buffer stays parked for a big request";
  const Bytes again = acquire_buffer(512 * 1024);
  EXPECT_EQ(again.data(), storage);
}

}  // namespace
}  // namespace ssh::wire
