#pragma once
// Queries in flight on one pipelined DNS-over-TCP connection (RFC 7766 §6.2.1.1): clients choose
// their ids independently, so each query goes out under an id unique on the connection, and the
// answer finds its client (and gets the client's id back) by that id.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "tun/address.hpp"

namespace tun {

struct PendingQuery {
  Endpoint client;  // who asked (the UDP source on the tun)
  Endpoint server;  // whom it asked (the UDP destination: the answer's source)
  std::uint16_t client_id = 0;
};

class DnsPending {
 public:
  explicit DnsPending(std::size_t max_pending = 4096) : max_(max_pending > 65536 ? 65536 : max_pending) {}

  // The id to send the query under; empty when max_pending queries are in flight.
  std::optional<std::uint16_t> add(const PendingQuery& query);
  // The query answered by `wire_id`, removed; empty for an id we did not send (a late or forged answer).
  std::optional<PendingQuery> take(std::uint16_t wire_id);
  std::size_t size() const { return pending_.size(); }
  void clear() { pending_.clear(); }

 private:
  std::size_t max_;
  std::uint16_t next_ = 0;
  std::unordered_map<std::uint16_t, PendingQuery> pending_;
};

}  // namespace tun
