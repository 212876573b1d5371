#pragma once
// The system-stack NAT (the shape of sing-tun's stack_system): TCP from applications is turned
// around inside the tun so that the kernel terminates it on our own listener; no TCP stack here.
//
//   application -> tun:  S:sp -> D:dp   is rewritten to   B:p -> A:L   and written back into the tun
//   kernel -> tun:       A:L -> B:p     is rewritten to   D:dp -> S:sp and written back into the tun
//
// A is the tun's address, B a spare address routed to the tun, L our listener's port and p a NAT
// port naming the flow; lookup(p) tells the accepted socket (peer B:p) its S:sp and D:dp.
//
// A new flow's SYN is held until the gateway knows whether the SSH channel to D:dp opened: confirm()
// hands the SYN back rewritten (the kernel then completes the handshake with the listener), refuse()
// answers the application with a reset, so it sees "connection refused" at once. An entry lives until
// release() (its socket closed) and then keeps translating through a quarantine (a TIME_WAIT's
// length), so the closing segments still pass and a new flow never reuses B:p while the kernel may
// still hold the old connection. Time comes in as an argument; nothing here reads a clock.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "tun/address.hpp"
#include "tun/packet.hpp"

namespace tun {

using Bytes = std::vector<std::uint8_t>;
using TimePoint = std::chrono::steady_clock::time_point;

struct NatConfig {
  struct Addresses {
    IpAddress tun;    // A: the tun device's own address (the listener is bound there)
    IpAddress spare;  // B: an address routed to the tun that no application uses
  };
  std::optional<Addresses> v4;
  std::optional<Addresses> v6;
  std::uint16_t listener_port = 0;  // L
  // NAT ports p on B, one space for both families (an accepted socket's peer port names its flow).
  std::uint16_t first_port = 1024;
  std::uint16_t last_port = 65535;
  std::size_t max_flows = 16384;  // live flows (held or open); released ones are bounded by the port range
  std::chrono::seconds quarantine{60};
};

enum class FlowState : std::uint8_t {
  opening,   // SYN held, the gateway is opening the channel
  open,      // confirmed: translating both ways
  released,  // the socket closed: still translating, the port in quarantine
};

struct Flow {
  Endpoint client;       // S:sp, the application
  Endpoint destination;  // D:dp, where it wanted to go
  FlowState state = FlowState::opening;
};

enum class Action : std::uint8_t {
  forward,  // the packet was rewritten in place: write it back to the device
  hold,     // a new flow (`port`): the SYN is kept; open the channel, then confirm() or refuse()
  reply,    // drop the packet and write `reply` (a TCP reset) to the device
  drop,     // drop the packet
};

enum class NatReason : std::uint8_t {
  none,
  not_tcp,                // only TCP is translated; UDP and ICMP are the caller's
  routed,                 // an IPv6 routing header with segments left (not rewritten, see rewrite.hpp)
  short_buffer,           // the span is shorter than the parsed packet (not the bytes it was parsed from)
  family_not_configured,  // no addresses for this family
  not_unicast,            // multicast / broadcast / unspecified address
  syn_while_opening,      // a retransmitted SYN while the channel opens (the held one will go)
  waiting_for_open,       // another segment while the channel opens
  unknown_flow,           // no entry: answered with a reset (or dropped if it was a reset)
  too_many_flows,         // max_flows reached: the SYN is answered with a reset
  ports_exhausted,        // every port in use or in quarantine: the SYN is answered with a reset
};

const char* to_string(NatReason r);

struct Verdict {
  Action action = Action::drop;
  NatReason reason = NatReason::none;
  std::uint16_t port = 0;  // the flow's NAT port (forward, hold)
  Bytes reply;             // Action::reply
};

class NatTable {
 public:
  explicit NatTable(NatConfig config);

  // A TCP packet read from the device (`parsed` from parse(packet)). Packets from the listener
  // (A:L -> B:p) go back to the application, anything else is an application's outbound packet.
  // Non-SYN segments of unknown flows are answered with a reset, as RFC 9293 §3.10.7.1 answers
  // segments for a closed port: after a restart, applications learn at once that their old
  // connections are gone instead of retransmitting into silence. Resets are never answered.
  Verdict handle(std::span<std::uint8_t> packet, Packet& parsed, TimePoint now);

  // The channel for a held flow opened: its SYN, rewritten toward the listener, to write to the
  // device. Empty if `port` is not a held flow.
  std::optional<Bytes> confirm(std::uint16_t port);
  // The channel did not open: the reset for the application (from D:dp to S:sp, acknowledging the
  // SYN). The port is free again at once (the kernel never saw it). Empty if not a held flow.
  std::optional<Bytes> refuse(std::uint16_t port);
  // The gateway's socket for the flow closed: the flow keeps translating during the quarantine and
  // its port is reused only afterwards. A held flow is dropped at once. False if unknown or released.
  bool release(std::uint16_t port, TimePoint now);
  // Ends the quarantine of every port whose time has come (also done on each new flow).
  void expire(TimePoint now);
  // When the next quarantine ends, for the caller's timer.
  std::optional<TimePoint> next_expiry() const;

  std::optional<Flow> lookup(std::uint16_t port) const;
  std::size_t live_flows() const { return live_; }
  std::size_t entries() const { return by_port_.size(); }

 private:
  struct Key {
    Endpoint client;
    Endpoint destination;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  struct Entry {
    Flow flow;
    Bytes held;  // the SYN while opening
    Packet held_parsed;
    TimePoint reusable_at{};
  };

  const NatConfig::Addresses* addresses(Family f) const;
  Verdict outbound(std::span<std::uint8_t> packet, Packet& parsed, const NatConfig::Addresses& a, TimePoint now);
  Verdict inbound(std::span<std::uint8_t> packet, Packet& parsed, const NatConfig::Addresses& a);
  Verdict new_flow(std::span<std::uint8_t> packet, const Packet& parsed, TimePoint now);
  std::optional<std::uint16_t> allocate(TimePoint now);
  void forget(std::uint16_t port);  // erase the entry and its tuple (if the tuple still names it)

  NatConfig config_;
  std::unordered_map<std::uint16_t, Entry> by_port_;
  std::unordered_map<Key, std::uint16_t, KeyHash> by_tuple_;
  std::uint32_t next_fresh_;               // ports never used yet: next_fresh_..last_port
  std::vector<std::uint16_t> free_;        // ports free again (refused flows, ended quarantines)
  std::deque<std::uint16_t> quarantined_;  // released ports, oldest first (one quarantine length for all)
  std::size_t live_ = 0;
};

}  // namespace tun
