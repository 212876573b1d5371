#pragma once
// The tun VPN as a whole (Vpn / --vpn): the device and its addresses, the routes and policy rules
// (wg-quick's way: the pool's sockets are marked and skip sshplex's table), the host's DNS pointed
// at the tun, the optional kill switch, and the packet loop that hands each packet to its handler:
//
//   TCP              -> TcpFlows: a direct-tcpip channel per flow (system-stack NAT)
//   UDP to port 53   -> DnsRelay: DNS over TCP to the server's (or the named) resolver
//   other UDP        -> ICMP / ICMPv6 port unreachable at once (QUIC falls back to TCP)
//   ICMP, fragments, other protocols -> dropped (counted)
//
// Everything installed is removed on close() (and by the destructor), in the reverse order; what a
// sshplex that died left behind is removed by the next start or by --vpn-cleanup.
#include <uv.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gateway/channel/pump_counters.hpp"
#include "gateway/forward/forward_limits.hpp"
#include "gateway/pool/upstream.hpp"
#include "gateway/vpn/vpn_settings.hpp"
#include "tun/offload.hpp"

namespace gateway::vpn {

class TunDevice;
class TcpFlows;
class DnsRelay;
class HostDns;
class KillSwitch;
class InstalledRoutes;
class Netlink;
class VpnLock;

class Vpn {
 public:
  struct Counters {
    std::uint64_t malformed = 0;    // packets that did not parse
    std::uint64_t udp_refused = 0;  // non-DNS UDP answered with port unreachable
    std::uint64_t dropped = 0;      // ICMP, fragments, other protocols
  };

  Vpn(uv_loop_t* loop, Upstream& upstream, VpnSettings settings, ForwardLimits limits);
  ~Vpn();
  Vpn(const Vpn&) = delete;
  Vpn& operator=(const Vpn&) = delete;

  // Brings everything up; on failure whatever was installed is removed again and `error` says what
  // failed.
  bool start(std::string& error);
  // No new flows (drain); established ones carry on.
  void stop_accepting();
  // Removes everything and ends every flow. Idempotent.
  void close();

  std::size_t active_flows() const;
  // Opens, open failures and payload bytes of the flows' channels; nullptr before start().
  const PumpCounters* flow_counters() const;
  // "vpn sshplex0: 12 flows, 3401 DNS queries, routes 0.0.0.0/0, ::/0"
  std::string describe() const;
  const std::string& device_name() const { return device_name_; }

 private:
  void on_packet(std::span<std::uint8_t> packet, const tun::OffloadHeader& offload);
  void write_packet(std::span<const std::uint8_t> packet, const tun::OffloadHeader& offload = {});

  uv_loop_t* loop_;
  Upstream& upstream_;
  VpnSettings settings_;
  ForwardLimits limits_;
  std::string device_name_;
  std::unique_ptr<VpnLock> lock_;  // first in, last out
  std::unique_ptr<TunDevice> device_;
  std::unique_ptr<Netlink> netlink_;
  std::unique_ptr<InstalledRoutes> routes_;
  std::unique_ptr<TcpFlows> flows_;
  std::unique_ptr<DnsRelay> dns_;
  std::unique_ptr<HostDns> host_dns_;
  std::unique_ptr<KillSwitch> kill_switch_;
  Counters counters_;
};

// Removes what a sshplex VPN with these settings left behind when it died: its routing table and
// rules, its kill switch table, the resolv.conf it replaced. Returns a line per thing removed.
// The caller holds the VpnLock (no VPN runs in this network namespace).
std::vector<std::string> remove_leftovers(const VpnSettings& settings);
// --vpn-cleanup: remove_leftovers() under the lock; false with `error` while a VPN runs here.
bool clean_up(const VpnSettings& settings, std::vector<std::string>& removed, std::string& error);

}  // namespace gateway::vpn
