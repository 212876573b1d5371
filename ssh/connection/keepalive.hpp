#pragma once
// Server liveness probes with the semantics of ssh's ServerAliveInterval / ServerAliveCountMax:
// after `interval` without any traffic from the server a probe goes out; when more than
// `count_max` consecutive probe deadlines pass in silence, the server is declared dead.
// Time comes in as arguments (sans-IO).
#include <chrono>
#include <cstdint>
#include <optional>

namespace ssh::connection {

class Keepalive {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  enum class Action { none, probe, timeout };

  Keepalive(std::chrono::seconds interval, std::uint32_t count_max) : interval_(interval), count_max_(count_max) {}

  bool enabled() const { return interval_.count() > 0; }
  // Starts (or restarts) the timer; the first deadline is one interval from `now`.
  void start(TimePoint now);
  void stop() { deadline_.reset(); }
  // Anything received from the server proves it alive.
  void on_traffic(TimePoint now);
  // Call when time passes; acts at most once per expired deadline.
  Action on_timeout(TimePoint now);
  std::optional<TimePoint> deadline() const { return deadline_; }
  std::uint32_t unanswered() const { return unanswered_; }

 private:
  std::chrono::seconds interval_;
  std::uint32_t count_max_;
  std::uint32_t unanswered_ = 0;
  std::optional<TimePoint> deadline_;
};

}  // namespace ssh::connection
