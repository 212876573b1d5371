#pragma once
// Reads a whole (small) file into any contiguous byte or char container, including the wiping
// ssh::SecretString, so secrets never pass through an intermediate buffer that is not wiped.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace gateway::util {

// False when the file cannot be opened or read; `out` then holds what was read so far.
template <typename Container>
bool read_whole_file(const std::string& path, Container& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  bool ok = true;
  for (;;) {
    const std::size_t have = out.size();
    out.resize(have + 4096);
    const ssize_t n = ::read(fd, out.data() + have, 4096);
    if (n < 0 && errno == EINTR) {
      out.resize(have);
      continue;
    }
    out.resize(have + (n > 0 ? static_cast<std::size_t>(n) : 0));
    if (n <= 0) {
      ok = n == 0;
      break;
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace gateway::util
