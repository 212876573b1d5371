#pragma once
// The per-process descriptor limit (RLIMIT_NOFILE). Every client of a listener costs one descriptor,
// and distributions start processes with a soft limit of 1024 while allowing far more; a gateway
// serving thousands of clients raises the soft limit to the hard one at start-up.
#include <cstdint>
#include <string>

namespace gateway::net {

struct DescriptorLimit {
  std::uint64_t before = 0;  // soft limit found at start
  std::uint64_t after = 0;   // soft limit now (== before when nothing changed or it failed)
  std::uint64_t hard = 0;
  std::string error;  // set when setrlimit failed; the process runs on with `before`
};

// Raises the soft RLIMIT_NOFILE to the hard limit (an unlimited hard limit is capped at the
// kernel's fs.nr_open, which is the most setrlimit accepts).
DescriptorLimit raise_descriptor_limit();

}  // namespace gateway::net
