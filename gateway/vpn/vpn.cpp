#include "gateway/vpn/vpn.hpp"

#include "gateway/util/log.hpp"
#include "gateway/vpn/dns_relay.hpp"
#include "gateway/vpn/host_dns.hpp"
#include "gateway/vpn/installed_routes.hpp"
#include "gateway/vpn/kill_switch.hpp"
#include "gateway/vpn/netlink.hpp"
#include "gateway/vpn/route_plan.hpp"
#include "gateway/vpn/tcp_flows.hpp"
#include "gateway/vpn/tun_device.hpp"
#include "gateway/vpn/vpn_lock.hpp"
#include "tun/icmp_reply.hpp"
#include "tun/packet.hpp"

namespace gateway::vpn {
namespace {

std::string route_text(const VpnSettings& s) {
  if (s.routes.empty()) return s.v6 ? "everything (0.0.0.0/0, ::/0)" : "all IPv4 (0.0.0.0/0; IPv6 blocked)";
  std::string out;
  for (const auto& r : s.routes) out += (out.empty() ? "" : ", ") + r.text();
  return out;
}

RoutePlanInput plan_input(const VpnSettings& s) {
  RoutePlanInput in;
  in.routed = s.routes;
  in.excluded = s.excludes;
  in.ipv6_carried = s.v6.has_value();
  in.table = s.table;
  in.fwmark = s.table;
  in.priority = s.rule_priority;
  return in;
}

}  // namespace

Vpn::Vpn(uv_loop_t* loop, Upstream& upstream, VpnSettings settings, ForwardLimits limits)
    : loop_(loop), upstream_(upstream), settings_(std::move(settings)), limits_(limits) {}

Vpn::~Vpn() {
  close();
}

bool Vpn::start(std::string& error) {
  lock_ = VpnLock::acquire(settings_.state_directory, error);
  if (!lock_) return false;
  for (const auto& line : remove_leftovers(settings_)) {
    log::info("VPN: removed a leftover of an earlier run: %s", line.c_str());
  }
  const auto fail = [&](const std::string& what) {
    error = what;
    close();
    return false;
  };
  device_ = TunDevice::open(loop_, settings_.device, error, TunDevice::Kind::tun, TunDevice::Offload::tcp);
  if (!device_) return false;
  device_name_ = device_->name();
  std::string why;
  netlink_ = Netlink::open(why);
  if (!netlink_) return fail(why);
  const auto index = netlink_->link_index(device_name_, why);
  if (!index) return fail(why);
  if (!netlink_->add_address(*index, tun::Cidr{settings_.v4.tun, settings_.v4.network.prefix}, why)) return fail(why);
  if (settings_.v6 && !netlink_->add_address(*index, tun::Cidr{settings_.v6->tun, settings_.v6->network.prefix}, why)) {
    return fail(why);
  }
  if (!netlink_->set_link_up(*index, settings_.mtu, why)) return fail(why);

  tun::NatConfig nat;
  nat.v4 = tun::NatConfig::Addresses{settings_.v4.tun, settings_.v4.spare};
  if (settings_.v6) nat.v6 = tun::NatConfig::Addresses{settings_.v6->tun, settings_.v6->spare};
  nat.max_flows = limits_.max_clients;
  flows_ = std::make_unique<TcpFlows>(
      loop_, upstream_, nat, limits_, settings_.accept_timeout,
      [this](std::span<const std::uint8_t> p, const tun::OffloadHeader& o) { write_packet(p, o); });
  if (!flows_->start(why)) return fail(why);

  DnsRelay::Settings dns;
  if (settings_.dns == VpnSettings::DnsMode::resolver) dns.resolver = settings_.resolver;
  dns_ = std::make_unique<DnsRelay>(loop_, upstream_, dns, [this](ssh::Bytes p) { write_packet(p); });
  // A client whose answer came back truncated asks again over TCP, to the same DNS address: that
  // flow goes to the resolver the relay uses, not to the tun's own address on the server.
  flows_->set_redirect([this](const tun::Endpoint& destination) -> std::optional<tun::Endpoint> {
    const bool to_dns = destination.port == 53 && (destination.address == settings_.v4.dns ||
                                                   (settings_.v6 && destination.address == settings_.v6->dns));
    if (!to_dns) return std::nullopt;
    return dns_->resolver();
  });

  routes_ = InstalledRoutes::apply(*netlink_, plan_routes(plan_input(settings_)), *index, why);
  if (!routes_) return fail(why);

  if (settings_.dns != VpnSettings::DnsMode::none) {
    HostDns::Settings host;
    host.ifindex = *index;
    host.dns = settings_.v4.dns;
    host.state_dir = settings_.state_directory;
    host_dns_ = HostDns::apply(host, why);
    if (!host_dns_) return fail(why);
  }
  if (settings_.kill_switch) {
    kill_switch_ = KillSwitch::install(
        KillSwitch::Settings{device_name_, settings_.table, settings_.excludes, settings_.table}, why);
    if (!kill_switch_) return fail(why);
  }
  device_->start([this](std::span<std::uint8_t> p, const tun::OffloadHeader& o) { on_packet(p, o); });
  log::info("VPN up on %s (%s): routing %s%s%s", device_name_.c_str(), tun::to_string(settings_.v4.tun).c_str(),
            route_text(settings_).c_str(),
            settings_.dns == VpnSettings::DnsMode::none ? "; DNS left alone" : "; DNS through the server",
            settings_.kill_switch ? "; kill switch on" : "");
  return true;
}

void Vpn::on_packet(std::span<std::uint8_t> packet, const tun::OffloadHeader& offload) {
  tun::ParseResult parsed = tun::parse(packet);
  if (!parsed.ok()) {
    ++counters_.malformed;
    log::debug("VPN: dropping a packet that does not parse: %s", tun::to_string(parsed.error));
    return;
  }
  tun::Packet& p = parsed.packet;
  // A TCP super-packet goes through the NAT as it is, partial checksum and all, and back into the
  // kernel whole; any other partial checksum is completed here, so nothing else sees one.
  const bool segmented = offload.segmented();
  const tun::OffloadError bad =
      segmented ? tun::check_segmented(p, offload) : tun::complete_checksum(packet, p, offload);
  if (bad != tun::OffloadError::none) {
    ++counters_.malformed;
    log::debug("VPN: dropping an offloaded packet: %s", tun::to_string(bad));
    return;
  }
  p.checksum_partial = segmented;
  switch (p.transport) {
    case tun::Transport::tcp:
      flows_->on_packet(packet, p, segmented ? offload : tun::OffloadHeader{});
      return;
    case tun::Transport::udp:
      if (p.udp.destination_port == 53 && dns_) {
        dns_->on_query(packet.first(p.length), p);
        return;
      }
      if (auto reply = tun::build_unreachable(packet, p, tun::Unreachable::port);
          reply.refusal == tun::IcmpRefusal::none) {
        ++counters_.udp_refused;
        write_packet(reply.packet);
      } else {
        ++counters_.dropped;
      }
      return;
    case tun::Transport::icmp:
    case tun::Transport::fragment:
    case tun::Transport::other:
      ++counters_.dropped;
      return;
  }
}

void Vpn::write_packet(std::span<const std::uint8_t> packet, const tun::OffloadHeader& offload) {
  if (device_) device_->write(packet, offload);
}

void Vpn::stop_accepting() {
  if (flows_) flows_->stop_accepting();
}

void Vpn::close() {
  // Flows first (their resets still reach the device), the device last: closing it makes the
  // kernel drop the interface with its addresses and the routes through it.
  if (flows_) flows_->close();
  if (dns_) dns_->close();
  kill_switch_.reset();
  host_dns_.reset();
  routes_.reset();
  flows_.reset();
  dns_.reset();
  netlink_.reset();
  if (device_) {
    const auto& t = device_->counters();
    log::info("VPN down: %s removed (%llu packets read, %llu of them TCP super-packets; %llu written)",
              device_name_.c_str(), static_cast<unsigned long long>(t.packets_in),
              static_cast<unsigned long long>(t.super_packets_in), static_cast<unsigned long long>(t.packets_out));
  }
  device_.reset();
  lock_.reset();
}

std::size_t Vpn::active_flows() const {
  return flows_ ? flows_->active_flows() : 0;
}

const PumpCounters* Vpn::flow_counters() const {
  return flows_ ? &flows_->pump_counters() : nullptr;
}

std::string Vpn::describe() const {
  if (!device_) return "VPN: down";
  std::string out = "VPN " + device_name_ + ": " + std::to_string(active_flows()) + " flows";
  if (flows_) {
    const auto& c = flows_->counters();
    out += " (" + std::to_string(c.flows_opened) + " opened, " + std::to_string(c.flows_refused) + " refused";
    if (flows_->backlog() > 0) out += ", " + std::to_string(flows_->backlog()) + " waiting for MaxPendingOpens";
    out += ")";
  }
  if (dns_) {
    const auto& d = dns_->counters();
    out += ", DNS " + std::to_string(d.queries) + " queries, " + std::to_string(d.answers) + " answers";
  }
  out += ", routing " + route_text(settings_);
  if (kill_switch_) out += ", kill switch on";
  return out;
}

std::vector<std::string> remove_leftovers(const VpnSettings& settings) {
  std::vector<std::string> removed;
  std::string error;
  if (auto netlink = Netlink::open(error)) {
    const std::size_t n =
        netlink->remove_table_and_rules(settings.table, settings.rule_priority, VpnSettings::kRulePrioritySpan, error);
    if (n > 0) removed.push_back(std::to_string(n) + " routes and rules of table " + std::to_string(settings.table));
  }
  if (!error.empty()) log::error("VPN cleanup: %s", error.c_str());
  if (KillSwitch::remove_leftover(settings.table)) {
    removed.push_back("the kill switch's nftables table " + KillSwitch::table_name(settings.table));
  }
  if (const int n = restore_leftovers(settings.state_directory); n > 0) {
    removed.push_back("/etc/resolv.conf restored from " + settings.state_directory);
  }
  return removed;
}

bool clean_up(const VpnSettings& settings, std::vector<std::string>& removed, std::string& error) {
  const auto lock = VpnLock::acquire(settings.state_directory, error);
  if (!lock) return false;
  removed = remove_leftovers(settings);
  return true;
}

}  // namespace gateway::vpn
