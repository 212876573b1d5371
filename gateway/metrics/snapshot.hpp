#pragma once
// What sshplex exposes at /metrics, as plain values collected on the loop thread (App::metrics()),
// and the sshplex_* / process_* metric families made from them.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/metrics/exposition.hpp"

namespace gateway::metrics {

// One slot of the pool; counters add up over every connection the slot has made.
struct ConnectionSample {
  std::size_t number = 0;  // 1-based, stable for the slot (the status view's number)
  bool up = false;
  std::uint64_t logins = 0;
  std::uint64_t reconnects = 0;  // connection attempts after the slot's first
  std::uint64_t sent_bytes = 0;  // on the wire, SSH framing and encryption included
  std::uint64_t received_bytes = 0;
  std::optional<double> rtt_seconds;  // shortest channel-open round trip of the current connection
  std::size_t channels = 0;
};

struct ForwardSample {
  std::string kind;  // local, remote, dynamic, vpn
  std::string spec;  // as config::to_string prints it
  std::size_t clients = 0;
  std::size_t clients_waiting = 0;  // for a pooled connection
  std::uint64_t opens = 0;          // channels the server opened
  // Clients that got no channel, by reason (SSH open-failure codes, or the gateway's own refusals).
  std::vector<std::pair<std::string, std::uint64_t>> open_failures;
  std::uint64_t sent_bytes = 0;      // channel payload towards the server
  std::uint64_t received_bytes = 0;  // channel payload from the server
};

struct ProcessSample {
  std::uint64_t open_fds = 0;
  std::uint64_t max_fds = 0;
  std::uint64_t resident_memory_bytes = 0;
  double start_time_seconds = 0;  // since the Unix epoch
};

struct Snapshot {
  std::vector<ConnectionSample> connections;
  std::vector<ForwardSample> forwards;
  std::size_t pool_connections = 0;  // up
  std::size_t pool_connections_wanted = 0;
  std::uint64_t pool_grown = 0;  // extra connections opened under load
  std::optional<ProcessSample> process;
};

std::vector<Family> families(const Snapshot& snapshot);
inline std::string render(const Snapshot& snapshot) {
  return render(families(snapshot));
}

}  // namespace gateway::metrics
