#include "gateway/vpn/host_dns.hpp"

namespace gateway::vpn {

std::unique_ptr<HostDns> HostDns::apply(const Settings& settings, std::string& error) {
  std::unique_ptr<HostDns> host(new HostDns);
  Mode mode = settings.mode;
  if (mode == Mode::automatic) mode = ResolvedLink::running() ? Mode::resolved : Mode::resolv_conf;
  if (mode == Mode::resolved) {
    auto link = ResolvedLink::apply(settings.ifindex, settings.dns, error);
    if (!link) {
      error = "systemd-resolved: " + error;
      return nullptr;
    }
    host->resolved_.emplace(std::move(*link));
    return host;
  }
  auto file = ResolvConfFile::replace(settings.resolv_conf, settings.state_dir, settings.dns, error);
  if (!file) return nullptr;
  host->file_.emplace(std::move(*file));
  return host;
}

void HostDns::restore() {
  // Each restores itself as it goes (and says so when it cannot).
  resolved_.reset();
  file_.reset();
}

int restore_leftovers(const std::string& state_dir, const std::string& resolv_conf) {
  return restore_resolv_leftovers(state_dir, resolv_conf);
}

}  // namespace gateway::vpn
