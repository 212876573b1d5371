#pragma once
// /etc/resolv.conf pointed at the tun while the VPN runs, for hosts without systemd-resolved. The
// previous file is saved under a state directory first, in a file named after our pid, so a later
// run can put it back when we died without restoring (restore_resolv_leftovers). A symlink (to
// resolved's or NetworkManager's file) is saved as its target and restored as a link. A file that
// cannot be replaced by rename (a bind mount, as in containers) is rewritten in place.
#include <optional>
#include <string>

#include "tun/address.hpp"

namespace gateway::vpn {

class ResolvConfFile {
 public:
  // Saves `path` under `state_dir` and replaces it with "nameserver <dns>". nullopt with `error`
  // when either step failed (nothing is changed then).
  static std::optional<ResolvConfFile> replace(const std::string& path, const std::string& state_dir,
                                               const tun::IpAddress& dns, std::string& error);
  ResolvConfFile(ResolvConfFile&& other) noexcept;
  ResolvConfFile& operator=(ResolvConfFile&&) = delete;
  ~ResolvConfFile();

  // Puts the saved file back and removes the copy. Idempotent; false with `error` on failure (the
  // copy is then kept for restore_resolv_leftovers).
  bool restore(std::string& error);
  const std::string& saved_copy() const { return saved_; }

 private:
  ResolvConfFile(std::string path, std::string saved) : path_(std::move(path)), saved_(std::move(saved)) {}
  std::string path_;
  std::string saved_;  // empty once restored
};

// Restores every copy in `state_dir` left by a process that is gone, and removes it; returns how
// many were restored. A file that no longer carries our marker (rewritten since by someone else) is
// left as it is and only the copy goes.
int restore_resolv_leftovers(const std::string& state_dir, const std::string& path = "/etc/resolv.conf");

}  // namespace gateway::vpn
