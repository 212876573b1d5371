// The metrics endpoint of an App (MetricsListen): its start, and the snapshot it renders, collected
// from the counters the pool, its connections and the forwards keep.
#include <chrono>

#include "gateway/app.hpp"
#include "gateway/metrics/metrics_server.hpp"
#include "gateway/metrics/process_stats.hpp"
#include "gateway/metrics/snapshot.hpp"
#include "gateway/util/log.hpp"

namespace gateway {
namespace {

const char* kind_label(config::ForwardKind kind) {
  switch (kind) {
    case config::ForwardKind::local:
      return "local";
    case config::ForwardKind::remote:
      return "remote";
    case config::ForwardKind::dynamic:
      return "dynamic";
  }
  return "unknown";
}

void add_counters(metrics::ForwardSample& f, const PumpCounters& counters) {
  f.opens = counters.opens;
  f.sent_bytes = counters.sent_bytes;
  f.received_bytes = counters.received_bytes;
  for (std::size_t i = 0; i < kOpenFailureKinds; ++i) {
    // Every reason is shown, zeros included, so a rate() sees the first failure as an increase.
    f.open_failures.emplace_back(open_failure_name(static_cast<OpenFailure>(i)), counters.open_failures[i]);
  }
}

metrics::ForwardSample forward_sample(const config::ForwardSpec& spec, const Forward& forward) {
  metrics::ForwardSample f;
  f.kind = kind_label(spec.kind);
  f.spec = config::to_string(spec);
  f.clients = forward.active_connections();
  f.clients_waiting = forward.clients_waiting();
  if (const PumpCounters* counters = forward.counters()) add_counters(f, *counters);
  return f;
}

}  // namespace

bool App::start_metrics() {
  if (!options_.metrics_listen) return true;
  metrics_ = std::make_unique<metrics::MetricsServer>(loop_, [this] { return metrics::render(metrics_snapshot()); });
  std::string error;
  if (!metrics_->start(options_.metrics_listen->address, options_.metrics_listen->port, error)) {
    metrics_.reset();
    log::error("%s (MetricsListen)", error.c_str());
    return false;
  }
  return true;
}

metrics::Snapshot App::metrics_snapshot() const {
  metrics::Snapshot s;
  if (upstream_) {
    for (const auto& c : upstream_->connections()) {
      metrics::ConnectionSample sample;
      sample.number = c.number;
      sample.up = c.state == "up";
      sample.logins = c.logins;
      sample.reconnects = c.reconnects;
      sample.sent_bytes = c.sent_bytes;
      sample.received_bytes = c.received_bytes;
      if (c.round_trip) sample.rtt_seconds = std::chrono::duration<double>(*c.round_trip).count();
      sample.channels = c.channels;
      s.connections.push_back(sample);
    }
    s.pool_connections = upstream_->sessions_up();
    s.pool_connections_wanted = upstream_->sessions_wanted();
    s.pool_grown = upstream_->grown();
  }
  if (forwards_) {
    forwards_->for_each([this, &s](const config::ForwardSpec& spec, Forward& forward) {
      s.forwards.push_back(forward_sample(spec, forward));
      // A remote forward's connections are counted by the registry its channels live in.
      if (spec.kind == config::ForwardKind::remote && remote_forwards_) {
        s.forwards.back().clients = remote_forwards_->clients(spec);
      }
    });
  }
  if (vpn_) {
    // The VPN's TCP flows are a forward of their own kind: clients are flows, opens their channels.
    metrics::ForwardSample f;
    f.kind = "vpn";
    f.spec = vpn_->device_name();
    f.clients = vpn_->active_flows();
    if (const PumpCounters* counters = vpn_->flow_counters()) add_counters(f, *counters);
    s.forwards.push_back(std::move(f));
  }
  s.process = metrics::read_process_sample();
  return s;
}

}  // namespace gateway
