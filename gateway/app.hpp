#pragma once
// The sshplex program for one destination: the connection pool, the forwards mapped onto it (one
// list, any kind), the foreground (a remote command, shell, subsystem or -W stdio forward),
// signals (SIGINT/SIGTERM drain then exit 0, SIGHUP reload, SIGUSR1 status) and the exit status
// (0 on a requested stop, the remote command's status, 255 when the server cannot be reached or
// logged in to, as ssh).
#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/auth/socks_credentials.hpp"
#include "gateway/config/options.hpp"
#include "gateway/forward/forward_set.hpp"
#include "gateway/forward/remote_forwards.hpp"
#include "gateway/forward/session_wait.hpp"
#include "gateway/forward/socks_forward.hpp"
#include "gateway/net/resolver.hpp"
#include "gateway/pool/upstream.hpp"
#include "gateway/service/systemd_notifier.hpp"
#include "gateway/session/foreground.hpp"
#include "gateway/tunnel/tunnel_forward.hpp"
#include "gateway/vpn/vpn.hpp"

namespace gateway {

inline constexpr int kExitFailure = 255;
class AppControl;
namespace metrics {
class MetricsServer;
struct Snapshot;
}  // namespace metrics

class App final : public UpstreamObserver, public session::ConnectionSource {
 public:
  // Re-reads the configuration for SIGHUP; nullopt (errors already reported) keeps the old one.
  using ConfigSource = std::function<std::optional<config::Options>()>;

  App(uv_loop_t* loop, config::Options options);
  ~App() override;
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Validates options and starts connecting. false (with a message logged) on bad options.
  bool start();
  void set_config_source(ConfigSource source) { config_source_ = std::move(source); }
  // What runs in the foreground once the first connection is up and the forwards listen; the
  // program then ends with its status. None (-N): sshplex serves its forwards until stopped.
  void set_foreground(std::unique_ptr<session::Foreground> foreground) { foreground_ = std::move(foreground); }
  bool has_foreground() const { return foreground_ != nullptr; }
  // Makes sshplex a ControlMaster (after set_foreground): the socket opens once it is ready.
  void enable_control();
  // Each called once, when the first connection is up and every forward is listening (remote ones
  // answered too).
  void on_ready(std::function<void(App&)> callback) { ready_callbacks_.push_back(std::move(callback)); }
  // Each called once when sshplex stops (before the pool goes down).
  void on_stop(std::function<void()> callback) { stop_callbacks_.push_back(std::move(callback)); }
  // While `busy()` is true, the end of the foreground does not end sshplex: it ends when
  // exit_hold_released() is called (a master's passengers finish first, as with ssh).
  void set_exit_hold(std::function<bool()> busy) { exit_hold_ = std::move(busy); }
  void exit_hold_released();
  // Stops everything at once; the loop then runs out and exit_code() tells the outcome.
  void stop(int exit_code, const std::string& why);
  // stop() on the next loop turn, for callers inside a component that stop() tears down.
  void stop_soon(int exit_code, const std::string& why);
  // Stops accepting, lets open channels finish for up to DrainTimeout, then stops with status 0.
  void drain(const std::string& why);
  // Applies a new configuration: forwards added or removed, established channels untouched.
  void reload(config::Options options);
  // Live changes (~C, a control socket): any kind of forward, added or cancelled on the running pool.
  bool add_forward(const config::ForwardSpec& spec, std::string& error);
  bool cancel_forward(const config::ForwardSpec& spec);
  // add_forward() that answers once the forward is in place: for a remote one once the server
  // granted it (`port`: the one it allocated, for port 0); `error` empty on success. A forward
  // that already exists is answered as if just added.
  using ForwardOpened = std::function<void(const std::string& error, std::optional<std::uint32_t> port)>;
  void open_forward(const config::ForwardSpec& spec, ForwardOpened done);

  int exit_code() const { return exit_code_; }
  ForwardSet& forwards() { return *forwards_; }
  const config::Options& options() const { return options_; }
  uv_loop_t* loop() const { return loop_; }
  net::Resolver& resolver() { return resolver_; }
  std::vector<std::string> status_lines() const;
  // The same as a JSON document: destination, pool connections, forwards, foreground.
  std::string status_json() const;
  // What the metrics endpoint shows (app_metrics.cpp): pool connections, forwards, the process.
  metrics::Snapshot metrics_snapshot() const;

  void on_session_up(SshSession& session) override;
  void on_session_down(SshSession& session) override;
  void on_upstream_failed(const std::string& reason) override;
  bool session_in_use(SshSession& session) override;
  // ConnectionSource: a pooled connection with room for another session.
  void acquire_for_session(std::function<void(SshSession*)> then) override;

 private:
  std::optional<UpstreamSettings> upstream_settings(const config::Options& options);
  ForwardLimits limits() const;
  bool load_socks_credentials();
  // The forwards the configuration asks for (none with ClearAllForwardings).
  std::vector<config::ForwardSpec> wanted_forwards() const;
  std::unique_ptr<Forward> make_forward(const config::ForwardSpec& spec, std::string& error);
  bool start_vpn();
  // A SOCKS listener off loopback needs credentials or SocksAllowOpenProxy; `error` says why not.
  bool socks_exposure_allowed(const SocksForwardSpec& socks, std::string& error) const;
  void open_forwards();
  void attach_remote_forwards();
  // Tunnel (-w): opens the device and its channel on a connection, when none carries it.
  void attach_tunnel();
  void became_ready();
  // The first status line, for systemd's STATUS=.
  std::string status_summary() const;
  void start_foreground(SshSession& session);
  void check_drained();
  void install_signals();
  void close_signals();
  std::size_t active_connections() const;
  // The endpoint MetricsListen names, if any; false (logged) when it cannot listen.
  bool start_metrics();

  uv_loop_t* loop_;
  config::Options options_;
  net::Resolver resolver_;
  std::unique_ptr<Upstream> upstream_;
  // The registry the remote forwards of forwards_ live in, on one pooled connection at a time.
  std::unique_ptr<RemoteForwards> remote_forwards_;
  std::unique_ptr<ForwardSet> forwards_;
  SshSession* remote_session_ = nullptr;  // the connection holding the remote forwards
  std::unique_ptr<auth::SocksCredentials> socks_credentials_;
  std::unique_ptr<session::Foreground> foreground_;
  std::unique_ptr<AppControl> control_;  // the control socket, when a master
  std::unique_ptr<metrics::MetricsServer> metrics_;  // MetricsListen
  std::unique_ptr<SessionWaits> session_waits_;  // sessions waiting for a connection with room
  std::unique_ptr<tunnel::TunnelForward> tunnel_;  // Tunnel / -w (uses upstream_'s connections)
  std::unique_ptr<vpn::Vpn> vpn_;                  // Vpn / --vpn (uses upstream_: declared after it)
  std::unique_ptr<service::SystemdNotifier> notifier_;  // READY=1 and the rest, under systemd
  std::vector<uv_signal_t*> signals_;
  uv_timer_t* drain_timer_ = nullptr;
  std::uint64_t drain_deadline_ms_ = 0;
  ConfigSource config_source_;
  std::vector<std::function<void(App&)>> ready_callbacks_;
  std::vector<std::function<void()>> stop_callbacks_;
  std::function<bool()> exit_hold_;
  std::optional<int> held_status_;  // the foreground ended while exit_hold_ was busy
  int exit_code_ = 0;
  bool forwards_open_ = false;
  bool forward_failed_ = false;
  bool tunnel_failed_ = false;  // the device could not be opened or the server refused: not retried
  bool foreground_started_ = false;
  bool draining_ = false;
  bool stopping_ = false;
};

}  // namespace gateway
