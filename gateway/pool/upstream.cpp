#include "gateway/pool/upstream.hpp"

#include <algorithm>
#include <cstdio>

#include "gateway/util/log.hpp"

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
  idle_timer_ = new_timer(loop_, this);
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
  close_timer(idle_timer_);
}

void Upstream::start() {
  grow_slots();
  schedule_handshakes();
}

void Upstream::add_slot() {
  auto slot = std::make_unique<Slot>();
  slot->index = slots_.size();
  slot->owner = this;
  slot->retry_timer = new_timer(loop_, slot.get());
  slots_.push_back(std::move(slot));
}

void Upstream::grow_slots() {
  settings_.pool_size = std::max<std::uint32_t>(1, settings_.pool_size);
  while (slots_.size() < settings_.pool_size) add_slot();
  for (std::size_t i = 0; i < settings_.pool_size; ++i) slots_[i]->wanted = true;
  arm_idle_timer();
}

void Upstream::schedule_handshakes() {
  if (stopped_ || handshake_in_flight_ || uv_is_active(reinterpret_cast<uv_handle_t*>(stagger_timer_)) != 0) return;
  // Until the first connection is up, one is enough to learn whether the server takes us at all.
  const std::size_t limit = (!ever_up_ || prompting_method_) ? 1 : slots_.size();
  for (std::size_t i = 0; i < limit; ++i) {
    if (slots_[i]->wanted && slots_[i]->state == SlotState::idle) {
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
  ++slot.attempts;
  slot.session = std::make_unique<SshSession>(loop_, resolver_, settings_.hop.target, settings_.hop.client, *this);
  const std::string number = std::to_string(slot.index + 1);
  slot.session->set_log_connection(number);
  log::Scope scope(log::kConnectionField, number);
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

bool Upstream::verify_host_key(SshSession& session, const ssh::event::HostKey& key) {
  return auth::verify_host_key(settings_.hop.host_keys, key, session.peer_address());
}

void Upstream::on_auth_event(SshSession& session, const ssh::Event& event) {
  if (slot_of(session) != nullptr && authenticator_) authenticator_->handle(session, event);
}

void Upstream::on_authenticated(SshSession& session, const std::string& method) {
  Slot* slot = slot_of(session);
  if (slot == nullptr) return;
  slot->state = SlotState::up;
  ++slot->logins;
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
  const auto progress = settings_.quiet_progress ? log::verbose : log::info;
  progress("Authenticated to %s port %u using \"%s\".", t.connect_host.c_str(), t.port, method.c_str());
  progress("Connected to %s port %u (connection %zu of %zu): %s, %s, %s, %s.", t.connect_host.c_str(), t.port,
           slot->index + 1, sessions_wanted(), transport.server_version().c_str(), a.kex.c_str(), a.host_key.c_str(),
           a.cipher_c2s.c_str());
  observer_.on_session_up(session);
  serve_waiters();
  uv_timer_start(stagger_timer_, [](uv_timer_t* timer) { static_cast<Upstream*>(timer->data)->schedule_handshakes(); },
                 static_cast<std::uint64_t>(settings_.stagger.count()), 0);
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
  if (!slot->wanted) {
    log::verbose("Connection %zu to %s closed: %s", slot->index + 1, t.connect_host.c_str(), reason.c_str());
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
    if (const ssh::Client* client = slot.session->connected_client()) {
      slot.sent_bytes_before += client->transport().bytes_sent();
      slot.received_bytes_before += client->transport().bytes_received();
    }
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
  const std::string number = std::to_string(slot.index + 1);
  log::Scope scope(log::kConnectionField, number);
  log::info("Reconnecting to %s (connection %zu) in %s s: %s", settings_.hop.target.connect_host.c_str(),
            slot.index + 1, seconds_text(delay).c_str(), why.c_str());
  uv_timer_start(slot.retry_timer, [](uv_timer_t* timer) {
    auto* s = static_cast<Slot*>(timer->data);
    s->state = SlotState::idle;
    s->owner->schedule_handshakes();
  }, static_cast<std::uint64_t>(delay.count()), 0);
}

bool Upstream::has_room(const Slot& slot, std::size_t fraction_num, std::size_t fraction_den) const {
  if (settings_.channels_per_connection == 0) return true;
  return slot.session->channel_count() * fraction_den < std::size_t{settings_.channels_per_connection} * fraction_num;
}

SshSession* Upstream::pick(Purpose purpose) {
  Slot* with_room = nullptr;  // the least loaded below the limit, PoolSize connections first
  Slot* least = nullptr;
  bool any_up = false;
  for (auto& slot : slots_) {
    if (slot->state != SlotState::up || !slot->session) continue;
    any_up = true;
    // A connection whose server refused another session (MaxSessions) takes none until one ends.
    if (purpose == Purpose::session && !slot->session->has_session_room()) continue;
    const std::size_t n = slot->session->channel_count();
    if (least == nullptr || n < least->session->channel_count()) least = slot.get();
    if (!has_room(*slot, 1, 1)) continue;
    if (with_room == nullptr || (is_extra(*with_room) && !is_extra(*slot)) ||
        (is_extra(*with_room) == is_extra(*slot) && n < with_room->session->channel_count())) {
      with_room = slot.get();
    }
  }
  if (least != nullptr) grow_if_loaded();
  if (least == nullptr && any_up && purpose == Purpose::session) grow_for_sessions();
  Slot* chosen = with_room != nullptr ? with_room : least;
  return chosen != nullptr ? chosen->session.get() : nullptr;
}

void Upstream::grow_for_sessions() {
  if (stopped_ || !ever_up_ || prompting_method_) return;
  for (auto& slot : slots_) {
    // One on its way is the room we need.
    if (slot->wanted && slot->state != SlotState::up && slot->state != SlotState::closed) return;
  }
  open_spare("takes no more sessions (its server's MaxSessions)");
}

void Upstream::grow_if_loaded() {
  if (stopped_ || !ever_up_ || prompting_method_ || settings_.channels_per_connection == 0) return;
  for (auto& slot : slots_) {
    if (!slot->wanted || slot->state == SlotState::closed) continue;
    // One on its way (or a lost one coming back) is the room we need.
    if (slot->state != SlotState::up) return;
    // Grow at three quarters, so the new connection is up before the others are full.
    if (has_room(*slot, 3, 4)) return;
  }
  open_spare(("carries " + std::to_string(settings_.channels_per_connection * 3 / 4) + " channels or more").c_str());
}

void Upstream::open_spare(const char* why) {
  Slot* spare = nullptr;
  for (std::size_t i = settings_.pool_size; i < slots_.size() && i < settings_.max_pool_size; ++i) {
    if (!slots_[i]->wanted && slots_[i]->state == SlotState::idle) {
      spare = slots_[i].get();
      break;
    }
  }
  if (spare == nullptr && slots_.size() < settings_.max_pool_size) {
    add_slot();
    spare = slots_.back().get();
  }
  if (spare == nullptr) return;
  ++grown_;
  spare->wanted = true;
  spare->failures = 0;
  spare->empty_since_ms = 0;
  log::verbose("Every connection to %s %s: opening connection %zu.", settings_.hop.target.host.c_str(), why,
               spare->index + 1);
  arm_idle_timer();
  schedule_handshakes();
}

void Upstream::close_idle_extras() {
  const std::uint64_t now = uv_now(loop_);
  const auto idle_ms = static_cast<std::uint64_t>(settings_.pool_idle_timeout.count());
  // By index: closing a connection calls the observer, which may pick() and so add a slot.
  for (std::size_t i = settings_.pool_size; i < slots_.size(); ++i) {
    Slot& slot = *slots_[i];
    if (!slot.wanted) continue;
    const bool up = slot.state == SlotState::up;
    if (up && slot.session->channel_count() > 0) {
      slot.empty_since_ms = 0;
      continue;
    }
    if (slot.empty_since_ms == 0) {
      slot.empty_since_ms = now;
      continue;
    }
    if (now - slot.empty_since_ms < idle_ms || (up && observer_.session_in_use(*slot.session))) continue;
    // Only while the rest of the pool has room; otherwise the next channel would reopen it.
    const bool others_have_room = std::any_of(slots_.begin(), slots_.end(), [&](const auto& other) {
      return other.get() != &slot && other->state == SlotState::up && has_room(*other, 3, 4);
    });
    if (!others_have_room) continue;
    slot.wanted = false;
    slot.empty_since_ms = 0;
    uv_timer_stop(slot.retry_timer);
    if (up) {
      const std::string number = std::to_string(slot.index + 1);
      log::Scope scope(log::kConnectionField, number);
      log::verbose("Closing connection %zu to %s: not needed any more (empty for %s s).", slot.index + 1,
                   settings_.hop.target.host.c_str(), seconds_text(settings_.pool_idle_timeout).c_str());
      slot.session->shutdown("not needed any more");
    } else if (slot.state == SlotState::waiting_to_connect) {
      slot.state = SlotState::idle;
    }
  }
  arm_idle_timer();
}

void Upstream::arm_idle_timer() {
  if (idle_timer_ == nullptr) return;
  const bool extras = std::any_of(slots_.begin(), slots_.end(), [&](const auto& s) { return s->wanted && is_extra(*s); });
  if (!extras || stopped_) {
    uv_timer_stop(idle_timer_);
    return;
  }
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(idle_timer_)) != 0) return;
  const auto period = static_cast<std::uint64_t>(
      std::max<std::int64_t>(50, std::min<std::int64_t>(5000, settings_.pool_idle_timeout.count() / 4)));
  uv_timer_start(idle_timer_, [](uv_timer_t* t) { static_cast<Upstream*>(t->data)->close_idle_extras(); }, period,
                 period);
}

void Upstream::acquire(Waiter& waiter, std::chrono::milliseconds timeout, Purpose purpose) {
  if (SshSession* s = pick(purpose)) {
    waiter.on_session(s);
    return;
  }
  if (stopped_ || timeout.count() <= 0) {
    waiter.on_session(nullptr);
    return;
  }
  waiters_.push_back(PendingWaiter{&waiter, uv_now(loop_) + static_cast<std::uint64_t>(timeout.count()), purpose});
  arm_waiter_timer();
}

void Upstream::cancel(Waiter& waiter) {
  waiters_.erase(std::remove_if(waiters_.begin(), waiters_.end(),
                                [&](const PendingWaiter& w) { return w.waiter == &waiter; }),
                 waiters_.end());
}

void Upstream::serve_waiters() {
  // In order; a session that finds no connection with room does not hold up the others.
  for (std::size_t i = 0; i < waiters_.size();) {
    SshSession* s = pick(waiters_[i].purpose);
    if (s == nullptr) {
      if (waiters_[i].purpose == Purpose::channel) break;
      ++i;
      continue;
    }
    Waiter* w = waiters_[i].waiter;
    waiters_.erase(waiters_.begin() + static_cast<std::ptrdiff_t>(i));
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
  // A larger pool grows at once; on a smaller one the connections beyond it close once idle.
  grow_slots();
  schedule_handshakes();
}

void Upstream::shutdown(const std::string& why) {
  stopped_ = true;
  uv_timer_stop(stagger_timer_);
  uv_timer_stop(idle_timer_);
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

std::size_t Upstream::sessions_wanted() const {
  return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(), [](const auto& s) { return s->wanted; }));
}

std::size_t Upstream::total_channels() const {
  std::size_t n = 0;
  for (const auto& slot : slots_) {
    if (slot->session) n += slot->session->channel_count();
  }
  return n;
}

std::vector<Upstream::ConnectionStatus> Upstream::connections() const {
  std::vector<ConnectionStatus> out;
  const std::uint64_t now = uv_now(loop_);
  for (const auto& slot : slots_) {
    if (!slot->wanted && slot->state == SlotState::idle) continue;  // an extra connection not in use
    ConnectionStatus c;
    c.number = slot->index + 1;
    c.logins = slot->logins;
    c.reconnects = slot->attempts > 0 ? slot->attempts - 1 : 0;
    c.sent_bytes = slot->sent_bytes_before;
    c.received_bytes = slot->received_bytes_before;
    if (const ssh::Client* client = slot->session ? slot->session->connected_client() : nullptr) {
      c.sent_bytes += client->transport().bytes_sent();
      c.received_bytes += client->transport().bytes_received();
      c.round_trip = client->round_trip();
    }
    switch (slot->state) {
      case SlotState::up:
        c.state = "up";
        c.up_seconds = (now - slot->up_since_ms) / 1000;
        c.channels = slot->session->channel_count();
        c.sessions = slot->session->session_count();
        break;
      case SlotState::connecting: c.state = "connecting"; break;
      case SlotState::waiting_to_connect:
        c.state = "waiting to reconnect";
        c.last_error = slot->last_error;
        break;
      case SlotState::idle: c.state = "idle"; break;
      case SlotState::closed:
        c.state = "closed";
        c.last_error = slot->last_error;
        break;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<std::string> Upstream::describe() const {
  std::vector<std::string> lines;
  for (const auto& c : connections()) {
    std::string line = "connection " + std::to_string(c.number) + ": " + c.state;
    if (c.state == "up") {
      line += " " + std::to_string(c.up_seconds) + " s, " + std::to_string(c.channels) + " channels";
      if (c.sessions > 0) line += " (" + std::to_string(c.sessions) + " sessions)";
    } else if (!c.last_error.empty()) {
      line += " (" + c.last_error + ")";
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace gateway
