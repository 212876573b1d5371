#include "gateway/metrics/snapshot.hpp"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

namespace {

using namespace gateway::metrics;

Snapshot example() {
  Snapshot s;
  ConnectionSample up;
  up.number = 1;
  up.up = true;
  up.logins = 2;
  up.reconnects = 1;
  up.sent_bytes = 5000;
  up.received_bytes = 7000;
  up.rtt_seconds = 0.0125;
  up.channels = 3;
  ConnectionSample waiting;
  waiting.number = 2;
  s.connections = {up, waiting};
  ForwardSample f;
  f.kind = "local";
  f.spec = "L 8080:db:5432";
  f.clients = 4;
  f.clients_waiting = 1;
  f.opens = 9;
  f.open_failures = {{"connect_failed", 2}, {"limit", 0}};
  f.sent_bytes = 100;
  f.received_bytes = 200;
  s.forwards = {f};
  s.pool_connections = 1;
  s.pool_connections_wanted = 2;
  s.pool_grown = 3;
  s.process = ProcessSample{12, 1024, 4096, 1700000000.5};
  return s;
}

TEST(MetricsSnapshot, RendersEveryFamilyWithItsLabels) {
  const std::string text = render(example());
  for (const char* line : {
           "sshplex_connection_up{connection=\"1\"} 1\n",
           "sshplex_connection_up{connection=\"2\"} 0\n",
           "sshplex_connection_logins_total{connection=\"1\"} 2\n",
           "sshplex_connection_reconnects_total{connection=\"1\"} 1\n",
           "sshplex_connection_rtt_seconds{connection=\"1\"} 0.012500000000000001\n",
           "sshplex_connection_sent_bytes_total{connection=\"1\"} 5000\n",
           "sshplex_connection_received_bytes_total{connection=\"1\"} 7000\n",
           "sshplex_connection_channels{connection=\"1\"} 3\n",
           "sshplex_forward_clients{kind=\"local\",forward=\"L 8080:db:5432\"} 4\n",
           "sshplex_forward_clients_waiting{kind=\"local\",forward=\"L 8080:db:5432\"} 1\n",
           "sshplex_forward_opens_total{kind=\"local\",forward=\"L 8080:db:5432\"} 9\n",
           "sshplex_forward_open_failures_total{kind=\"local\",forward=\"L 8080:db:5432\",reason=\"connect_failed\"} "
           "2\n",
           "sshplex_forward_open_failures_total{kind=\"local\",forward=\"L 8080:db:5432\",reason=\"limit\"} 0\n",
           "sshplex_forward_sent_bytes_total{kind=\"local\",forward=\"L 8080:db:5432\"} 100\n",
           "sshplex_forward_received_bytes_total{kind=\"local\",forward=\"L 8080:db:5432\"} 200\n",
           "sshplex_pool_connections 1\n",
           "sshplex_pool_connections_wanted 2\n",
           "sshplex_pool_grown_total 3\n",
           "process_open_fds 12\n",
           "process_max_fds 1024\n",
           "process_resident_memory_bytes 4096\n",
           "process_start_time_seconds 1700000000.5\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "in:\n" << text;
  }
  // A connection without a measured round trip has no rtt sample (rather than a made-up 0).
  EXPECT_EQ(text.find("sshplex_connection_rtt_seconds{connection=\"2\"}"), std::string::npos);
  EXPECT_NE(text.find("# TYPE sshplex_connection_logins_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE sshplex_connection_up gauge\n"), std::string::npos);
}

// Counters end in _total, each family's HELP and TYPE come once, and every sample line belongs to
// the family announced last.
TEST(MetricsSnapshot, FamiliesAreWellFormed) {
  std::istringstream in(render(example()));
  std::set<std::string> typed;
  std::string current, line;
  while (std::getline(in, line)) {
    if (line.starts_with("# TYPE ")) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      EXPECT_TRUE(typed.insert(name).second) << name << " typed twice";
      EXPECT_EQ(type == "counter", name.ends_with("_total")) << name;
      current = name;
    } else if (!line.starts_with("# HELP ")) {
      EXPECT_TRUE(line.starts_with(current + "{") || line.starts_with(current + " ")) << line;
    }
  }
  EXPECT_EQ(typed.size(), 20u);  // 7 per connection, 6 per forward, 3 pool, 4 process
}

TEST(MetricsSnapshot, NoProcessFamiliesWithoutProc) {
  Snapshot s;
  const std::string text = render(s);
  EXPECT_EQ(text.find("process_"), std::string::npos);
  EXPECT_NE(text.find("sshplex_pool_connections 0\n"), std::string::npos);
}

}  // namespace
