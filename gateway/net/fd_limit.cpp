#include "gateway/net/fd_limit.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace gateway::net {
namespace {

// Linux refuses RLIMIT_NOFILE above fs.nr_open (EPERM), RLIM_INFINITY included.
rlim_t kernel_nr_open() {
  std::ifstream in("/proc/sys/fs/nr_open");
  unsigned long long v = 0;
  if (in >> v && v > 0) return static_cast<rlim_t>(v);
  return 1048576;  // the kernel's default nr_open
}

}  // namespace

DescriptorLimit raise_descriptor_limit() {
  DescriptorLimit out;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    out.error = std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno);
    return out;
  }
  rlim_t target = lim.rlim_max;
  if (target == RLIM_INFINITY) target = kernel_nr_open();
  out.before = static_cast<std::uint64_t>(lim.rlim_cur);
  out.after = out.before;
  out.hard = static_cast<std::uint64_t>(lim.rlim_max);
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= target) return out;
  rlimit raised = lim;
  raised.rlim_cur = target;
  if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
    out.error = std::string("setrlimit(RLIMIT_NOFILE, ") + std::to_string(target) + "): " + std::strerror(errno);
    return out;
  }
  out.after = static_cast<std::uint64_t>(target);
  return out;
}

}  // namespace gateway::net
