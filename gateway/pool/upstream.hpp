#pragma once
// The pool of SSH connections to one destination. It keeps PoolSize connections up, hands out the
// least loaded one, and heals itself: a lost connection is re-established with exponential backoff
// and jitter (forever by default) while the others keep serving. Handshakes run one at a time so a
// server's MaxStartups is never tripped by our own pool. Clients that arrive while no connection is
// up wait, bounded by TransportWaitTimeout.
//
// Under load the pool grows past PoolSize (up to PoolMaxSize): sshd's per-connection event loop
// visits every channel of its connection on each wake-up, so opening a channel on a connection that
// already carries thousands costs milliseconds of server CPU (about 5 us per channel held, OpenSSH
// 9.2). When no connection has room below ChannelsPerConnection, another one is opened for new
// channels; such extra connections close again once they have been empty for PoolIdleTimeout.
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gateway/auth/authenticator.hpp"
#include "gateway/core/ssh_session.hpp"
#include "gateway/net/resolver.hpp"
#include "gateway/pool/session_settings.hpp"

namespace gateway {

struct UpstreamSettings {
  HopSettings hop;
  std::uint32_t pool_size = 2;
  // Growth under load (see above). max_pool_size <= pool_size or channels_per_connection 0: never.
  std::uint32_t max_pool_size = 16;
  std::uint32_t channels_per_connection = 256;
  std::chrono::milliseconds pool_idle_timeout{30000};
  // ssh's ConnectionAttempts: tries before the very first connection counts as failed.
  std::uint32_t connection_attempts = 1;
  bool reconnect = true;
  std::chrono::milliseconds reconnect_min_delay{500};
  std::chrono::milliseconds reconnect_max_delay{60000};
  // Pause between one handshake finishing and the next starting.
  std::chrono::milliseconds stagger{100};
  // Where "Authenticated to ..." / "Connected to ..." go: info for a gateway, verbose when a
  // session or -W runs in the foreground (ssh prints them with -v only).
  bool quiet_progress = false;
};

// What the pool tells its owner.
class UpstreamObserver {
 public:
  virtual ~UpstreamObserver() = default;
  virtual void on_session_up(SshSession& session) = 0;
  // The session is about to be destroyed; its channels have been closed already.
  virtual void on_session_down(SshSession& session) = 0;
  // No connection could ever be made (or Reconnect is off and the last one was lost): give up.
  virtual void on_upstream_failed(const std::string& reason) = 0;
  // True while the owner relies on the session beyond its channels (remote forwards live on it):
  // an idle extra connection is then kept.
  virtual bool session_in_use(SshSession& session) = 0;
};

class Upstream final : public SessionDelegate {
 public:
  // A client waiting for a connection: called once with one, or with nullptr when the wait timed
  // out or the pool gave up.
  class Waiter {
   public:
    virtual void on_session(SshSession* session) = 0;

   protected:
    ~Waiter() = default;
  };

  Upstream(uv_loop_t* loop, net::Resolver& resolver, UpstreamSettings settings, UpstreamObserver& observer);
  ~Upstream() override;
  Upstream(const Upstream&) = delete;
  Upstream& operator=(const Upstream&) = delete;

  void start();
  // What a channel is for: sessions count against the server's MaxSessions, other channels do not.
  enum class Purpose { channel, session };
  // Where a new channel goes: the least loaded connection with room below ChannelsPerConnection,
  // PoolSize connections before extra ones; else the least loaded one (and the pool grows). nullptr
  // when none is up.
  SshSession* pick(Purpose purpose = Purpose::channel);
  // Calls waiter.on_session() now when a connection is up, else once one is (or `timeout` passed).
  void acquire(Waiter& waiter, std::chrono::milliseconds timeout, Purpose purpose = Purpose::channel);
  // Forgets a waiter that went away (its client disconnected); safe if it was already served.
  void cancel(Waiter& waiter);
  // Replaces the settings used for connections made from now on (SIGHUP reload).
  void update_settings(UpstreamSettings settings);
  // Disconnects everything and stops reconnecting. Idempotent.
  void shutdown(const std::string& why);

  std::size_t sessions_up() const;
  // PoolSize plus the extra connections the pool currently wants.
  std::size_t sessions_wanted() const;
  std::size_t total_channels() const;
  // One connection of the pool as the status view shows it.
  struct ConnectionStatus {
    std::size_t number = 0;  // 1-based, stable for the slot
    std::string state;       // "up", "connecting", "waiting to reconnect", "idle", "closed"
    std::uint64_t up_seconds = 0;
    std::size_t channels = 0;
    std::size_t sessions = 0;
    std::string last_error;  // why it is waiting or closed
    // Counters over every connection the slot made (the metrics endpoint).
    std::uint64_t logins = 0;
    std::uint64_t reconnects = 0;  // connection attempts after the slot's first
    std::uint64_t sent_bytes = 0;  // on the wire
    std::uint64_t received_bytes = 0;
    std::optional<std::chrono::nanoseconds> round_trip;  // of the current connection
  };
  std::vector<ConnectionStatus> connections() const;
  // One line per connection for the status view.
  std::vector<std::string> describe() const;
  // Extra connections opened under load so far.
  std::uint64_t grown() const { return grown_; }

  bool verify_host_key(SshSession& session, const ssh::event::HostKey& key) override;
  void on_auth_event(SshSession& session, const ssh::Event& event) override;
  void on_authenticated(SshSession& session, const std::string& method) override;
  void on_disconnected(SshSession& session, const std::string& reason, bool was_authenticated) override;

 private:
  // closed: lost with Reconnect off; never used again.
  enum class SlotState { idle, waiting_to_connect, connecting, up, closed };
  struct Slot {
    std::size_t index = 0;
    SlotState state = SlotState::idle;
    std::unique_ptr<SshSession> session;
    uv_timer_t* retry_timer = nullptr;  // owned; freed in its close callback
    Upstream* owner = nullptr;
    std::uint32_t failures = 0;  // consecutive, for the backoff
    std::string last_error;
    std::uint64_t up_since_ms = 0;
    // Kept up (reconnected when lost). Slots below PoolSize always are; extra ones while needed.
    bool wanted = false;
    std::uint64_t empty_since_ms = 0;  // extra connections: when the last channel went, 0 if busy
    std::uint64_t attempts = 0;
    std::uint64_t logins = 0;
    // Wire bytes of the slot's earlier connections (the current one's are read from its client).
    std::uint64_t sent_bytes_before = 0;
    std::uint64_t received_bytes_before = 0;
  };
  struct PendingWaiter {
    Waiter* waiter;
    std::uint64_t deadline_ms;
    Purpose purpose;
  };

  Slot* slot_of(SshSession& session);
  void add_slot();
  void grow_slots();  // up to PoolSize; on a smaller PoolSize the slots beyond it become extra ones
  bool is_extra(const Slot& slot) const { return slot.index >= settings_.pool_size; }
  bool has_room(const Slot& slot, std::size_t fraction_num, std::size_t fraction_den) const;
  void grow_if_loaded();
  // Every up connection refused another session: open one more (up to PoolMaxSize).
  void grow_for_sessions();
  void open_spare(const char* why);
  void close_idle_extras();
  void arm_idle_timer();
  void schedule_handshakes();
  void connect_slot(Slot& slot);
  void schedule_retry(Slot& slot, const std::string& why);
  std::chrono::milliseconds backoff(std::uint32_t failures);
  void release_session(Slot& slot);
  void serve_waiters();
  void expire_waiters();
  void arm_waiter_timer();

  uv_loop_t* loop_;
  net::Resolver& resolver_;
  UpstreamSettings settings_;
  UpstreamObserver& observer_;
  std::vector<std::unique_ptr<Slot>> slots_;
  // One for all connections (handshakes run one at a time), so keys stay loaded between logins.
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::deque<PendingWaiter> waiters_;
  uv_timer_t* waiter_timer_ = nullptr;
  uv_timer_t* stagger_timer_ = nullptr;
  uv_timer_t* idle_timer_ = nullptr;  // runs while extra connections are wanted
  // Sessions end inside their own callbacks; they are destroyed on the next loop turn.
  std::vector<std::unique_ptr<SshSession>> retired_;
  uv_timer_t* reaper_ = nullptr;
  std::mt19937 jitter_rng_;
  std::uint32_t initial_attempts_ = 0;
  bool ever_up_ = false;
  std::uint64_t grown_ = 0;
  bool handshake_in_flight_ = false;
  bool prompting_method_ = false;
  bool auth_stale_ = false;  // settings changed by a reload: rebuild the authenticator at the next login  // authentication needed a prompt: keep one connection
  bool stopped_ = false;
};

}  // namespace gateway
