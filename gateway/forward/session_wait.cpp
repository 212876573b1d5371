#include "gateway/forward/session_wait.hpp"

namespace gateway {

class SessionWaits::Entry final : public Upstream::Waiter {
 public:
  Entry(SessionWaits& owner, Continuation then) : owner_(owner), then_(std::move(then)) {}
  std::list<std::unique_ptr<Entry>>::iterator self;

  void on_session(SshSession* session) override {
    // The upstream has already forgotten us; unlink before running the continuation, which may
    // start new waits or close the listener.
    Continuation then = std::move(then_);
    std::unique_ptr<Entry> keep = std::move(*self);
    owner_.entries_.erase(self);
    then(session);
  }

 private:
  SessionWaits& owner_;
  Continuation then_;
};

SessionWaits::SessionWaits(Upstream& upstream) : upstream_(upstream) {}

SessionWaits::~SessionWaits() { cancel_all(); }

void SessionWaits::acquire(std::chrono::milliseconds timeout, Continuation then, Upstream::Purpose purpose) {
  entries_.push_back(std::make_unique<Entry>(*this, std::move(then)));
  auto it = std::prev(entries_.end());
  (*it)->self = it;
  upstream_.acquire(**it, timeout, purpose);
}

void SessionWaits::cancel_all() {
  while (!entries_.empty()) {
    Entry& entry = *entries_.front();
    upstream_.cancel(entry);
    entry.on_session(nullptr);
  }
}

}  // namespace gateway
