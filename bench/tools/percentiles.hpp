// Latency summary for socks-latency: nearest-rank percentiles and the mean of a sample.
#pragma once

#include <vector>

namespace bench::tools {

struct LatencySummary {
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double mean = 0;
};

// Nearest-rank percentile (the smallest value with at least p% of the sample at or below it).
// The sample is sorted in place. An empty sample gives all zeros.
LatencySummary summarize(std::vector<double>& sample);

}  // namespace bench::tools
