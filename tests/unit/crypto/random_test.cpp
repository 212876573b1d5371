#include "ssh/crypto/random.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>

namespace ssh::crypto {
namespace {

TEST(Random, FillsWholeBufferWithVaryingBytes) {
  // 1 MiB: every byte value must occur, and roughly as often as the others (expected 4096 each;
  // a fixed or short-period stream, or a buffer only partly written, fails this).
  Bytes buf(1 << 20, 0);
  random_bytes(buf);
  std::array<std::size_t, 256> counts{};
  for (std::uint8_t b : buf) ++counts[b];
  for (std::size_t v = 0; v < 256; ++v) {
    EXPECT_GT(counts[v], 3500u) << v;
    EXPECT_LT(counts[v], 4700u) << v;
  }
  // The tail in particular must have been written.
  std::set<std::uint8_t> tail(buf.end() - 64, buf.end());
  EXPECT_GT(tail.size(), 16u);
}

TEST(Random, SuccessiveCallsDiffer) {
  Bytes a(32), b(32);
  random_bytes(a);
  random_bytes(b);
  EXPECT_NE(a, b);
  std::set<std::uint32_t> values;
  for (int i = 0; i < 100; ++i) values.insert(random_u32());
  EXPECT_GT(values.size(), 95u);
}

TEST(Random, EmptyRequestIsHarmless) {
  random_bytes(MutableByteView{});
  padding_bytes(MutableByteView{});
}

TEST(Random, PaddingBytesNeverRepeatAcrossRefills) {
  // Padding-sized draws (4..255 bytes) over many refills of the cached block: every draw is fresh
  // (no block handed out twice), and the bytes are as evenly spread as the DRBG's own.
  std::set<Bytes> seen;
  std::array<std::size_t, 256> counts{};
  std::size_t total = 0;
  for (std::size_t i = 0; i < 4000; ++i) {
    Bytes pad(4 + i % 252, 0);
    padding_bytes(pad);
    EXPECT_TRUE(seen.insert(pad).second) << "draw " << i << " repeated an earlier one";
    for (std::uint8_t b : pad) ++counts[b];
    total += pad.size();
  }
  const double expected = static_cast<double>(total) / 256;
  for (std::size_t v = 0; v < 256; ++v) {
    EXPECT_GT(static_cast<double>(counts[v]), expected * 0.85) << v;
    EXPECT_LT(static_cast<double>(counts[v]), expected * 1.15) << v;
  }
}

TEST(Random, PaddingBytesServesRequestsLargerThanItsBlock) {
  Bytes big(10000, 0);
  padding_bytes(big);
  std::set<std::uint8_t> tail(big.end() - 64, big.end());
  EXPECT_GT(tail.size(), 16u);
}

#ifdef SSHPLEX_FUZZING
TEST(Random, FuzzingStreamIsReproducible) {
  Bytes a(100), b(100);
  fuzz_reset_random(7);
  random_bytes(a);
  fuzz_reset_random(7);
  random_bytes(b);
  EXPECT_EQ(a, b);
}
#endif

}  // namespace
}  // namespace ssh::crypto
