#include "gateway/metrics/process_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gateway/util/read_file.hpp"

namespace gateway::metrics {
namespace {

// Entries of /proc/self/fd, less the descriptor the listing itself holds open.
std::optional<std::uint64_t> count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  std::uint64_t n = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n > 0 ? n - 1 : 0;
}

// Seconds since the epoch at which the process started: /proc/self/stat's starttime (field 22,
// clock ticks after boot) plus /proc/stat's btime, as the Prometheus client libraries compute it.
std::optional<double> start_time_seconds() {
  std::string stat;
  std::string system;
  if (!util::read_whole_file("/proc/self/stat", stat) || !util::read_whole_file("/proc/stat", system)) {
    return std::nullopt;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  std::size_t pos = stat.rfind(')');
  if (pos == std::string::npos) return std::nullopt;
  for (int field = 2; field < 22 && pos != std::string::npos; ++field) pos = stat.find(' ', pos + 1);
  if (pos == std::string::npos) return std::nullopt;
  const double ticks = std::strtod(stat.c_str() + pos + 1, nullptr);
  const std::size_t btime = system.find("\nbtime ");
  const long hz = ::sysconf(_SC_CLK_TCK);
  if (btime == std::string::npos || hz <= 0) return std::nullopt;
  return std::strtod(system.c_str() + btime + 7, nullptr) + ticks / static_cast<double>(hz);
}

}  // namespace

std::optional<ProcessSample> read_process_sample() {
  ProcessSample sample;
  const auto fds = count_open_fds();
  const auto started = start_time_seconds();
  std::string statm;
  if (!fds || !started || !util::read_whole_file("/proc/self/statm", statm)) return std::nullopt;
  sample.open_fds = *fds;
  sample.start_time_seconds = *started;
  // statm: size resident shared ... in pages.
  const std::size_t space = statm.find(' ');
  if (space == std::string::npos) return std::nullopt;
  sample.resident_memory_bytes =
      std::strtoull(statm.c_str() + space + 1, nullptr, 10) * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    sample.max_fds = limit.rlim_cur == RLIM_INFINITY ? 0 : static_cast<std::uint64_t>(limit.rlim_cur);
  }
  return sample;
}

}  // namespace gateway::metrics
