#pragma once
// Clients of one listener that wait for a pooled connection: each gets its continuation called
// once, with a session or with nullptr when the wait timed out or the pool gave up.
#include <chrono>
#include <functional>
#include <list>
#include <memory>

#include "gateway/pool/upstream.hpp"

namespace gateway {

class SessionWaits {
 public:
  using Continuation = std::function<void(SshSession*)>;

  explicit SessionWaits(Upstream& upstream);
  ~SessionWaits();
  SessionWaits(const SessionWaits&) = delete;
  SessionWaits& operator=(const SessionWaits&) = delete;

  // Runs `then` at once when a connection is up, else when one comes up or `timeout` passes.
  void acquire(std::chrono::milliseconds timeout, Continuation then,
               Upstream::Purpose purpose = Upstream::Purpose::channel);
  // Ends every wait now: each continuation runs with nullptr (the listener is closing).
  void cancel_all();
  std::size_t waiting() const { return entries_.size(); }

 private:
  class Entry;
  Upstream& upstream_;
  std::list<std::unique_ptr<Entry>> entries_;
};

}  // namespace gateway
