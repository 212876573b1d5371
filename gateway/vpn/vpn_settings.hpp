#pragma once
// What the VPN is asked to do, taken from the resolved options (sshplex's Vpn* directives and
// --vpn), with the tun's own addresses worked out: in each of its networks host 1 is the tun's
// address (our listener sits there), host 2 the NAT's spare address, host 3 the DNS address the
// host's resolver is pointed at.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/config/options.hpp"
#include "tun/cidr.hpp"

namespace gateway::vpn {

struct TunAddresses {
  tun::Cidr network;
  tun::IpAddress tun;    // A
  tun::IpAddress spare;  // B
  tun::IpAddress dns;    // where the host sends its queries
};

struct VpnSettings {
  std::string device = "sshplex%d";
  std::uint32_t mtu = 9000;
  std::vector<tun::Cidr> routes;  // empty: everything
  std::vector<tun::Cidr> excludes;
  TunAddresses v4;
  std::optional<TunAddresses> v6;  // nullopt: IPv6 is not carried (and made unreachable)
  enum class DnsMode : std::uint8_t { server, resolver, none } dns = DnsMode::server;
  std::optional<tun::Endpoint> resolver;  // DnsMode::resolver
  bool kill_switch = false;
  std::uint32_t table = 29544;  // routing table and socket mark
  // The rule priorities sshplex owns: [rule_priority, rule_priority + kRulePrioritySpan).
  std::uint32_t rule_priority = 32700;
  static constexpr std::uint32_t kRulePrioritySpan = 4;
  std::string state_directory = "/run/sshplex";
  // How long a flow whose channel opened waits for the kernel's connection to our listener.
  std::chrono::milliseconds accept_timeout{10000};
};

VpnSettings vpn_settings(const config::Options& options);
// Whether two configurations ask for different VPNs (a reload cannot change a running one).
bool vpn_settings_differ(const config::Options& a, const config::Options& b);
// Copies the Vpn* settings of `from` into `to` (a reload keeps the running VPN's).
void keep_vpn_settings(config::Options& to, const config::Options& from);
TunAddresses tun_addresses(const tun::Cidr& network);

}  // namespace gateway::vpn
