#include "tun/nat_table.hpp"

#include <utility>

#include "tun/builder.hpp"
#include "tun/rewrite.hpp"

namespace tun {

namespace {

Verdict verdict(Action action, NatReason reason, std::uint16_t port = 0) {
  Verdict v;
  v.action = action;
  v.reason = reason;
  v.port = port;
  return v;
}

// A reset answering `parsed`, or a plain drop when the segment was itself a reset.
Verdict reset_or_drop(const Packet& parsed, NatReason reason) {
  auto rst = build_tcp_reset(parsed);
  if (!rst) return verdict(Action::drop, reason);
  Verdict v = verdict(Action::reply, reason);
  v.reply = std::move(*rst);
  return v;
}

bool is_pure_syn(const Packet& p) {
  return (p.tcp.flags & (tcp_syn | tcp_ack | tcp_rst)) == tcp_syn;
}

}  // namespace

const char* to_string(NatReason r) {
  switch (r) {
    case NatReason::none:
      return "ok";
    case NatReason::not_tcp:
      return "not TCP";
    case NatReason::routed:
      return "IPv6 routing header with segments left";
    case NatReason::short_buffer:
      return "buffer shorter than the packet";
    case NatReason::family_not_configured:
      return "address family not configured";
    case NatReason::not_unicast:
      return "not a unicast address";
    case NatReason::syn_while_opening:
      return "SYN retransmitted while the channel opens";
    case NatReason::waiting_for_open:
      return "segment while the channel opens";
    case NatReason::unknown_flow:
      return "no such flow";
    case NatReason::too_many_flows:
      return "too many flows";
    case NatReason::ports_exhausted:
      return "NAT ports exhausted";
  }
  return "unknown";
}

std::size_t NatTable::KeyHash::operator()(const Key& k) const {
  // FNV-1a over what identifies the flow.
  std::size_t h = 14695981039346656037ull;
  auto mix = [&h](std::uint8_t b) { h = (h ^ b) * 1099511628211ull; };
  for (const Endpoint* e : {&k.client, &k.destination}) {
    for (std::uint8_t b : e->address.view()) mix(b);
    mix(static_cast<std::uint8_t>(e->port >> 8));
    mix(static_cast<std::uint8_t>(e->port));
  }
  mix(static_cast<std::uint8_t>(k.client.address.family));
  return h;
}

NatTable::NatTable(NatConfig config) : config_(std::move(config)), next_fresh_(config_.first_port) {}

const NatConfig::Addresses* NatTable::addresses(Family f) const {
  const auto& a = f == Family::v4 ? config_.v4 : config_.v6;
  return a ? &*a : nullptr;
}

Verdict NatTable::handle(std::span<std::uint8_t> packet, Packet& parsed, TimePoint now) {
  if (parsed.transport != Transport::tcp) return verdict(Action::drop, NatReason::not_tcp);
  if (packet.size() < parsed.length || parsed.payload_offset > parsed.length) {
    return verdict(Action::drop, NatReason::short_buffer);
  }
  if (parsed.routed) return verdict(Action::drop, NatReason::routed);
  const NatConfig::Addresses* a = addresses(parsed.family);
  if (a == nullptr) return verdict(Action::drop, NatReason::family_not_configured);
  if (parsed.source == a->tun && parsed.tcp.source_port == config_.listener_port && parsed.destination == a->spare) {
    return inbound(packet, parsed, *a);
  }
  return outbound(packet, parsed, *a, now);
}

Verdict NatTable::outbound(std::span<std::uint8_t> packet, Packet& parsed, const NatConfig::Addresses& a,
                           TimePoint now) {
  if (is_multicast_or_broadcast(parsed.destination) || is_unspecified(parsed.destination) ||
      is_multicast_or_broadcast(parsed.source) || is_unspecified(parsed.source)) {
    return verdict(Action::drop, NatReason::not_unicast);
  }
  const Key key{{parsed.source, parsed.tcp.source_port}, {parsed.destination, parsed.tcp.destination_port}};
  const auto found = by_tuple_.find(key);
  if (found != by_tuple_.end()) {
    const std::uint16_t port = found->second;
    const Entry& e = by_port_.at(port);
    if (e.flow.state == FlowState::opening) {
      return verdict(Action::drop, is_pure_syn(parsed) ? NatReason::syn_while_opening : NatReason::waiting_for_open);
    }
    // A new SYN on the tuple of a released flow is a new connection: it gets a new port, while the
    // old one finishes its quarantine.
    if (!(e.flow.state == FlowState::released && is_pure_syn(parsed))) {
      rewrite(packet, parsed, {a.spare, port}, {a.tun, config_.listener_port});
      return verdict(Action::forward, NatReason::none, port);
    }
  }
  if (!is_pure_syn(parsed)) return reset_or_drop(parsed, NatReason::unknown_flow);
  return new_flow(packet, parsed, now);
}

Verdict NatTable::new_flow(std::span<std::uint8_t> packet, const Packet& parsed, TimePoint now) {
  if (live_ >= config_.max_flows) return reset_or_drop(parsed, NatReason::too_many_flows);
  const auto port = allocate(now);
  if (!port) return reset_or_drop(parsed, NatReason::ports_exhausted);
  const Key key{{parsed.source, parsed.tcp.source_port}, {parsed.destination, parsed.tcp.destination_port}};
  Entry e;
  e.flow = {key.client, key.destination, FlowState::opening};
  e.held.assign(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(parsed.length));
  e.held_parsed = parsed;
  by_port_[*port] = std::move(e);
  by_tuple_[key] = *port;
  ++live_;
  return verdict(Action::hold, NatReason::none, *port);
}

Verdict NatTable::inbound(std::span<std::uint8_t> packet, Packet& parsed, const NatConfig::Addresses& a) {
  (void)a;
  const auto it = by_port_.find(parsed.tcp.destination_port);
  if (it == by_port_.end() || it->second.flow.state == FlowState::opening ||
      it->second.flow.client.address.family != parsed.family) {
    // The listener talks to a port we do not know (we restarted, or the quarantine ended): reset
    // the kernel's connection instead of letting it retransmit.
    return reset_or_drop(parsed, NatReason::unknown_flow);
  }
  const Flow& f = it->second.flow;
  const std::uint16_t port = it->first;
  rewrite(packet, parsed, f.destination, f.client);
  return verdict(Action::forward, NatReason::none, port);
}

std::optional<std::uint16_t> NatTable::allocate(TimePoint now) {
  expire(now);
  if (next_fresh_ <= config_.last_port && config_.first_port <= config_.last_port) {
    return static_cast<std::uint16_t>(next_fresh_++);
  }
  if (!free_.empty()) {
    const std::uint16_t p = free_.back();
    free_.pop_back();
    return p;
  }
  return std::nullopt;
}

void NatTable::expire(TimePoint now) {
  while (!quarantined_.empty()) {
    const std::uint16_t p = quarantined_.front();
    const auto it = by_port_.find(p);
    if (it != by_port_.end() && it->second.reusable_at > now) break;
    quarantined_.pop_front();
    forget(p);
    free_.push_back(p);
  }
}

std::optional<TimePoint> NatTable::next_expiry() const {
  if (quarantined_.empty()) return std::nullopt;
  const auto it = by_port_.find(quarantined_.front());
  if (it == by_port_.end()) return std::nullopt;
  return it->second.reusable_at;
}

void NatTable::forget(std::uint16_t port) {
  const auto it = by_port_.find(port);
  if (it == by_port_.end()) return;
  const Key key{it->second.flow.client, it->second.flow.destination};
  const auto t = by_tuple_.find(key);
  if (t != by_tuple_.end() && t->second == port) by_tuple_.erase(t);
  by_port_.erase(it);
}

std::optional<Bytes> NatTable::confirm(std::uint16_t port) {
  const auto it = by_port_.find(port);
  if (it == by_port_.end() || it->second.flow.state != FlowState::opening) return std::nullopt;
  Entry& e = it->second;
  const NatConfig::Addresses* a = addresses(e.flow.client.address.family);
  if (a == nullptr) return std::nullopt;
  Bytes syn = std::move(e.held);
  e.held = Bytes{};
  rewrite(syn, e.held_parsed, {a->spare, port}, {a->tun, config_.listener_port});
  e.flow.state = FlowState::open;
  return syn;
}

std::optional<Bytes> NatTable::refuse(std::uint16_t port) {
  const auto it = by_port_.find(port);
  if (it == by_port_.end() || it->second.flow.state != FlowState::opening) return std::nullopt;
  auto rst = build_tcp_reset(it->second.held_parsed);
  forget(port);
  free_.push_back(port);
  --live_;
  return rst;
}

bool NatTable::release(std::uint16_t port, TimePoint now) {
  const auto it = by_port_.find(port);
  if (it == by_port_.end() || it->second.flow.state == FlowState::released) return false;
  --live_;
  if (it->second.flow.state == FlowState::opening) {
    forget(port);
    free_.push_back(port);
    return true;
  }
  it->second.flow.state = FlowState::released;
  it->second.reusable_at = now + config_.quarantine;
  quarantined_.push_back(port);
  return true;
}

std::optional<Flow> NatTable::lookup(std::uint16_t port) const {
  const auto it = by_port_.find(port);
  if (it == by_port_.end()) return std::nullopt;
  return it->second.flow;
}

}  // namespace tun
