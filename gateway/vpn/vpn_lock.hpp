#pragma once
// One VPN per network namespace: a running sshplex holds an exclusive lock on
// <state directory>/vpn-<namespace inode>.lock for as long as it lives. A second one (or
// --vpn-cleanup) would otherwise take the first one's routes, rules (their priorities are fixed) and
// kill switch for leftovers of a crash and remove them. The kernel drops the lock when the process
// dies, however it dies, so what a crashed sshplex left behind is still cleaned up by the next start
// or by --vpn-cleanup. Routes and rules belong to a network namespace, and so does the lock's name.
#include <cstdint>
#include <memory>
#include <string>

namespace gateway::vpn {

class VpnLock {
 public:
  // nullptr with `error` when another process holds it ("... is used by process 4242") or the
  // state directory cannot be made.
  static std::unique_ptr<VpnLock> acquire(const std::string& state_directory, std::string& error);
  ~VpnLock();
  VpnLock(const VpnLock&) = delete;
  VpnLock& operator=(const VpnLock&) = delete;

 private:
  VpnLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace gateway::vpn
