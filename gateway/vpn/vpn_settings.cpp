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

bool vpn_settings_differ(const config::Options& a, const config::Options& b) {
  return a.vpn != b.vpn || a.vpn_routes != b.vpn_routes || a.vpn_excludes != b.vpn_excludes || a.vpn_dns != b.vpn_dns ||
         a.vpn_device != b.vpn_device || a.vpn_mtu != b.vpn_mtu || a.vpn_network4 != b.vpn_network4 ||
         a.vpn_network6 != b.vpn_network6 || a.vpn_ipv6 != b.vpn_ipv6 || a.vpn_kill_switch != b.vpn_kill_switch ||
         a.vpn_table != b.vpn_table;
}

void keep_vpn_settings(config::Options& to, const config::Options& from) {
  to.vpn = from.vpn;
  to.vpn_routes = from.vpn_routes;
  to.vpn_excludes = from.vpn_excludes;
  to.vpn_dns = from.vpn_dns;
  to.vpn_device = from.vpn_device;
  to.vpn_mtu = from.vpn_mtu;
  to.vpn_network4 = from.vpn_network4;
  to.vpn_network6 = from.vpn_network6;
  to.vpn_ipv6 = from.vpn_ipv6;
  to.vpn_kill_switch = from.vpn_kill_switch;
  to.vpn_table = from.vpn_table;
}

}  // namespace gateway::vpn
