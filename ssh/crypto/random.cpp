#include "ssh/crypto/random.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

#ifndef SSHPLEX_FUZZING
#include <openssl/rand.h>
#endif

namespace ssh::crypto {

#ifdef SSHPLEX_FUZZING

// Fuzzing builds replace the DRBG with SplitMix64 over a counter so that a crashing input replays
// identically (cookies, ephemeral kex keys and padding are all derived from this stream).
namespace {
std::uint64_t fuzz_state = 0;

std::uint64_t next_u64() {
  fuzz_state += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = fuzz_state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

void fuzz_reset_random(std::uint64_t seed) {
  fuzz_state = seed;
}

void random_bytes(MutableByteView out) {
  std::size_t i = 0;
  while (i < out.size()) {
    std::uint64_t v = next_u64();
    for (int b = 0; b < 8 && i < out.size(); ++b, ++i) {
      out[i] = static_cast<std::uint8_t>(v);
      v >>= 8;
    }
  }
}

#else

void random_bytes(MutableByteView out) {
  std::size_t done = 0;
  // RAND_bytes takes an int length; feed large requests in chunks.
  while (done < out.size()) {
    const std::size_t chunk = std::min<std::size_t>(out.size() - done, 1U << 20);
    // A failing DRBG leaves no safe way to continue: nonces, cookies and keys would be predictable.
    // This is not reachable from peer input, so stopping the process is the only sound answer.
    if (RAND_bytes(out.data() + done, static_cast<int>(chunk)) != 1) std::abort();
    done += chunk;
  }
}

#endif

void padding_bytes(MutableByteView out) {
#ifdef SSHPLEX_FUZZING
  random_bytes(out);  // the deterministic stream, in the same order as every other draw
#else
  // Per thread (each event loop runs on one), so no locking; refilled whole when it runs short.
  constexpr std::size_t kBlock = 4096;
  thread_local std::array<std::uint8_t, kBlock> block;
  thread_local std::size_t used = kBlock;
  if (out.size() > kBlock) {
    random_bytes(out);
    return;
  }
  if (kBlock - used < out.size()) {
    random_bytes(MutableByteView(block.data(), block.size()));
    used = 0;
  }
  std::copy_n(block.data() + used, out.size(), out.data());
  used += out.size();
#endif
}

std::uint32_t random_u32() {
  std::uint8_t b[4];
  random_bytes(b);
  return static_cast<std::uint32_t>(b[0]) << 24 | static_cast<std::uint32_t>(b[1]) << 16 |
         static_cast<std::uint32_t>(b[2]) << 8 | static_cast<std::uint32_t>(b[3]);
}

}  // namespace ssh::crypto
