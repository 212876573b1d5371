#pragma once
// What every kind of forward (-L, -D, -R) is to its owner, so configuration reload, a control
// socket's -O forward / -O cancel and the ~C command line add and remove any kind the same way.
#include <cstddef>
#include <string>

#include "gateway/channel/pump_counters.hpp"

namespace gateway {

class Forward {
 public:
  virtual ~Forward() = default;
  // "local forward 127.0.0.1:8080 -> db:5432", for log lines and the status view.
  virtual std::string describe() const = 0;
  // Starts listening (or asks the server to). false with `error` naming what failed.
  virtual bool start(std::string& error) = 0;
  // No new clients; connections already made carry on until they end.
  virtual void stop_listening() = 0;
  // Stops everything now, connections included.
  virtual void close() = 0;
  virtual std::size_t active_connections() const = 0;
  // Clients waiting for a pooled connection (counted in active_connections() too).
  virtual std::size_t clients_waiting() const { return 0; }
  // What the forward's channels did (the metrics endpoint); nullptr for a kind that does not count
  // per forward (remote forwards share one registry of channels).
  virtual const PumpCounters* counters() const { return nullptr; }
};

}  // namespace gateway
