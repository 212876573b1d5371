#include "gateway/forward/forward_set.hpp"

#include <algorithm>

#include "gateway/util/log.hpp"

namespace gateway {

ForwardSet::~ForwardSet() {
  close();
}

std::string ForwardSet::key(const config::ForwardSpec& spec) {
  const char kind = spec.kind == config::ForwardKind::local    ? 'L'
                    : spec.kind == config::ForwardKind::remote ? 'R'
                                                               : 'D';
  return std::string(1, kind) + " " + config::to_string(spec);
}

bool ForwardSet::contains(const config::ForwardSpec& spec) const {
  const std::string k = key(spec);
  return std::any_of(live_.begin(), live_.end(), [&](const Entry& e) { return e.key == k; });
}

bool ForwardSet::add(const config::ForwardSpec& spec, std::string& error) {
  reap();
  if (contains(spec)) {
    error = "forward " + config::to_string(spec) + " already exists";
    return false;
  }
  auto forward = factory_(spec, error);
  if (!forward || !forward->start(error)) return false;
  live_.push_back(Entry{key(spec), spec, std::move(forward)});
  return true;
}

bool ForwardSet::cancel(const config::ForwardSpec& spec) {
  const std::string k = key(spec);
  auto it = std::find_if(live_.begin(), live_.end(), [&](const Entry& e) { return e.key == k; });
  if (it == live_.end() && !spec.target) {
    // Named by its listening side only (-KL 8080, as ssh's -O cancel and ~C take it).
    it = std::find_if(live_.begin(), live_.end(), [&](const Entry& e) {
      return e.spec.kind == spec.kind && e.spec.listen.host == spec.listen.host &&
             e.spec.listen.port == spec.listen.port && e.spec.listen.socket_path == spec.listen.socket_path;
    });
  }
  if (it == live_.end()) return false;
  log::info("Forward removed: %s", it->forward->describe().c_str());
  it->forward->stop_listening();
  retiring_.push_back(std::move(it->forward));
  live_.erase(it);
  reap();
  return true;
}

std::vector<std::string> ForwardSet::apply(const std::vector<config::ForwardSpec>& wanted) {
  std::vector<std::string> wanted_keys;
  for (const auto& spec : wanted) wanted_keys.push_back(key(spec));
  std::vector<config::ForwardSpec> gone;
  for (const auto& e : live_) {
    if (std::find(wanted_keys.begin(), wanted_keys.end(), e.key) == wanted_keys.end()) gone.push_back(e.spec);
  }
  for (const auto& spec : gone) cancel(spec);
  std::vector<std::string> errors;
  for (const auto& spec : wanted) {
    if (contains(spec)) continue;
    std::string error;
    if (!add(spec, error)) errors.push_back(error);
  }
  return errors;
}

void ForwardSet::stop_listening() {
  for (auto& e : live_) e.forward->stop_listening();
}

void ForwardSet::close() {
  for (auto& e : live_) e.forward->close();
  for (auto& f : retiring_) f->close();
}

std::size_t ForwardSet::active_connections() const {
  std::size_t n = 0;
  for (const auto& e : live_) n += e.forward->active_connections();
  for (const auto& f : retiring_) n += f->active_connections();
  return n;
}

std::vector<std::string> ForwardSet::describe() const {
  std::vector<std::string> lines;
  for (const auto& e : live_) {
    const std::size_t n = e.forward->active_connections();
    lines.push_back(e.forward->describe() + ": " + std::to_string(n) + " connection" + (n == 1 ? "" : "s"));
  }
  return lines;
}

std::vector<ForwardSet::Status> ForwardSet::status() const {
  std::vector<Status> out;
  for (const auto& e : live_) out.push_back({e.spec, e.forward->describe(), e.forward->active_connections()});
  return out;
}

void ForwardSet::for_each(const std::function<void(const config::ForwardSpec&, Forward&)>& visit) {
  for (auto& e : live_) visit(e.spec, *e.forward);
}

void ForwardSet::reap() {
  std::erase_if(retiring_, [](const std::unique_ptr<Forward>& f) { return f->active_connections() == 0; });
}

}  // namespace gateway
