#pragma once
// The tun VPN's DNS: UDP queries read from the tun go to one resolver as DNS over TCP (RFC 7766),
// pipelined on one persistent direct-tcpip channel of the pool, and each answer comes back as a UDP
// packet from the address the client asked. The resolver is the server's own (its resolv.conf,
// server_resolver.hpp) or one the user names; either way the query leaves through the server, so
// names only the server can resolve work and nothing is asked on the local network.
//
// - The channel is opened on the first query and again whenever it closes (a resolver closing an
//   idle connection is normal, RFC 7766 §6.2.3; dnsmasq closes one after 100 queries); queries in
//   flight when it closed go out again on the next one. A channel that closed without answering
//   anything counts against the queries it carried: after the second such loss a query is given up
//   (the client retries), so a query that kills the resolver's connection cannot loop.
// - Every query goes out under an id unique on the channel (tun::DnsPending); the answer gets the
//   client's id back and is truncated with TC to the client's UDP limit (its EDNS size, else 512)
//   so the client retries over TCP.
// - When the channel cannot be opened (no connection, the resolver refuses) waiting queries are
//   answered SERVFAIL so clients fail fast, and for open_retry_delay new ones are too; one log line
//   per burst of failures.
// - A query unanswered after query_timeout is forgotten; beyond max_pending in flight, SERVFAIL.
// - Malformed datagrams are dropped and counted.
#include <uv.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/channel/channel_pump.hpp"
#include "gateway/channel/memory_end.hpp"
#include "gateway/pool/upstream.hpp"
#include "gateway/vpn/server_resolver.hpp"
#include "tun/address.hpp"
#include "tun/dns_framing.hpp"
#include "tun/dns_pending.hpp"
#include "tun/packet.hpp"

namespace gateway::vpn {

class DnsRelay final : private ChannelObserver {
 public:
  using SendPacket = std::function<void(ssh::Bytes packet)>;  // one whole IP packet to write into the tun
  struct Settings {
    std::optional<tun::Endpoint> resolver;          // the user's; nullopt: the server's (server_resolver)
    std::chrono::milliseconds query_timeout{5000};  // unanswered -> dropped (the client retries)
    std::size_t max_pending = 1024;                 // queries in flight; beyond: SERVFAIL at once
    // After a failed open, new queries are answered SERVFAIL at once for this long.
    std::chrono::milliseconds open_retry_delay{1000};
  };
  struct Counters {
    std::uint64_t queries = 0;    // well-formed queries read from the tun
    std::uint64_t answers = 0;    // the resolver's answers passed back
    std::uint64_t failures = 0;   // SERVFAIL given, or a query given up after two lost channels
    std::uint64_t timeouts = 0;   // unanswered within query_timeout
    std::uint64_t malformed = 0;  // datagrams dropped as not a DNS query
    std::uint64_t channels = 0;   // channels opened to the resolver
  };

  DnsRelay(uv_loop_t* loop, Upstream& upstream, Settings settings, SendPacket send);
  ~DnsRelay() override;
  DnsRelay(const DnsRelay&) = delete;
  DnsRelay& operator=(const DnsRelay&) = delete;

  // A UDP datagram to port 53 read from the tun (already parsed; `packet` holds the whole IP packet).
  void on_query(std::span<const std::uint8_t> packet, const tun::Packet& parsed);
  // Stops everything; pending queries are dropped. Idempotent.
  void close();

  const Counters& counters() const { return counters_; }
  std::size_t in_flight() const { return flights_.size(); }
  // The resolver queries go to; nullopt while the server's is not known yet.
  std::optional<tun::Endpoint> resolver() const;

 private:
  struct Flight {
    std::uint64_t serial = 0;
    ssh::Bytes framed;  // the query under its wire id, with the length prefix
    std::size_t udp_limit = tun::dns_classic_udp_limit;
    int sends = 0;  // channels it was written to
    int lost = 0;   // channels that closed with it unanswered, having answered nothing at all
  };
  struct Expiry {
    std::uint64_t deadline_ms;
    std::uint16_t wire_id;
    std::uint64_t serial;
  };
  enum class State : std::uint8_t { idle, fetching, waiting, opening, open };

  class Wait final : public Upstream::Waiter {
   public:
    explicit Wait(DnsRelay& owner) : owner_(owner) {}
    void on_session(SshSession* session) override { owner_.on_session(session); }

   private:
    DnsRelay& owner_;
  };

  void ensure_channel();
  void on_session(SshSession* session);
  void on_channel_data(ssh::ByteView data);
  void on_answer(std::span<const std::uint8_t> message);
  // The channel closed or broke: queries in flight go out once more on a new one.
  void channel_lost(const char* why);
  void release_channel();
  void open_failed(const std::string& why);
  void servfail(std::span<const std::uint8_t> query, const tun::Endpoint& server, const tun::Endpoint& client);
  void send_flight(Flight& flight);
  void on_timer();
  void arm_timer();
  std::uint64_t now_ms() const;

  // ChannelObserver
  void on_open_confirmed(ChannelPump& pump) override;
  void on_open_failed(ChannelPump& pump, std::uint32_t reason, const std::string& description) override;
  void on_finished(ChannelPump& pump) override;

  uv_loop_t* loop_;
  Upstream& upstream_;
  Settings settings_;
  SendPacket send_;
  Counters counters_;

  std::vector<tun::Endpoint> resolvers_;  // the user's one, or the server's
  std::size_t resolver_index_ = 0;
  std::unique_ptr<ServerResolverFetch> fetch_;

  State state_ = State::idle;
  Wait wait_{*this};
  ChannelPump* pump_ = nullptr;  // deletes itself once finished
  MemoryEnd* end_ = nullptr;     // the pump's
  tun::DnsStreamReader reader_;
  std::uint64_t channel_answers_ = 0;  // answers on the current channel

  tun::DnsPending pending_;
  std::unordered_map<std::uint16_t, Flight> flights_;  // by wire id, as pending_
  std::uint64_t next_serial_ = 0;
  // Deadlines in the order queries came (one timeout for all, so also in deadline order). Entries
  // of answered queries stay until their deadline: at most the queries of one timeout period.
  std::deque<Expiry> expiries_;
  uv_timer_t* timer_ = nullptr;

  std::uint64_t failed_until_ms_ = 0;  // SERVFAIL at once before this
  bool failing_ = false;               // a failure burst was logged
  bool closed_ = false;
};

}  // namespace gateway::vpn
