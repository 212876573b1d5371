#pragma once
// The standard Prometheus process_* values for this process, read from /proc (Linux).
#include <optional>

#include "gateway/metrics/snapshot.hpp"

namespace gateway::metrics {

// nullopt when /proc cannot be read (not mounted).
std::optional<ProcessSample> read_process_sample();

}  // namespace gateway::metrics
