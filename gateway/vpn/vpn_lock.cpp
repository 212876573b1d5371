#include "gateway/vpn/vpn_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gateway::vpn {

std::unique_ptr<VpnLock> VpnLock::acquire(const std::string& state_directory, std::string& error) {
  if (::mkdir(state_directory.c_str(), 0755) != 0 && errno != EEXIST) {
    error = "cannot create " + state_directory + ": " + std::strerror(errno);
    return nullptr;
  }
  struct stat ns {};
  if (::stat("/proc/self/ns/net", &ns) != 0) {
    error = std::string("cannot tell this network namespace: /proc/self/ns/net: ") + std::strerror(errno);
    return nullptr;
  }
  const std::string path = state_directory + "/vpn-" + std::to_string(ns.st_ino) + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char owner[32] = {};
    const ssize_t n = ::pread(fd, owner, sizeof owner - 1, 0);
    std::string who = n > 0 ? std::string(owner, static_cast<std::size_t>(n)) : std::string("another process");
    while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
    ::close(fd);
    error = "a sshplex VPN runs in this network namespace already (process " + who + ")";
    return nullptr;
  }
  // The owner's pid, for the message above; the lock itself is what counts.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) (void)::pwrite(fd, pid.data(), pid.size(), 0);
  return std::unique_ptr<VpnLock>(new VpnLock(fd, path));
}

VpnLock::~VpnLock() {
  // Unlinked before the lock goes, so a waiting start never locks a file that is gone.
  ::unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace gateway::vpn
