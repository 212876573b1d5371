// The status view of an App: lines for people (SIGUSR1, ~#, -O status) and a JSON document
// (-O status=json) with the same facts.
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "gateway/app.hpp"

namespace gateway {
namespace {

const char* kind_name(config::ForwardKind kind) {
  switch (kind) {
    case config::ForwardKind::local: return "local";
    case config::ForwardKind::remote: return "remote";
    case config::ForwardKind::dynamic: return "dynamic";
  }
  return "unknown";
}

}  // namespace

std::vector<std::string> App::status_lines() const {
  std::vector<std::string> lines;
  lines.push_back(options_.user + "@" + options_.hostname + ":" + std::to_string(options_.port) + ", " +
                  std::to_string(upstream_ ? upstream_->sessions_up() : 0) + " of " +
                  std::to_string(upstream_ ? upstream_->sessions_wanted() : options_.pool_size) + " connections up, " +
                  std::to_string(upstream_ ? upstream_->total_channels() : 0) + " channels");
  if (upstream_) {
    for (auto& line : upstream_->describe()) lines.push_back(std::move(line));
  }
  if (forwards_) {
    for (auto& line : forwards_->describe()) lines.push_back(std::move(line));
  }
  if (remote_forwards_ && remote_forwards_->size() > 0) {
    lines.push_back("remote forwards: " + std::to_string(remote_forwards_->active_connections()) + " connections");
  }
  if (vpn_) lines.push_back(vpn_->describe());
  if (foreground_started_ && foreground_) lines.push_back(foreground_->describe());
  return lines;
}

std::string App::status_json() const {
  nlohmann::json doc;
  doc["pid"] = ::getpid();
  doc["destination"] = {{"user", options_.user}, {"host", options_.hostname}, {"port", options_.port}};
  nlohmann::json connections = nlohmann::json::array();
  if (upstream_) {
    for (const auto& c : upstream_->connections()) {
      nlohmann::json one = {{"number", c.number}, {"state", c.state}};
      if (c.state == "up") {
        one["up_seconds"] = c.up_seconds;
        one["channels"] = c.channels;
        one["sessions"] = c.sessions;
      }
      if (!c.last_error.empty()) one["error"] = c.last_error;
      connections.push_back(std::move(one));
    }
  }
  doc["pool"] = {{"up", upstream_ ? upstream_->sessions_up() : 0},
                 {"wanted", upstream_ ? upstream_->sessions_wanted() : options_.pool_size},
                 {"channels", upstream_ ? upstream_->total_channels() : 0},
                 {"connections", std::move(connections)}};
  nlohmann::json forwards = nlohmann::json::array();
  if (forwards_) {
    for (const auto& f : forwards_->status()) {
      forwards.push_back({{"kind", kind_name(f.spec.kind)},
                          {"spec", config::to_string(f.spec)},
                          {"description", f.description},
                          {"connections", f.connections}});
    }
  }
  doc["forwards"] = std::move(forwards);
  if (remote_forwards_) doc["remote_forward_connections"] = remote_forwards_->active_connections();
  doc["vpn"] = vpn_ ? nlohmann::json{{"device", vpn_->device_name()},
                                     {"flows", vpn_->active_flows()},
                                     {"description", vpn_->describe()}}
                    : nlohmann::json();
  doc["foreground"] = foreground_started_ && foreground_ ? nlohmann::json(foreground_->describe()) : nlohmann::json();
  return doc.dump(2) + "\n";
}

}  // namespace gateway
