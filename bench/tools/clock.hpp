// Monotonic time for the load tools. uv_hrtime() reads CLOCK_MONOTONIC too, so stamps taken either
// way compare; the runner compares monotonic_seconds() with Python's time.monotonic().
#pragma once

#include <time.h>

#include <cstdint>

namespace bench::tools {

inline std::uint64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

inline double monotonic_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

inline double ns_to_seconds(std::uint64_t ns) { return static_cast<double>(ns) / 1e9; }
inline double ns_to_ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace bench::tools
