#pragma once
// Points this host's resolver at the tun's DNS address while the VPN runs, and puts it back:
// through systemd-resolved when it runs (per link; resolved forgets the settings with the link),
// otherwise by replacing /etc/resolv.conf (the previous file saved under the state directory and
// restored by restore(), the destructor, or restore_leftovers() after a crash).
#include <memory>
#include <optional>
#include <string>

#include "gateway/vpn/resolv_conf_file.hpp"
#include "gateway/vpn/resolved_link.hpp"
#include "tun/address.hpp"

namespace gateway::vpn {

class HostDns {
 public:
  enum class Mode { automatic, resolved, resolv_conf };
  struct Settings {
    int ifindex = 0;                         // the tun's (resolved mode)
    tun::IpAddress dns;                      // the tun's DNS address
    std::string state_dir = "/run/sshplex";  // where the previous resolv.conf is kept
    std::string resolv_conf = "/etc/resolv.conf";
    Mode mode = Mode::automatic;  // automatic: resolved when it runs
  };

  // nullptr with `error` when the resolver could not be changed (nothing is changed then).
  static std::unique_ptr<HostDns> apply(const Settings& settings, std::string& error);
  ~HostDns() { restore(); }
  HostDns(const HostDns&) = delete;
  HostDns& operator=(const HostDns&) = delete;

  // Puts the host's resolver back. Idempotent.
  void restore();
  Mode mode() const { return resolved_ ? Mode::resolved : Mode::resolv_conf; }

 private:
  HostDns() = default;
  std::optional<ResolvedLink> resolved_;
  std::optional<ResolvConfFile> file_;
};

// After a crash: restores resolv.conf copies left in `state_dir` by processes that are gone.
// Returns how many were restored.
int restore_leftovers(const std::string& state_dir, const std::string& resolv_conf = "/etc/resolv.conf");

}  // namespace gateway::vpn
