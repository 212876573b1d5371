#include "gateway/vpn/vpn_settings.hpp"

#include "gateway/config/values.hpp"

namespace gateway::vpn {

TunAddresses tun_addresses(const tun::Cidr& network) {
  // VpnAddress accepts only networks with room for hosts 1..3 (/29 or /125 at most).
  return TunAddresses{network, *network.host(1), *network.host(2), *network.host(3)};
}

VpnSettings vpn_settings(const config::Options& options) {
  VpnSettings s;
  s.device = options.vpn_device;
  s.mtu = options.vpn_mtu;
  s.routes = options.vpn_routes;
  s.excludes = options.vpn_excludes;
  s.v4 = tun_addresses(options.vpn_network4);
  if (options.vpn_ipv6) s.v6 = tun_addresses(options.vpn_network6);
  if (options.vpn_dns == "none") {
    s.dns = VpnSettings::DnsMode::none;
  } else if (options.vpn_dns != "server") {
    s.dns = VpnSettings::DnsMode::resolver;
    s.resolver = config::parse_vpn_resolver(options.vpn_dns);
  }
  s.kill_switch = options.vpn_kill_switch;
  s.table = options.vpn_table;
  return s;
}

}  // namespace gateway::vpn
