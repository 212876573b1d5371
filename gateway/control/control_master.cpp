#include "gateway/control/control_master.hpp"

#include <csignal>

#include "gateway/util/liveness.hpp"
#include "gateway/util/log.hpp"

namespace gateway::control {

ControlMaster::ControlMaster(ControlHost& host, bool ask)
    : host_(host), ask_(ask), listener_(host.loop(), [this](int fd) { accept(fd); }) {
  winch_ = new uv_signal_t;
  uv_signal_init(host_.loop(), winch_);
  winch_->data = this;
  uv_signal_start(winch_, [](uv_signal_t* h, int) {
    auto* self = static_cast<ControlMaster*>(h->data);
    for (ControlConnection* c : self->connections_) c->window_changed();
  }, SIGWINCH);
  // Not a reason to keep the loop alive by itself.
  uv_unref(reinterpret_cast<uv_handle_t*>(winch_));
}

ControlMaster::~ControlMaster() {
  *alive_ = false;
  close();
  for (ControlConnection* c : connections_) delete c;
  uv_close(reinterpret_cast<uv_handle_t*>(winch_), [](uv_handle_t* h) { delete reinterpret_cast<uv_signal_t*>(h); });
}

bool ControlMaster::listen(const std::string& path, std::string& error) { return listener_.listen(path, error); }

void ControlMaster::stop_listening() {
  if (!listener_.listening()) return;
  log::info("Control socket %s: no longer listening (stop request)", path().c_str());
  listener_.stop();
  host_.stopped_listening();
}

void ControlMaster::close() {
  listener_.stop();
  for (ControlConnection* c : std::unordered_set<ControlConnection*>(connections_)) c->close();
}

void ControlMaster::accept(int fd) {
  ControlConnection::Settings settings;
  settings.ask = ask_;
  settings.stop_listening = [this] { stop_listening(); };
  settings.passengers = [this](int delta) {
    passengers_ = delta > 0 ? passengers_ + 1 : (passengers_ > 0 ? passengers_ - 1 : 0);
    host_.passengers_changed(passengers_);
  };
  std::weak_ptr<bool> alive = alive_;
  auto* connection = new ControlConnection(host_, fd, std::move(settings), [this, alive](ControlConnection* done) {
    if (util::still_alive(alive)) connections_.erase(done);
    delete done;
  });
  connections_.insert(connection);
}

}  // namespace gateway::control
