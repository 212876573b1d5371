#include "tun/dns_pending.hpp"

namespace tun {

std::optional<std::uint16_t> DnsPending::add(const PendingQuery& query) {
  if (pending_.size() >= max_) return std::nullopt;
  // Sequential ids, skipping those in flight: fewer than 65536 are, so the loop ends.
  while (pending_.contains(next_)) ++next_;
  const std::uint16_t id = next_++;
  pending_.emplace(id, query);
  return id;
}

std::optional<PendingQuery> DnsPending::take(std::uint16_t wire_id) {
  const auto it = pending_.find(wire_id);
  if (it == pending_.end()) return std::nullopt;
  PendingQuery q = it->second;
  pending_.erase(it);
  return q;
}

}  // namespace tun
