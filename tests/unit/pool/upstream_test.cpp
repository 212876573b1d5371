#include "gateway/pool/upstream.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gateway/config/options.hpp"
#include "gateway/pool/session_settings.hpp"
#include "gateway/net/resolver.hpp"

// The pool's behaviour that needs no SSH server: waiting clients (timeouts, cancel, shutdown) and
// what happens when the destination cannot be reached (ConnectionAttempts, the failure report).
// Everything runs on a private libuv loop in this thread, against loopback only.

namespace {

using namespace std::chrono_literals;
using gateway::SshSession;
using gateway::Upstream;

std::uint64_t now_ms() { return uv_hrtime() / 1000000; }

// A loopback port with nothing listening on it: bound to learn a free number, then closed.
std::uint16_t closed_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

gateway::UpstreamSettings settings_for(std::uint16_t port, std::uint32_t connection_attempts) {
  gateway::config::Options o;
  o.host = "upstream-test";
  o.hostname = "127.0.0.1";
  o.port = port;
  o.user = "nobody";
  o.strict_host_key_checking = gateway::config::StrictHostKeyChecking::yes;
  o.batch_mode = true;
  o.identity_agent = "none";
  o.connection_attempts = connection_attempts;
  std::string error;
  auto hop = gateway::hop_settings(o, error);
  EXPECT_TRUE(hop.has_value()) << error;
  gateway::UpstreamSettings s;
  if (hop) s.hop = std::move(*hop);
  s.pool_size = 2;
  s.connection_attempts = connection_attempts;
  return s;
}

struct Observer final : gateway::UpstreamObserver {
  explicit Observer(uv_loop_t* l, std::vector<std::string>& e) : loop(l), events(e) {}
  void on_session_up(SshSession&) override { events.push_back("up"); }
  void on_session_down(SshSession&) override { events.push_back("down"); }
  void on_upstream_failed(const std::string& why) override {
    events.push_back("failed");
    reasons.push_back(why);
    failed_at_ms = now_ms();
    if (stop_on_failure) uv_stop(loop);
  }
  bool session_in_use(SshSession&) override { return false; }

  uv_loop_t* loop;
  std::vector<std::string>& events;
  std::vector<std::string> reasons;
  std::uint64_t failed_at_ms = 0;
  bool stop_on_failure = true;
};

struct Waiter final : Upstream::Waiter {
  Waiter(uv_loop_t* l, std::vector<std::string>& e, std::string n) : loop(l), events(e), name(std::move(n)) {}
  void on_session(SshSession* session) override {
    ++calls;
    got_session = session != nullptr;
    answered_at_ms = now_ms();
    events.push_back(name + (session != nullptr ? ": session" : ": none"));
    if (stop_when_answered) uv_stop(loop);
  }

  uv_loop_t* loop;
  std::vector<std::string>& events;
  std::string name;
  int calls = 0;
  bool got_session = false;
  std::uint64_t answered_at_ms = 0;
  bool stop_when_answered = false;
};

class UpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    resolver_ = std::make_unique<gateway::net::Resolver>(&loop_);
    ASSERT_TRUE(resolver_->ok()) << resolver_->init_error();
    uv_timer_init(&loop_, &guard_);
    guard_.data = this;
    // The guard only ends a run that would otherwise hang; it never keeps the loop alive.
    uv_unref(reinterpret_cast<uv_handle_t*>(&guard_));
  }

  void TearDown() override {
    upstream_.reset();
    if (listening_) {
      uv_close(reinterpret_cast<uv_handle_t*>(&server_), nullptr);
      listening_ = false;
    }
    resolver_->close();
    uv_close(reinterpret_cast<uv_handle_t*>(&guard_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "libuv handles left open";
    resolver_.reset();
  }

  Upstream& make_upstream(gateway::UpstreamSettings settings) {
    upstream_ = std::make_unique<Upstream>(&loop_, *resolver_, std::move(settings), observer_);
    return *upstream_;
  }

  // Runs the loop until something calls uv_stop() or nothing is left to do. Returns false when
  // `limit` passed first (the run was cut short).
  bool run(std::chrono::milliseconds limit) {
    guard_fired_ = false;
    uv_timer_start(&guard_, [](uv_timer_t* t) {
      auto* self = static_cast<UpstreamTest*>(t->data);
      self->guard_fired_ = true;
      uv_stop(t->loop);
    }, static_cast<std::uint64_t>(limit.count()), 0);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_timer_stop(&guard_);
    return !guard_fired_;
  }

  // A loopback server that takes each connection and closes it at once: the SSH handshake fails
  // after a successful TCP connect, and every attempt is counted.
  std::uint16_t listen_and_hang_up() {
    uv_tcp_init(&loop_, &server_);
    server_.data = this;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    EXPECT_EQ(uv_tcp_bind(&server_, reinterpret_cast<const sockaddr*>(&addr), 0), 0);
    EXPECT_EQ(uv_listen(reinterpret_cast<uv_stream_t*>(&server_), 8, [](uv_stream_t* server, int status) {
      auto* self = static_cast<UpstreamTest*>(server->data);
      if (status != 0) return;
      auto* client = new uv_tcp_t;
      uv_tcp_init(server->loop, client);
      if (uv_accept(server, reinterpret_cast<uv_stream_t*>(client)) == 0) self->accepted_at_ms_.push_back(now_ms());
      uv_close(reinterpret_cast<uv_handle_t*>(client), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    }), 0);
    listening_ = true;
    sockaddr_storage bound{};
    int len = sizeof bound;
    EXPECT_EQ(uv_tcp_getsockname(&server_, reinterpret_cast<sockaddr*>(&bound), &len), 0);
    return ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }

  uv_loop_t loop_{};
  std::unique_ptr<gateway::net::Resolver> resolver_;
  uv_timer_t guard_{};
  bool guard_fired_ = false;
  uv_tcp_t server_{};
  bool listening_ = false;
  std::vector<std::uint64_t> accepted_at_ms_;
  std::vector<std::string> events_;
  Observer observer_{&loop_, events_};
  std::unique_ptr<Upstream> upstream_;
};

TEST_F(UpstreamTest, NothingUpBeforeStart) {
  Upstream& up = make_upstream(settings_for(closed_loopback_port(), 1));
  EXPECT_EQ(up.pick(), nullptr);
  EXPECT_EQ(up.sessions_up(), 0u);
  EXPECT_EQ(up.total_channels(), 0u);
  EXPECT_TRUE(up.describe().empty());
  // Not started: nothing is scheduled, so the loop has nothing to do.
  EXPECT_TRUE(run(2s));
  EXPECT_TRUE(events_.empty());
}

TEST_F(UpstreamTest, AcquireWithoutWaitingAnswersNullAtOnce) {
  Upstream& up = make_upstream(settings_for(closed_loopback_port(), 1));
  Waiter w(&loop_, events_, "w");
  up.acquire(w, 0ms);
  EXPECT_EQ(w.calls, 1);
  EXPECT_FALSE(w.got_session);
  // Nothing was left behind to answer it a second time.
  EXPECT_TRUE(run(2s));
  EXPECT_EQ(w.calls, 1);
}

TEST_F(UpstreamTest, AcquireTimesOutWithNull) {
  Upstream& up = make_upstream(settings_for(closed_loopback_port(), 1));
  Waiter w(&loop_, events_, "w");
  uv_update_time(&loop_);
  const std::uint64_t start = now_ms();
  up.acquire(w, 200ms);
  EXPECT_EQ(w.calls, 0) << "answered before the timeout";
  EXPECT_TRUE(run(3s));
  ASSERT_EQ(w.calls, 1);
  EXPECT_FALSE(w.got_session);
  // libuv's clock counts whole milliseconds, so the timer may fire up to 1 ms "early" in real time.
  EXPECT_GE(w.answered_at_ms - start, 199u);
  EXPECT_LT(w.answered_at_ms - start, 1500u);
}

TEST_F(UpstreamTest, CancelledWaiterIsNeverCalled) {
  Upstream& up = make_upstream(settings_for(closed_loopback_port(), 1));
  Waiter gone(&loop_, events_, "gone");
  Waiter stays(&loop_, events_, "stays");
  Waiter never_queued(&loop_, events_, "never queued");
  uv_update_time(&loop_);
  up.acquire(gone, 100ms);
  up.acquire(stays, 300ms);
  up.cancel(gone);
  up.cancel(gone);          // twice: harmless
  up.cancel(never_queued);  // not waiting at all: harmless
  EXPECT_TRUE(run(3s));
  EXPECT_EQ(gone.calls, 0);
  EXPECT_EQ(never_queued.calls, 0);
  EXPECT_EQ(stays.calls, 1);
  EXPECT_EQ(events_, (std::vector<std::string>{"stays: none"}));
}

TEST_F(UpstreamTest, ShutdownAnswersEveryPendingWaiter) {
  Upstream& up = make_upstream(settings_for(closed_loopback_port(), 1));
  Waiter a(&loop_, events_, "a");
  Waiter b(&loop_, events_, "b");
  up.acquire(a, 5s);
  up.acquire(b, 10s);
  up.shutdown("stopping");
  EXPECT_EQ(a.calls, 1);
  EXPECT_EQ(b.calls, 1);
  EXPECT_EQ(events_, (std::vector<std::string>{"a: none", "b: none"}));

  // Idempotent, and a client arriving afterwards is not kept waiting.
  up.shutdown("stopping again");
  Waiter late(&loop_, events_, "late");
  up.acquire(late, 5s);
  EXPECT_EQ(late.calls, 1);
  EXPECT_FALSE(late.got_session);

  // No waiter timer is left armed: the loop finishes well before the 5 s deadlines.
  const std::uint64_t start = now_ms();
  EXPECT_TRUE(run(3s));
  EXPECT_LT(now_ms() - start, 1000u);
  EXPECT_EQ(a.calls, 1);
  EXPECT_EQ(b.calls, 1);
  EXPECT_EQ(late.calls, 1);
  // Shutting down is not a failure to report.
  EXPECT_TRUE(observer_.reasons.empty());
}

TEST_F(UpstreamTest, RefusedConnectionFailsOnceWithTheReason) {
  const std::uint16_t port = closed_loopback_port();
  Upstream& up = make_upstream(settings_for(port, 1));
  observer_.stop_on_failure = false;
  const std::uint64_t start = now_ms();
  up.start();
  // Run until the loop has nothing left: no retry may be scheduled after the single attempt.
  EXPECT_TRUE(run(5s)) << "the loop kept running after the failure";
  ASSERT_EQ(observer_.reasons.size(), 1u);
  EXPECT_NE(observer_.reasons[0].find("Connection refused"), std::string::npos) << observer_.reasons[0];
  EXPECT_NE(observer_.reasons[0].find(std::to_string(port)), std::string::npos) << observer_.reasons[0];
  // A single attempt: no 1 s pause before giving up.
  EXPECT_LT(observer_.failed_at_ms - start, 900u);
  EXPECT_EQ(events_, (std::vector<std::string>{"failed"}));
  EXPECT_EQ(up.sessions_up(), 0u);

  // The pool gave up: later clients are answered at once.
  Waiter late(&loop_, events_, "late");
  up.acquire(late, 5s);
  EXPECT_EQ(late.calls, 1);
  EXPECT_FALSE(late.got_session);
}

TEST_F(UpstreamTest, GivingUpAnswersWaitersBeforeReportingFailure) {
  Upstream& up = make_upstream(settings_for(closed_loopback_port(), 1));
  Waiter w(&loop_, events_, "w");
  up.start();
  up.acquire(w, 5s);
  EXPECT_EQ(w.calls, 0);
  const std::uint64_t start = now_ms();
  EXPECT_TRUE(run(4s));
  EXPECT_EQ(w.calls, 1);
  EXPECT_FALSE(w.got_session);
  // Answered when the pool gave up, not when its own 5 s ran out.
  EXPECT_LT(w.answered_at_ms - start, 900u);
  EXPECT_EQ(events_, (std::vector<std::string>{"w: none", "failed"}));
}

TEST_F(UpstreamTest, ConnectionAttemptsTriesAgainAfterOneSecond) {
  const std::uint16_t port = listen_and_hang_up();
  Upstream& up = make_upstream(settings_for(port, 2));
  uv_update_time(&loop_);
  up.start();

  // Half-way through the pause between the attempts, the status view says why it is waiting, and
  // only one connection is tried until the server has accepted us once.
  uv_timer_t probe;
  uv_timer_init(&loop_, &probe);
  std::vector<std::string> described;
  struct Probe {
    Upstream* up;
    std::vector<std::string>* out;
  } probe_data{&up, &described};
  probe.data = &probe_data;
  uv_timer_start(&probe, [](uv_timer_t* t) {
    auto* p = static_cast<Probe*>(t->data);
    *p->out = p->up->describe();
  }, 500, 0);

  EXPECT_TRUE(run(5s));
  uv_close(reinterpret_cast<uv_handle_t*>(&probe), nullptr);

  ASSERT_EQ(accepted_at_ms_.size(), 2u);
  const std::uint64_t gap = accepted_at_ms_[1] - accepted_at_ms_[0];
  EXPECT_GE(gap, 950u);
  EXPECT_LT(gap, 2500u);
  ASSERT_EQ(observer_.reasons.size(), 1u);
  EXPECT_FALSE(observer_.reasons[0].empty());
  EXPECT_GE(observer_.failed_at_ms, accepted_at_ms_[1]);
  EXPECT_EQ(events_, (std::vector<std::string>{"failed"}));

  ASSERT_EQ(described.size(), 2u);
  EXPECT_EQ(described[0].rfind("connection 1: waiting to reconnect (", 0), 0u) << described[0];
  EXPECT_EQ(described[1], "connection 2: idle");

  // Nothing more is tried after the last attempt: with the server gone the loop runs dry.
  uv_close(reinterpret_cast<uv_handle_t*>(&server_), nullptr);
  listening_ = false;
  EXPECT_TRUE(run(2s));
  EXPECT_EQ(accepted_at_ms_.size(), 2u);
  EXPECT_EQ(observer_.reasons.size(), 1u);
}

TEST_F(UpstreamTest, RefusedConnectionWithTwoAttemptsWaitsBeforeGivingUp) {
  const std::uint16_t port = closed_loopback_port();
  Upstream& up = make_upstream(settings_for(port, 2));
  uv_update_time(&loop_);
  const std::uint64_t start = now_ms();
  up.start();
  EXPECT_TRUE(run(5s));
  ASSERT_EQ(observer_.reasons.size(), 1u);
  EXPECT_NE(observer_.reasons[0].find("Connection refused"), std::string::npos) << observer_.reasons[0];
  EXPECT_GE(observer_.failed_at_ms - start, 990u);
  EXPECT_LT(observer_.failed_at_ms - start, 2500u);
}

}  // namespace
