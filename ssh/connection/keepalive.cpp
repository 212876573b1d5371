#include "ssh/connection/keepalive.hpp"

namespace ssh::connection {

void Keepalive::start(TimePoint now) {
  unanswered_ = 0;
  if (enabled()) deadline_ = now + interval_;
}

void Keepalive::on_traffic(TimePoint now) {
  if (!deadline_) return;
  unanswered_ = 0;
  deadline_ = now + interval_;
}

Keepalive::Action Keepalive::on_timeout(TimePoint now) {
  if (!deadline_ || now < *deadline_) return Action::none;
  // As ssh does: the deadline that finds count_max probes unanswered gives up instead of
  // probing again, so a dead server is detected after (count_max + 1) intervals of silence.
  if (++unanswered_ > count_max_) {
    deadline_.reset();
    return Action::timeout;
  }
  deadline_ = now + interval_;
  return Action::probe;
}

}  // namespace ssh::connection
