#include "bench/tools/percentiles.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace bench::tools {

namespace {

double nearest_rank(const std::vector<double>& sorted, double percent) {
  const double rank = std::ceil(percent / 100.0 * static_cast<double>(sorted.size()));
  const auto index = static_cast<std::size_t>(std::max(rank, 1.0)) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace

LatencySummary summarize(std::vector<double>& sample) {
  LatencySummary s;
  if (sample.empty()) return s;
  std::sort(sample.begin(), sample.end());
  s.p50 = nearest_rank(sample, 50);
  s.p90 = nearest_rank(sample, 90);
  s.p99 = nearest_rank(sample, 99);
  double total = 0;
  for (const double v : sample) total += v;
  s.mean = total / static_cast<double>(sample.size());
  return s;
}

}  // namespace bench::tools
