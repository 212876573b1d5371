// sshplex's own directives: the pool, reconnection, limits, draining, logging, metrics and SOCKS
// credentials (README "A gateway that heals itself"). ssh_config's keywords are in keywords.cpp.
#include <arpa/inet.h>

#include <algorithm>
#include <optional>

#include "gateway/config/keyword_handler.hpp"
#include "gateway/config/values.hpp"
#include "ssh/known_hosts/host_pattern.hpp"

namespace gateway::config::keyword {
namespace {

using ssh::known_hosts::to_lower_ascii;

// sshplex's own: "user:password" lines for SOCKS username/password authentication (RFC 1929).
std::string kw_socks_credentials_file(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  if (c.first()) c.b.socks_credentials_file.push_back(c.pending(c.args[0]));
  return {};
}
std::string kw_socks_allow_open_proxy(Ctx& c) {
  return bool_kw(c, &Options::socks_allow_open_proxy);
}

// sshplex's own headless directives (see Options for what each controls).
std::string kw_pool_size(Ctx& c) {
  return uint_kw(c, &Options::pool_size, 1, 64);
}
std::string kw_pool_max_size(Ctx& c) {
  return uint_kw(c, &Options::pool_max_size, 1, 64);
}
std::string kw_channels_per_connection(Ctx& c) {
  return uint_kw(c, &Options::channels_per_connection, 0, 1000000);
}
std::string kw_pool_idle_timeout(Ctx& c) {
  return time_kw(c, &Options::pool_idle_timeout, true);
}
std::string kw_reconnect(Ctx& c) {
  return bool_kw(c, &Options::reconnect);
}
std::string kw_reconnect_max_delay(Ctx& c) {
  return time_kw(c, &Options::reconnect_max_delay, true);
}
// 0 is allowed: a client then fails at once while no connection is up.
std::string kw_transport_wait_timeout(Ctx& c) {
  return time_kw(c, &Options::transport_wait_timeout, false);
}
std::string kw_max_clients(Ctx& c) {
  return uint_kw(c, &Options::max_clients, 1, 1000000);
}
std::string kw_max_pending_opens(Ctx& c) {
  return uint_kw(c, &Options::max_pending_opens, 1, 1000000);
}
std::string kw_drain_timeout(Ctx& c) {
  return time_kw(c, &Options::drain_timeout, false);
}

// MetricsListen [address:]port or none. A bare port binds loopback (never exposed by accident);
// the address is numeric, as it is bound without a lookup: IPv4, [IPv6], "*" (every IPv4
// address) or "localhost".
std::optional<Options::MetricsListen> parse_metrics_listen(std::string_view v) {
  Options::MetricsListen out;
  std::string_view port = v;
  if (const auto colon = v.rfind(':'); colon != std::string_view::npos) {
    std::string address(v.substr(0, colon));
    port = v.substr(colon + 1);
    if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
      address = address.substr(1, address.size() - 2);
      in6_addr a6{};
      if (inet_pton(AF_INET6, address.c_str(), &a6) != 1) return std::nullopt;
    } else if (address == "*") {
      address = "0.0.0.0";
    } else if (address == "localhost") {
      address = "127.0.0.1";
    } else {
      in_addr a4{};
      if (inet_pton(AF_INET, address.c_str(), &a4) != 1) return std::nullopt;
    }
    out.address = address;
  }
  const auto number = parse_uint(port, 1, 65535);
  if (!number) return std::nullopt;
  out.port = static_cast<std::uint16_t>(*number);
  return out;
}

std::string kw_metrics_listen(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  std::optional<Options::MetricsListen> listen;
  if (to_lower_ascii(c.args[0]) != "none") {
    listen = parse_metrics_listen(c.args[0]);
    if (!listen) {
      return "expected [address:]port (a numeric IPv4 address, [IPv6], * or localhost; port 1..65535) or none, got " +
             quoted(c.args[0]);
    }
  }
  if (c.first()) c.o().metrics_listen = listen;
  return {};
}

// "file" is not a value here: a log file is given with -E on the command line, as with ssh.
std::string kw_log_target(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  const std::string v = to_lower_ascii(c.args[0]);
  Options::LogTarget target;
  if (v == "stderr") {
    target = Options::LogTarget::standard_error;
  } else if (v == "syslog") {
    target = Options::LogTarget::syslog;
  } else if (v == "journal") {
    target = Options::LogTarget::journal;
  } else {
    return "expected stderr, syslog or journal, got " + quoted(c.args[0]);
  }
  if (c.first()) c.o().log_target = target;
  return {};
}

// The VPN's directives (README "The VPN").
std::string kw_vpn(Ctx& c) {
  return bool_kw(c, &Options::vpn);
}

// VpnRoute / VpnExclude: prefixes, comma- or space-separated; every active line adds (as forwards do).
std::string cidr_list_kw(Ctx& c, std::vector<tun::Cidr> Options::*field) {
  if (c.args.empty()) return "missing argument";
  std::vector<tun::Cidr> parsed;
  for (const auto& arg : c.args) {
    std::size_t start = 0;
    while (start <= arg.size()) {
      const std::size_t comma = std::min(arg.find(',', start), arg.size());
      const std::string item = arg.substr(start, comma - start);
      start = comma + 1;
      // "10.0.0.0/8, 172.16.0.0/12": the comma ends one word and the next word is the next item.
      if (item.empty() && comma == arg.size() && comma > 0) continue;
      const auto cidr = tun::Cidr::parse(item);
      if (!cidr) return "expected an address or address/prefix (IPv4 or IPv6), got " + quoted(item);
      parsed.push_back(*cidr);
    }
  }
  if (c.active) {
    auto& list = c.o().*field;
    for (const auto& cidr : parsed) {
      if (std::find(list.begin(), list.end(), cidr) == list.end()) list.push_back(cidr);
    }
  }
  return {};
}
std::string kw_vpn_route(Ctx& c) {
  return cidr_list_kw(c, &Options::vpn_routes);
}
std::string kw_vpn_exclude(Ctx& c) {
  return cidr_list_kw(c, &Options::vpn_excludes);
}

std::string kw_vpn_dns(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  const std::string v = to_lower_ascii(c.args[0]);
  if (v != "server" && v != "none" && !parse_vpn_resolver(c.args[0])) {
    return "expected server, none or a resolver's address[:port] ([IPv6]:port), got " + quoted(c.args[0]);
  }
  if (c.first()) c.o().vpn_dns = (v == "server" || v == "none") ? v : c.args[0];
  return {};
}

std::string kw_vpn_device(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  const std::string& name = c.args[0];
  // IFNAMSIZ - 1 characters; no '/' or space (the kernel refuses them); at most one %d template.
  const bool ok = !name.empty() && name.size() <= 15 && name.find_first_of("/: \t") == std::string::npos &&
                  name != "." && name != ".." && std::count(name.begin(), name.end(), '%') <= 1 &&
                  (name.find('%') == std::string::npos || name.find("%d") != std::string::npos);
  if (!ok) return "expected an interface name of 1..15 characters (a %d template allowed), got " + quoted(name);
  if (c.first()) c.o().vpn_device = name;
  return {};
}

std::string kw_vpn_mtu(Ctx& c) {
  return uint_kw(c, &Options::vpn_mtu, 1280, 65535);
}

std::string kw_vpn_address(Ctx& c) {
  if (c.args.empty() || c.args.size() > 2) return "expected an IPv4 network and/or an IPv6 network";
  std::optional<tun::Cidr> v4;
  std::optional<tun::Cidr> v6;
  for (const auto& arg : c.args) {
    const auto cidr = tun::Cidr::parse(arg);
    if (!cidr) return "expected a network address/prefix, got " + quoted(arg);
    // Hosts 1, 2 and 3 must exist and the network must not be the whole address space.
    const bool four = cidr->family() == tun::Family::v4;
    if (cidr->prefix > (four ? 29 : 125) || cidr->prefix < (four ? 8 : 16)) {
      return std::string("expected a prefix of ") + (four ? "/8../29" : "/16../125") + ", got " + quoted(arg);
    }
    auto& slot = four ? v4 : v6;
    if (slot) return "two networks of one family: " + quoted(arg);
    slot = cidr;
  }
  if (c.first()) {
    if (v4) c.o().vpn_network4 = *v4;
    if (v6) c.o().vpn_network6 = *v6;
  }
  return {};
}

std::string kw_vpn_ipv6(Ctx& c) {
  return bool_kw(c, &Options::vpn_ipv6);
}
std::string kw_vpn_kill_switch(Ctx& c) {
  return bool_kw(c, &Options::vpn_kill_switch);
}
// Tables 253..255 are the kernel's default, main and local; 0 is "unspecified".
std::string kw_vpn_table(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  const auto v = parse_uint(c.args[0], 1, 0x7fffffff);
  if (!v || (*v >= 253 && *v <= 255)) {
    return "expected a routing table number 1..2147483647 other than the kernel's 253..255, got " + quoted(c.args[0]);
  }
  if (c.first()) c.o().vpn_table = static_cast<std::uint32_t>(*v);
  return {};
}

constexpr Keyword kSshplexKeywords[] = {
    {"SocksCredentialsFile", kw_socks_credentials_file},
    {"SocksAllowOpenProxy", kw_socks_allow_open_proxy},
    {"PoolSize", kw_pool_size},
    {"PoolMaxSize", kw_pool_max_size},
    {"ChannelsPerConnection", kw_channels_per_connection},
    {"PoolIdleTimeout", kw_pool_idle_timeout},
    {"Reconnect", kw_reconnect},
    {"ReconnectMaxDelay", kw_reconnect_max_delay},
    {"TransportWaitTimeout", kw_transport_wait_timeout},
    {"MaxClients", kw_max_clients},
    {"MaxPendingOpens", kw_max_pending_opens},
    {"DrainTimeout", kw_drain_timeout},
    {"MetricsListen", kw_metrics_listen},
    {"LogTarget", kw_log_target},
    {"Vpn", kw_vpn},
    {"VpnRoute", kw_vpn_route},
    {"VpnExclude", kw_vpn_exclude},
    {"VpnDns", kw_vpn_dns},
    {"VpnDevice", kw_vpn_device},
    {"VpnMtu", kw_vpn_mtu},
    {"VpnAddress", kw_vpn_address},
    {"VpnIPv6", kw_vpn_ipv6},
    {"VpnKillSwitch", kw_vpn_kill_switch},
    {"VpnTable", kw_vpn_table},
};

}  // namespace

std::span<const Keyword> sshplex_keywords() {
  return kSshplexKeywords;
}

}  // namespace gateway::config::keyword
