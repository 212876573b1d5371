#include "gateway/core/upstream.hpp"

#include <algorithm>
#include <cstdio>

#include "gateway/core/log.hpp"

namespace gateway {
namespace {

void free_timer(uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); }

uv_timer_t* new_timer(uv_loop_t* loop, void* data) {
  auto* timer = new uv_timer_t;
  uv_timer_init(loop, timer);
  timer->data = data;
  return timer;
}

void close_timer(uv_timer_t*& timer) {
  if (timer == nullptr) return;
  uv_timer_stop(timer);
  uv_close(reinterpret_cast<uv_handle_t*>(timer), free_timer);
  timer = nullptr;
}

std::string seconds_text(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

// Methods that ask the user something: repeating them for every pooled connection (and on every
// reconnect) would prompt again and again.
bool needs_prompt(const std::string& method) { return method == "password" || method == "keyboard-interactive"; }

}  // namespace

Upstream::Upstream(uv_loop_t* loop, net::Resolver& resolver, UpstreamSettings settings, UpstreamObserver& observer)
    : loop_(loop),
      resolver_(resolver),
      settings_(std::move(settings)),
      observer_(observer),
      jitter_rng_(std::random_device{}()) {
  waiter_timer_ = new_timer(loop_, this);
  stagger_timer_ = new_timer(loop_, this);
  reaper_ = new_timer(loop_, this);
}

Upstream::~Upstream() {
  stopped_ = true;
  for (auto& slot : slots_) {
    close_timer(slot->retry_timer);
    slot->session.reset();
  }
  retired_.clear();
  close_timer(waiter_timer_);
  close_timer(stagger_timer_);
  close_timer(reaper_);
}

void Upstream::start() {
  grow_slots();
  schedule_handshakes();
}

void Upstream::grow_slots() {
  while (slots_.size() < std::max<std::uint32_t>(1, settings_.pool_size)) {
    auto slot = std::make_unique<Slot>();
    slot->index = slots_.size();
    slot->owner = this;
    slot->retry_timer = new_timer(loop_, slot.get());
    slots_.push_back(std::move(slot));
  }
}

std::size_t Upstream::target_slots() const {
  // Until the first connection is up, one is enough to learn whether the server takes us at all.
  if (!ever_up_ || prompting_method_) return 1;
  return std::min<std::size_t>(std::max<std::uint32_t>(1, settings_.pool_size), slots_.size());
}

void Upstream::schedule_handshakes() {
  if (stopped_ || handshake_in_flight_ || uv_is_active(reinterpret_cast<uv_handle_t*>(stagger_timer_)) != 0) return;
  const std::size_t limit = std::min(target_slots(), slots_.size());
  for (std::size_t i = 0; i < limit; ++i) {
    if (slots_[i]->state == SlotState::idle) {
      connect_slot(*slots_[i]);
      return;
    }
  }
}

void Upstream::connect_slot(Slot& slot) {
  slot.state = SlotState::connecting;
  handshake_in_flight_ = true;
  if (!authenticator_ || auth_stale_) authenticator_ = std::make_unique<auth::Authenticator>(settings_.hop.auth);
  auth_stale_ = false;
  authenticator_->restart();
  slot.session = std::make_unique<SshSession>(loop_, resolver_, settings_.hop.target, settings_.hop.client, *this);
  log::verbose("Connecting to %s (connection %zu of %zu).", settings_.hop.target.host.c_str(), slot.index + 1,
               slots_.size());
  slot.session->start();
}

Upstream::Slot* Upstream::slot_of(SshSession& session) {
  for (auto& slot : slots_) {
    if (slot->session.get() == &session) return slot.get();
  }
  return nullptr;
}

bool Upstream::verify_host_key(SshSession&, const ssh::event::HostKey& key) {
  return auth::verify_host_key(settings_.hop.host_keys, key);
}

void Upstream::on_auth_event(SshSession& session, const ssh::Event& event) {
  if (slot_of(session) != nullptr && authenticator_) authenticator_->handle(session, event);
}

void Upstream::on_authenticated(SshSession& session, const std::string& method) {
  Slot* slot = slot_of(session);
  if (slot == nullptr) return;
  slot->state = SlotState::up;
  slot->failures = 0;
  slot->last_error.clear();
  slot->up_since_ms = uv_now(loop_);
  handshake_in_flight_ = false;
  if (!ever_up_ && needs_prompt(method)) {
    prompting_method_ = true;
    log::verbose("Authentication used %s: keeping a single connection so the prompt is not repeated.",
                 method.c_str());
  }
  ever_up_ = true;
  const auto& t = settings_.hop.target;
  const auto& transport = session.client().transport();
  const auto& a = transport.algorithms();
  log::info("Authenticated to %s port %u using \"%s\".", t.connect_host.c_str(), t.port, method.c_str());
  log::info("Connected to %s port %u (connection %zu of %zu): %s, %s, %s, %s.", t.connect_host.c_str(), t.port,
            slot->index + 1, target_slots(), transport.server_version().c_str(), a.kex.c_str(), a.host_key.c_str(),
            a.cipher_c2s.c_str());
  observer_.on_session_up(session);
  serve_waiters();
  uv_timer_start(stagger_timer_, [](uv_timer_t* timer) { static_cast<Upstream*>(timer->data)->schedule_handshakes(); },
                 static_cast<std::uint64_t>(settings_.stagger.count()), 0);
}

void Upstream::on_channel_open_request(SshSession& session, const ssh::event::ChannelOpenRequest& request) {
  observer_.on_channel_open_request(session, request);
}

void Upstream::on_disconnected(SshSession& session, const std::string& reason, bool was_authenticated) {
  Slot* slot = slot_of(session);
  if (slot == nullptr) return;
  const bool was_up = slot->state == SlotState::up;
  if (slot->state == SlotState::connecting) handshake_in_flight_ = false;
  slot->last_error = reason;
  release_session(*slot);
  if (stopped_) return;
  const auto& t = settings_.hop.target;
  if (!ever_up_) {
    // Before anything worked this is ssh's single connection attempt (ConnectionAttempts).
    if (++initial_attempts_ >= std::max<std::uint32_t>(1, settings_.connection_attempts)) {
      stopped_ = true;
      auto waiters = std::move(waiters_);
      waiters_.clear();
      uv_timer_stop(waiter_timer_);
      for (auto& w : waiters) w.waiter->on_session(nullptr);
      observer_.on_upstream_failed(reason);
      return;
    }
    log::info("%s; trying again in 1 s.", reason.c_str());
    slot->state = SlotState::waiting_to_connect;
    uv_timer_start(slot->retry_timer, [](uv_timer_t* timer) {
      auto* s = static_cast<Slot*>(timer->data);
      s->state = SlotState::idle;
      s->owner->schedule_handshakes();
    }, 1000, 0);
    return;
  }
  if (!settings_.reconnect) {
    // As ssh: a lost connection stays lost; the process ends with the last one.
    log::error("Connection to %s closed: %s", t.connect_host.c_str(), reason.c_str());
    slot->state = SlotState::closed;
    if (sessions_up() == 0) {
      stopped_ = true;
      observer_.on_upstream_failed(reason);
    }
    return;
  }
  if (slot->index >= target_slots()) {
    log::info("Connection %zu to %s closed: %s (PoolSize is now %u)", slot->index + 1, t.connect_host.c_str(),
              reason.c_str(), settings_.pool_size);
    return;
  }
  if (was_up || was_authenticated) {
    log::error("Connection %zu to %s port %u lost: %s", slot->index + 1, t.connect_host.c_str(), t.port,
               reason.c_str());
  }
  schedule_retry(*slot, reason);
  schedule_handshakes();
}

void Upstream::release_session(Slot& slot) {
  const bool was_up = slot.state == SlotState::up;
  slot.state = SlotState::idle;
  if (slot.session) {
    if (was_up) observer_.on_session_down(*slot.session);
    retired_.push_back(std::move(slot.session));
    uv_timer_start(reaper_, [](uv_timer_t* t) {
      auto* self = static_cast<Upstream*>(t->data);
      self->retired_.clear();
    }, 0, 0);
  }
}

std::chrono::milliseconds Upstream::backoff(std::uint32_t failures) {
  // Exponential from the minimum, capped, then "equal jitter": between half and all of it, so a
  // fleet of gateways that lost the same server does not come back in lockstep.
  auto base = settings_.reconnect_min_delay;
  for (std::uint32_t i = 1; i < failures && base < settings_.reconnect_max_delay; ++i) base *= 2;
  base = std::min(base, settings_.reconnect_max_delay);
  const auto half = base.count() / 2;
  std::uniform_int_distribution<long long> dist(half, std::max<long long>(half, base.count()));
  return std::chrono::milliseconds(dist(jitter_rng_));
}

void Upstream::schedule_retry(Slot& slot, const std::string& why) {
  ++slot.failures;
  const auto delay = backoff(slot.failures);
  slot.state = SlotState::waiting_to_connect;
  log::info("Reconnecting to %s (connection %zu) in %s s: %s", settings_.hop.target.connect_host.c_str(),
            slot.index + 1, seconds_text(delay).c_str(), why.c_str());
  uv_timer_start(slot.retry_timer, [](uv_timer_t* timer) {
    auto* s = static_cast<Slot*>(timer->data);
    s->state = SlotState::idle;
    s->owner->schedule_handshakes();
  }, static_cast<std::uint64_t>(delay.count()), 0);
}

SshSession* Upstream::pick() {
  SshSession* best = nullptr;
  for (auto& slot : slots_) {
    if (slot->state != SlotState::up || !slot->session) continue;
    if (best == nullptr || slot->session->channel_count() < best->channel_count()) best = slot->session.get();
  }
  return best;
}

void Upstream::acquire(Waiter& waiter, std::chrono::milliseconds timeout) {
  if (SshSession* s = pick()) {
    waiter.on_session(s);
    return;
  }
  if (stopped_ || timeout.count() <= 0) {
    waiter.on_session(nullptr);
    return;
  }
  waiters_.push_back(PendingWaiter{&waiter, uv_now(loop_) + static_cast<std::uint64_t>(timeout.count())});
  arm_waiter_timer();
}

void Upstream::cancel(Waiter& waiter) {
  waiters_.erase(std::remove_if(waiters_.begin(), waiters_.end(),
                                [&](const PendingWaiter& w) { return w.waiter == &waiter; }),
                 waiters_.end());
}

void Upstream::serve_waiters() {
  while (!waiters_.empty()) {
    SshSession* s = pick();
    if (s == nullptr) break;
    Waiter* w = waiters_.front().waiter;
    waiters_.pop_front();
    w->on_session(s);
  }
  arm_waiter_timer();
}

void Upstream::expire_waiters() {
  const std::uint64_t now = uv_now(loop_);
  // Listeners may use different timeouts, so every waiter is checked (the queue is short: it is
  // bounded by MaxPendingOpens per listener).
  std::vector<Waiter*> expired;
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->deadline_ms <= now) {
      expired.push_back(it->waiter);
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
  for (Waiter* w : expired) w->on_session(nullptr);
  arm_waiter_timer();
}

void Upstream::arm_waiter_timer() {
  if (waiter_timer_ == nullptr) return;
  if (waiters_.empty()) {
    uv_timer_stop(waiter_timer_);
    return;
  }
  std::uint64_t earliest = waiters_.front().deadline_ms;
  for (const auto& w : waiters_) earliest = std::min(earliest, w.deadline_ms);
  const std::uint64_t now = uv_now(loop_);
  uv_timer_start(waiter_timer_, [](uv_timer_t* t) { static_cast<Upstream*>(t->data)->expire_waiters(); },
                 earliest > now ? earliest - now : 0, 0);
}

void Upstream::update_settings(UpstreamSettings settings) {
  // Keys already unlocked stay loaded unless what to authenticate with changed; a new
  // authenticator takes over at the next login, never in the middle of one.
  const auto& a = settings_.hop.auth;
  const auto& b = settings.hop.auth;
  if (a.user != b.user || a.identity_files != b.identity_files || a.identities_only != b.identities_only ||
      a.agent_socket != b.agent_socket || a.preferred != b.preferred ||
      a.accepted_algorithms != b.accepted_algorithms || a.pubkey != b.pubkey || a.password != b.password ||
      a.kbd_interactive != b.kbd_interactive) {
    auth_stale_ = true;
  }
  settings_ = std::move(settings);
  // A larger pool grows at once; a smaller one keeps its extra connections until they drop.
  grow_slots();
  schedule_handshakes();
}

void Upstream::shutdown(const std::string& why) {
  stopped_ = true;
  uv_timer_stop(stagger_timer_);
  for (auto& slot : slots_) {
    uv_timer_stop(slot->retry_timer);
    if (slot->session) slot->session->shutdown(why);
  }
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) w.waiter->on_session(nullptr);
  uv_timer_stop(waiter_timer_);
}

std::size_t Upstream::sessions_up() const {
  return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(), [](const auto& s) {
    return s->state == SlotState::up;
  }));
}

std::size_t Upstream::total_channels() const {
  std::size_t n = 0;
  for (const auto& slot : slots_) {
    if (slot->session) n += slot->session->channel_count();
  }
  return n;
}

std::vector<std::string> Upstream::describe() const {
  std::vector<std::string> lines;
  const std::uint64_t now = uv_now(loop_);
  for (const auto& slot : slots_) {
    std::string line = "connection " + std::to_string(slot->index + 1) + ": ";
    switch (slot->state) {
      case SlotState::up:
        line += "up " + std::to_string((now - slot->up_since_ms) / 1000) + " s, " +
                std::to_string(slot->session->channel_count()) + " channels";
        break;
      case SlotState::connecting: line += "connecting"; break;
      case SlotState::waiting_to_connect: line += "waiting to reconnect (" + slot->last_error + ")"; break;
      case SlotState::idle: line += "idle"; break;
      case SlotState::closed: line += "closed (" + slot->last_error + ")"; break;
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace gateway
