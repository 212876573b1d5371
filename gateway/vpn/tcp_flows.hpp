#pragma once
// TCP through the tun: the system-stack NAT (tun/nat_table) on the event loop. Each application
// flow becomes a direct-tcpip channel on the pool, pumped like a -D client's:
//
//   1. the application's SYN is held (NatTable::handle -> hold) while a pooled connection is found
//      and the channel to D:dp opens;
//   2. opened: the SYN goes on, rewritten toward our listener, and the kernel completes the handshake
//      with the listener; the accepted socket (peer B:p) becomes the pump's local end (FlowEnd);
//      refused, or no connection within TransportWaitTimeout: the application gets a reset at once;
//      with MaxPendingOpens opens in flight, the SYN waits in a backlog (as a listener's backlog
//      holds connections its program has not accepted yet) and its open starts when one settles;
//   3. the pump finishes: the NAT entry is released into its quarantine.
//
// Backpressure is the kernel's: a full channel window stops reading the accepted socket, its
// receive buffer fills and the application's TCP window closes.
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "gateway/channel/channel_pump.hpp"
#include "gateway/forward/forward_limits.hpp"
#include "gateway/forward/session_wait.hpp"
#include "gateway/net/listener.hpp"
#include "gateway/pool/upstream.hpp"
#include "tun/nat_table.hpp"
#include "tun/offload.hpp"

namespace gateway::vpn {

class FlowEnd;

class TcpFlows {
 public:
  // One IP packet to write into the tun: whole, or a super-packet as `offload` describes it.
  using WritePacket = std::function<void(std::span<const std::uint8_t> packet, const tun::OffloadHeader& offload)>;

  struct Counters {
    std::uint64_t flows_opened = 0;   // channels opened, SYN passed on
    std::uint64_t flows_refused = 0;  // the application got a reset: open refused, no connection, limits
    std::uint64_t resets_sent = 0;    // every reset written (also for unknown flows)
    std::uint64_t dropped = 0;        // segments dropped (retransmitted SYNs while opening, ...)
    std::uint64_t backlogged = 0;     // SYNs that waited for MaxPendingOpens to allow their open
  };

  // `nat` holds the tun's addresses (its listener_port is set by start()).
  TcpFlows(uv_loop_t* loop, Upstream& upstream, tun::NatConfig nat, ForwardLimits limits,
           std::chrono::milliseconds accept_timeout, WritePacket write_packet);
  ~TcpFlows();
  TcpFlows(const TcpFlows&) = delete;
  TcpFlows& operator=(const TcpFlows&) = delete;

  // Listens on the tun's addresses (they must be assigned already). false with `error` otherwise.
  bool start(std::string& error);
  // Where a flow's channel goes instead of its destination (the DNS address's port 53 goes to the
  // resolver); nullopt: to the destination itself.
  using Redirect = std::function<std::optional<tun::Endpoint>(const tun::Endpoint& destination)>;
  void set_redirect(Redirect redirect) { redirect_ = std::move(redirect); }
  // A TCP packet read from the tun (`packet` the whole packet, rewritten in place when forwarded;
  // `offload` goes with it when it is a super-packet).
  void on_packet(std::span<std::uint8_t> packet, tun::Packet& parsed, const tun::OffloadHeader& offload);
  // No new flows (drain); established ones carry on.
  void stop_accepting();
  // Ends every flow now.
  void close();

  std::size_t active_flows() const { return pumps_.size() + waits_.waiting() + backlog_.size(); }
  std::size_t backlog() const { return backlog_.size(); }
  std::size_t nat_entries() const { return nat_ ? nat_->entries() : 0; }
  std::uint16_t listener_port() const { return config_.listener_port; }
  const Counters& counters() const { return counters_; }
  const PumpCounters& pump_counters() const { return pumps_.counters(); }

 private:
  struct Record {
    FlowEnd* end = nullptr;  // owned by its pump
    bool confirmed = false;  // the SYN went on to the kernel
    bool attached = false;   // the kernel's connection was accepted
  };
  class Observer;

  struct Backlogged {
    std::uint16_t port;
    std::chrono::steady_clock::time_point since;
  };

  bool opens_full() const;
  void start_open(std::uint16_t port);
  void schedule_backlog();
  void run_backlog();
  void refuse_backlog(const char* why);
  void open_channel(std::uint16_t port, SshSession* session);
  void refuse(std::uint16_t port, const char* why);
  void on_open_confirmed(std::uint16_t port);
  void on_open_failed(std::uint16_t port, const std::string& description);
  void on_pump_finished(std::uint16_t port);
  void on_connection(net::Listener& listener);
  bool listen_on(const tun::IpAddress& address, net::Listener& out, std::string& error);

  uv_loop_t* loop_;
  tun::NatConfig config_;
  ForwardLimits limits_;
  std::chrono::milliseconds accept_timeout_;
  WritePacket write_packet_;
  Redirect redirect_;
  std::unique_ptr<tun::NatTable> nat_;
  net::Listener listener_v4_;
  net::Listener listener_v6_;
  uv_timer_t* expiry_timer_ = nullptr;
  uv_timer_t* backlog_timer_ = nullptr;  // runs the backlog on the next turn of the loop
  std::deque<Backlogged> backlog_;
  SessionWaits waits_;
  PumpSet pumps_;
  std::unordered_map<std::uint16_t, Record> records_;
  Counters counters_;
  bool accepting_ = true;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gateway::vpn
