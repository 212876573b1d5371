#include "gateway/service/systemd_notifier.hpp"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>
#include <ctime>

#include "gateway/util/log.hpp"

namespace gateway::service {
namespace {

constexpr std::uint64_t kStatusRefreshMs = 5000;

// Neither timer may keep the loop alive: sshplex ends when its work does.
uv_timer_t* start_timer(uv_loop_t* loop, void* data, uv_timer_cb cb, std::uint64_t every_ms) {
  auto* timer = new uv_timer_t;
  uv_timer_init(loop, timer);
  timer->data = data;
  uv_timer_start(timer, cb, every_ms, every_ms);
  uv_unref(reinterpret_cast<uv_handle_t*>(timer));
  return timer;
}

void close_timer(uv_timer_t*& timer) {
  if (timer == nullptr) return;
  uv_timer_stop(timer);
  uv_close(reinterpret_cast<uv_handle_t*>(timer), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  timer = nullptr;
}

// RELOADING=1 carries the monotonic time, which systemd 253's Type=notify-reload requires.
std::string monotonic_usec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::to_string(static_cast<std::uint64_t>(ts.tv_sec) * 1000000 +
                        static_cast<std::uint64_t>(ts.tv_nsec) / 1000);
}

}  // namespace

SystemdNotifier::SystemdNotifier(uv_loop_t* loop, std::function<std::string()> status)
    : loop_(loop), status_(std::move(status)) {
  // The variables leave the environment here, so children (ProxyCommand, LocalCommand, Match exec)
  // can never speak for sshplex; send() puts NOTIFY_SOCKET back for the one call that needs it.
  if (const char* socket = std::getenv("NOTIFY_SOCKET")) notify_socket_ = socket;
  active_ = !notify_socket_.empty();
  std::uint64_t usec = 0;
  // > 0 when WatchdogSec is set for this very process (WATCHDOG_PID, if given, is ours); 1: unset.
  const bool watchdog = ::sd_watchdog_enabled(1, &usec) > 0 && usec > 0;
  ::unsetenv("NOTIFY_SOCKET");
  if (!active_) return;
  if (watchdog) {
    const std::uint64_t every_ms = usec / 2000 > 0 ? usec / 2000 : 1;
    log::verbose("systemd watchdog: keep-alive every %llu ms", static_cast<unsigned long long>(every_ms));
    watchdog_ = start_timer(
        loop_, this, [](uv_timer_t* t) { static_cast<SystemdNotifier*>(t->data)->send("WATCHDOG=1"); }, every_ms);
  }
  status_timer_ = start_timer(
      loop_, this, [](uv_timer_t* t) { static_cast<SystemdNotifier*>(t->data)->status_changed(); }, kStatusRefreshMs);
}

SystemdNotifier::~SystemdNotifier() {
  close();
}

void SystemdNotifier::close() {
  close_timer(watchdog_);
  close_timer(status_timer_);
}

void SystemdNotifier::ready() {
  if (stopping_) return;
  ready_sent_ = true;
  refresh_status(true, "READY=1");
}

void SystemdNotifier::reloaded() {
  // Before the first READY=1 a reload must not end the start-up: systemd would take the unit as
  // started while nothing serves yet.
  if (ready_sent_) {
    ready();
  } else {
    status_changed();
  }
}

void SystemdNotifier::reloading() {
  if (stopping_ || !ready_sent_) return;
  send("RELOADING=1\nMONOTONIC_USEC=" + monotonic_usec() + "\nSTATUS=Reloading the configuration");
  last_status_.clear();
}

void SystemdNotifier::stopping() {
  if (stopping_) return;
  stopping_ = true;
  send("STOPPING=1\nSTATUS=Stopping");
}

void SystemdNotifier::status_changed() {
  if (stopping_) return;
  refresh_status(false, nullptr);
}

void SystemdNotifier::refresh_status(bool with_state, const char* state) {
  if (!active_) return;
  std::string text = status_ ? status_() : std::string();
  if (!with_state && text == last_status_) return;
  std::string message = with_state ? std::string(state) + "\n" : std::string();
  message += "STATUS=" + text;
  last_status_ = std::move(text);
  send(message);
}

void SystemdNotifier::send(const std::string& message) {
  if (!active_) return;
  ::setenv("NOTIFY_SOCKET", notify_socket_.c_str(), 1);
  const int r = ::sd_notify(1, message.c_str());  // 1: unset again once sent
  if (r < 0) log::debug("sd_notify failed: %s", std::strerror(-r));
}

}  // namespace gateway::service
