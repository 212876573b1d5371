#pragma once
// Tells systemd (Type=notify) where sshplex is in its life: READY=1 once it serves, STATUS= lines
// with the pool's state, RELOADING=1 / READY=1 around a reload, STOPPING=1 when it starts to stop,
// and WATCHDOG=1 from the event loop at half of WatchdogSec, so a loop that hangs gets restarted.
// Without systemd (no NOTIFY_SOCKET) every call does nothing and no timer runs: sshplex works
// unchanged.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

namespace gateway::service {

class SystemdNotifier {
 public:
  // `status` gives the current STATUS= text; it is sent with each state change, and again every
  // few seconds when it changed (channels come and go without an event of their own).
  SystemdNotifier(uv_loop_t* loop, std::function<std::string()> status);
  ~SystemdNotifier();
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // Whether a service manager listens (NOTIFY_SOCKET was set at start).
  bool active() const { return active_; }
  void ready();
  // Around a reload: RELOADING=1, then READY=1 again once it is done; both only after the first
  // READY=1 (a reload during start-up must not end it).
  void reloading();
  void reloaded();
  void stopping();
  // Sends STATUS= now if the text changed since the last one.
  void status_changed();
  // Stops the timers (the loop can then end); later calls only send.
  void close();

 private:
  void send(const std::string& message);
  void refresh_status(bool with_state, const char* state);

  uv_loop_t* loop_;
  std::function<std::string()> status_;
  std::string notify_socket_;  // NOTIFY_SOCKET as given at start (then taken out of the environment)
  bool active_ = false;
  bool ready_sent_ = false;
  bool stopping_ = false;
  std::string last_status_;
  uv_timer_t* watchdog_ = nullptr;
  uv_timer_t* status_timer_ = nullptr;
};

}  // namespace gateway::service
