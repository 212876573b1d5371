#include "gateway/app_control.hpp"

#include <nlohmann/json.hpp>

#include "gateway/config/values.hpp"
#include "gateway/control/control_listener.hpp"
#include "gateway/util/log.hpp"

namespace gateway {
namespace {

bool is_master_mode(const std::string& mode) {
  return mode == "yes" || mode == "ask" || mode == "auto" || mode == "autoask";
}

// ControlPersist applies to a master with nothing of its own to do: no command (-N) and no
// forwards. "yes" or 0: forever.
std::optional<std::uint64_t> persist_time(const config::Options& options, bool has_foreground) {
  if (has_foreground || !options.local_forwards.empty() || !options.remote_forwards.empty() ||
      !options.dynamic_forwards.empty()) {
    return std::nullopt;
  }
  const std::string& value = options.control_persist;
  if (value == "no" || value == "false" || value == "yes" || value == "true") return std::nullopt;
  const auto seconds = config::parse_time(value);
  if (!seconds || seconds->count() == 0) return std::nullopt;
  return static_cast<std::uint64_t>(seconds->count()) * 1000;
}

}  // namespace

bool AppControl::wanted(const config::Options& options, std::string& error) {
  if (!is_master_mode(options.control_master) || options.control_path.empty()) return false;
  return control::check_control_path(options.control_path, error);
}

AppControl::AppControl(App& app) : app_(app) {
  const config::Options& o = app_.options();
  master_ = std::make_unique<control::ControlMaster>(*this, o.control_master == "ask" || o.control_master == "autoask");
  persist_ms_ = persist_time(o, app_.has_foreground());
  // The socket opens once a connection is up and the forwards are in place, as ssh's does after
  // authentication; it closes (and is unlinked) when sshplex stops.
  app_.on_ready([this](App&) { listen(); });
  app_.on_stop([this] { close(); });
  app_.set_exit_hold([this] { return passengers_ > 0; });
}

AppControl::~AppControl() {
  close();
  master_.reset();
}

void AppControl::listen() {
  if (closed_) return;
  std::string error;
  if (!master_->listen(app_.options().control_path, error)) {
    // As ssh: a socket that is already there (another master) leaves this one without one.
    log::error("%s", error.c_str());
    return;
  }
  log::info("Control socket ready: %s", master_->path().c_str());
  if (persist_ms_) arm_persist_timer();
}

void AppControl::close() {
  if (closed_) return;
  closed_ = true;
  if (master_) master_->close();
  if (persist_timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(persist_timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    persist_timer_ = nullptr;
  }
}

void AppControl::arm_persist_timer() {
  if (closed_ || !persist_ms_) return;
  if (persist_timer_ == nullptr) {
    persist_timer_ = new uv_timer_t;
    uv_timer_init(app_.loop(), persist_timer_);
    persist_timer_->data = this;
  }
  uv_timer_start(persist_timer_, [](uv_timer_t* t) {
    auto* self = static_cast<AppControl*>(t->data);
    log::info("ControlPersist: no passenger for %llu s; exiting.",
              static_cast<unsigned long long>(*self->persist_ms_ / 1000));
    self->app_.stop_soon(0, "ControlPersist timeout");
  }, *persist_ms_, 0);
}

void AppControl::open_forward(const config::ForwardSpec& spec, ForwardDone done) {
  app_.open_forward(spec, [done](const std::string& error, std::optional<std::uint32_t> port) { done(error, port); });
}

bool AppControl::close_forward(const config::ForwardSpec& spec, std::string& error) {
  if (app_.cancel_forward(spec)) return true;
  error = "port not forwarded";
  return false;
}

void AppControl::terminate() {
  log::info("Exit request from the control socket; stopping.");
  app_.stop_soon(0, "exit request from the control socket");
}

void AppControl::stopped_listening() {
  if (app_.has_foreground() || app_.forwards().size() > 0) return;
  end_with_last_passenger_ = true;
  if (persist_timer_ != nullptr) uv_timer_stop(persist_timer_);
  if (passengers_ == 0) app_.stop_soon(0, "stop request and no passengers");
}

void AppControl::passengers_changed(std::size_t passengers) {
  passengers_ = passengers;
  if (passengers > 0) {
    if (persist_timer_ != nullptr) uv_timer_stop(persist_timer_);
    return;
  }
  app_.exit_hold_released();
  if (end_with_last_passenger_) {
    log::info("The last passenger has left; exiting.");
    app_.stop_soon(0, "stop request and the last passenger left");
    return;
  }
  if (master_->listening()) arm_persist_timer();
}

std::vector<std::string> AppControl::status_lines() const {
  auto lines = app_.status_lines();
  if (master_->listening()) {
    lines.push_back("control socket " + master_->path() + ": " + std::to_string(passengers_) + " passenger" +
                    (passengers_ == 1 ? "" : "s"));
  }
  return lines;
}

std::string AppControl::status_json() const {
  auto doc = nlohmann::json::parse(app_.status_json());
  doc["control"] = {{"path", master_->path()}, {"listening", master_->listening()}, {"passengers", passengers_}};
  return doc.dump(2) + "\n";
}

}  // namespace gateway
