#include "gateway/metrics/snapshot.hpp"

namespace gateway::metrics {
namespace {

template <class Item, class Value>
Family per_item(const std::vector<Item>& items, std::string name, std::string help, MetricType type,
                std::vector<Label> (*labels)(const Item&), Value value) {
  Family family{std::move(name), std::move(help), type, {}};
  for (const auto& item : items) {
    if (auto v = value(item)) family.samples.push_back({labels(item), static_cast<double>(*v)});
  }
  return family;
}

std::vector<Label> connection_labels(const ConnectionSample& c) {
  return {{"connection", std::to_string(c.number)}};
}
std::vector<Label> forward_labels(const ForwardSample& f) {
  return {{"kind", f.kind}, {"forward", f.spec}};
}

Family single(std::string name, std::string help, MetricType type, double value) {
  return Family{std::move(name), std::move(help), type, {{{}, value}}};
}

}  // namespace

std::vector<Family> families(const Snapshot& s) {
  using C = ConnectionSample;
  using F = ForwardSample;
  constexpr auto counter = MetricType::counter;
  constexpr auto gauge = MetricType::gauge;
  std::vector<Family> out;
  const auto& cs = s.connections;
  out.push_back(per_item(cs, "sshplex_connection_up", "1 while the pool slot's SSH connection is logged in", gauge,
                         connection_labels, [](const C& c) { return std::optional<int>(c.up ? 1 : 0); }));
  out.push_back(per_item(cs, "sshplex_connection_logins_total", "Successful logins of the pool slot", counter,
                         connection_labels, [](const C& c) { return std::optional(c.logins); }));
  out.push_back(per_item(cs, "sshplex_connection_reconnects_total",
                         "Connection attempts of the pool slot after its first", counter, connection_labels,
                         [](const C& c) { return std::optional(c.reconnects); }));
  out.push_back(
      per_item(cs, "sshplex_connection_rtt_seconds",
               "Shortest channel-open round trip seen on the slot's current connection (millisecond resolution)", gauge,
               connection_labels, [](const C& c) { return c.rtt_seconds; }));
  out.push_back(per_item(cs, "sshplex_connection_sent_bytes_total",
                         "Bytes written to the server, SSH framing and encryption included", counter, connection_labels,
                         [](const C& c) { return std::optional(c.sent_bytes); }));
  out.push_back(per_item(cs, "sshplex_connection_received_bytes_total",
                         "Bytes read from the server, SSH framing and encryption included", counter, connection_labels,
                         [](const C& c) { return std::optional(c.received_bytes); }));
  out.push_back(per_item(cs, "sshplex_connection_channels", "Channels open or opening on the slot's connection", gauge,
                         connection_labels, [](const C& c) { return std::optional(c.channels); }));

  const auto& fs = s.forwards;
  out.push_back(per_item(fs, "sshplex_forward_clients", "Clients of the forward being served or waiting", gauge,
                         forward_labels, [](const F& f) { return std::optional(f.clients); }));
  out.push_back(per_item(fs, "sshplex_forward_clients_waiting", "Clients of the forward waiting for a connection",
                         gauge, forward_labels, [](const F& f) { return std::optional(f.clients_waiting); }));
  out.push_back(per_item(fs, "sshplex_forward_opens_total", "Channels the server opened for the forward's clients",
                         counter, forward_labels, [](const F& f) { return std::optional(f.opens); }));
  Family failures{
      "sshplex_forward_open_failures_total", "Clients of the forward that got no channel, by reason", counter, {}};
  for (const auto& f : fs) {
    for (const auto& [reason, count] : f.open_failures) {
      auto labels = forward_labels(f);
      labels.push_back({"reason", reason});
      failures.samples.push_back({std::move(labels), static_cast<double>(count)});
    }
  }
  out.push_back(std::move(failures));
  out.push_back(per_item(fs, "sshplex_forward_sent_bytes_total", "Channel payload bytes sent towards the server",
                         counter, forward_labels, [](const F& f) { return std::optional(f.sent_bytes); }));
  out.push_back(per_item(fs, "sshplex_forward_received_bytes_total", "Channel payload bytes received from the server",
                         counter, forward_labels, [](const F& f) { return std::optional(f.received_bytes); }));

  out.push_back(
      single("sshplex_pool_connections", "Pool connections logged in", gauge, static_cast<double>(s.pool_connections)));
  out.push_back(single("sshplex_pool_connections_wanted", "Pool connections wanted (PoolSize plus growth)", gauge,
                       static_cast<double>(s.pool_connections_wanted)));
  out.push_back(single("sshplex_pool_grown_total", "Extra connections the pool opened under load", counter,
                       static_cast<double>(s.pool_grown)));

  if (s.process) {
    const auto& p = *s.process;
    out.push_back(
        single("process_open_fds", "Number of open file descriptors.", gauge, static_cast<double>(p.open_fds)));
    out.push_back(
        single("process_max_fds", "Maximum number of open file descriptors.", gauge, static_cast<double>(p.max_fds)));
    out.push_back(single("process_resident_memory_bytes", "Resident memory size in bytes.", gauge,
                         static_cast<double>(p.resident_memory_bytes)));
    out.push_back(single("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", gauge,
                         p.start_time_seconds));
  }
  return out;
}

}  // namespace gateway::metrics
