#include "gateway/app.hpp"

#include <csignal>

#include "gateway/app_control.hpp"
#include "gateway/forward/local_forward.hpp"
#include "gateway/metrics/metrics_server.hpp"
#include "gateway/pool/jump_hops.hpp"
#include "gateway/pool/link_jump.hpp"
#include "gateway/pool/session_settings.hpp"
#include "gateway/util/log.hpp"

namespace gateway {
namespace {

constexpr std::uint64_t kDrainPollMs = 100;

bool is_loopback(const std::string& address) {
  return address == "localhost" || address.rfind("127.", 0) == 0 || address == "::1" || address == "[::1]";
}

std::string listen_address(const config::ForwardEndpoint& listen, bool gateway_ports) {
  std::string address = listen.host.empty() ? "127.0.0.1" : listen.host;
  if (address == "*" && !gateway_ports) address = "127.0.0.1";
  return address;
}

// The listening side, the same for -L and -D.
template <class Spec>
void set_listen(Spec& out, const config::ForwardEndpoint& listen, const config::Options& options) {
  if (listen.is_socket()) {
    out.listen_path = listen.socket_path;
    out.socket_mask = options.stream_local_bind_mask;
    out.unlink_existing = options.stream_local_bind_unlink;
  } else {
    out.listen_address = listen_address(listen, options.gateway_ports);
    out.listen_port = listen.port;
  }
}

LocalForwardSpec local_spec(const config::ForwardSpec& spec, const config::Options& options) {
  LocalForwardSpec local;
  set_listen(local, spec.listen, options);
  if (spec.target) {
    local.target_path = spec.target->socket_path;
    local.target_host = spec.target->host;
    local.target_port = spec.target->port;
  }
  return local;
}

SocksForwardSpec socks_spec(const config::ForwardSpec& spec, const config::Options& options) {
  SocksForwardSpec socks;
  set_listen(socks, spec.listen, options);
  return socks;
}

}  // namespace

App::App(uv_loop_t* loop, config::Options options) : loop_(loop), options_(std::move(options)), resolver_(loop) {}

App::~App() {
  metrics_.reset();
  control_.reset();
  foreground_.reset();
  session_waits_.reset();
  forwards_.reset();
  remote_forwards_.reset();
  tunnel_.reset();
  upstream_.reset();
  // Last: tearing down the forwards may still report a state change.
  notifier_.reset();
  resolver_.close();
  close_signals();
  if (drain_timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(drain_timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    drain_timer_ = nullptr;
  }
}

void App::enable_control() { control_ = std::make_unique<AppControl>(*this); }

std::optional<UpstreamSettings> App::upstream_settings(const config::Options& options) {
  std::string error;
  auto hop = hop_settings(options, error);
  if (!hop) {
    log::error("%s", error.c_str());
    return std::nullopt;
  }
  auto jumps = jump_hops(options, error);
  if (!jumps) {
    log::error("%s", error.c_str());
    return std::nullopt;
  }
  if (options.vpn) {
    // The VPN's routes leave marked sockets alone: every connection the pool makes (through jump
    // hosts too) reaches the server outside the tunnel it carries.
    hop->target.socket.socket_mark = options.vpn_table;
    for (auto& jump : *jumps) {
      auto marked = std::make_shared<HopSettings>(*jump);
      marked->target.socket.socket_mark = options.vpn_table;
      jump = std::move(marked);
    }
  }
  route_through(hop->target, std::move(*jumps));
  UpstreamSettings settings;
  settings.hop = std::move(*hop);
  settings.pool_size = options.pool_size;
  if (foreground_) {
    // A command, shell or -W in the foreground: one connection unless asked for more (the pool
    // still grows under load), and ssh's quiet progress.
    if (!options.set_keywords.contains("PoolSize")) settings.pool_size = 1;
    settings.quiet_progress = true;
  }
  settings.max_pool_size = options.pool_max_size;
  settings.channels_per_connection = options.channels_per_connection;
  settings.pool_idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.pool_idle_timeout);
  settings.connection_attempts = options.connection_attempts;
  settings.reconnect = options.reconnect;
  settings.reconnect_max_delay = std::chrono::duration_cast<std::chrono::milliseconds>(options.reconnect_max_delay);
  return settings;
}

ForwardLimits App::limits() const {
  ForwardLimits limits;
  limits.max_clients = options_.max_clients;
  limits.max_pending_opens = options_.max_pending_opens;
  limits.wait_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options_.transport_wait_timeout);
  return limits;
}

std::vector<config::ForwardSpec> App::wanted_forwards() const {
  std::vector<config::ForwardSpec> wanted;
  if (options_.clear_all_forwardings) return wanted;
  for (const auto* list : {&options_.local_forwards, &options_.remote_forwards, &options_.dynamic_forwards}) {
    wanted.insert(wanted.end(), list->begin(), list->end());
  }
  return wanted;
}

bool App::start() {
  auto settings = upstream_settings(options_);
  if (!settings) return false;
  if (!options_.dynamic_forwards.empty() && !load_socks_credentials()) return false;
  // An open proxy on a reachable address is refused before anything connects.
  for (const auto& spec : options_.dynamic_forwards) {
    SocksForwardSpec socks = socks_spec(spec, options_);
    socks.credentials = socks_credentials_.get();
    std::string error;
    if (!socks_exposure_allowed(socks, error)) {
      log::error("%s", error.c_str());
      return false;
    }
  }
  if (!start_metrics()) return false;
  notifier_ = std::make_unique<service::SystemdNotifier>(loop_, [this] { return status_summary(); });
  upstream_ = std::make_unique<Upstream>(loop_, resolver_, std::move(*settings), *this);
  session_waits_ = std::make_unique<SessionWaits>(*upstream_);
  remote_forwards_ = std::make_unique<RemoteForwards>(loop_, resolver_);
  remote_forwards_->set_permitted_opens(options_.permit_remote_open);
  forwards_ = std::make_unique<ForwardSet>(
      [this](const config::ForwardSpec& spec, std::string& error) { return make_forward(spec, error); });
  install_signals();
  if (options_.vpn && !start_vpn()) return false;
  upstream_->start();
  return true;
}

bool App::start_vpn() {
  // sshplex's own lookups of the server stay outside the tunnel, as its connections do.
  resolver_.set_socket_mark(options_.vpn_table);
  vpn_ = std::make_unique<vpn::Vpn>(loop_, *upstream_, vpn::vpn_settings(options_), limits());
  std::string error;
  if (!vpn_->start(error)) {
    log::error("VPN: %s", error.c_str());
    vpn_.reset();
    close_signals();
    return false;
  }
  return true;
}

std::unique_ptr<Forward> App::make_forward(const config::ForwardSpec& spec, std::string& error) {
  switch (spec.kind) {
    case config::ForwardKind::local:
      return std::make_unique<LocalForward>(loop_, local_spec(spec, options_), *upstream_, limits());
    case config::ForwardKind::dynamic: {
      SocksForwardSpec socks = socks_spec(spec, options_);
      socks.credentials = socks_credentials_.get();
      if (!socks_exposure_allowed(socks, error)) return nullptr;
      if (socks.credentials == nullptr && socks.listen_path.empty() && !is_loopback(socks.listen_address)) {
        log::error("WARNING: open SOCKS proxy on %s without authentication (SocksAllowOpenProxy yes)",
                   socks.listen_address.c_str());
      }
      return std::make_unique<SocksForward>(loop_, socks, *upstream_, limits());
    }
    case config::ForwardKind::remote:
      return std::make_unique<RemoteForward>(*remote_forwards_, spec);
  }
  error = "unknown kind of forward";
  return nullptr;
}

void App::install_signals() {
  auto add = [this](int signum, uv_signal_cb cb) {
    auto* s = new uv_signal_t;
    uv_signal_init(loop_, s);
    s->data = this;
    uv_signal_start(s, cb, signum);
    signals_.push_back(s);
  };
  auto on_stop = [](uv_signal_t* handle, int signum) {
    auto* self = static_cast<App*>(handle->data);
    if (self->draining_) {
      log::info("Received signal %d again; stopping now.", signum);
      self->stop(0, "stopped by signal");
      return;
    }
    log::info("Received signal %d; stopping.", signum);
    self->drain("stopped by signal");
  };
  add(SIGINT, on_stop);
  add(SIGTERM, on_stop);
  add(SIGHUP, [](uv_signal_t* handle, int) {
    auto* self = static_cast<App*>(handle->data);
    if (!self->config_source_) {
      log::info("Received SIGHUP; no configuration to reload.");
      return;
    }
    log::info("Received SIGHUP; reloading the configuration.");
    self->notifier_->reloading();
    if (auto options = self->config_source_()) {
      self->reload(std::move(*options));
    } else {
      log::error("Configuration not reloaded: keeping the running one.");
    }
    // Ready again whatever the outcome: the running configuration serves on.
    self->notifier_->reloaded();
  });
  add(SIGUSR1, [](uv_signal_t* handle, int) {
    for (const auto& line : static_cast<App*>(handle->data)->status_lines()) log::info("status: %s", line.c_str());
  });
}

void App::close_signals() {
  for (uv_signal_t* s : signals_) {
    uv_signal_stop(s);
    uv_close(reinterpret_cast<uv_handle_t*>(s), [](uv_handle_t* h) { delete reinterpret_cast<uv_signal_t*>(h); });
  }
  signals_.clear();
}

bool App::load_socks_credentials() {
  if (options_.socks_credentials_file.empty()) {
    socks_credentials_.reset();
    return true;
  }
  std::string error;
  auto loaded = auth::SocksCredentials::load(options_.socks_credentials_file, error);
  if (!loaded) {
    log::error("%s; not opening SOCKS listeners", error.c_str());
    return false;
  }
  socks_credentials_ = std::make_unique<auth::SocksCredentials>(std::move(*loaded));
  return true;
}

void App::on_session_up(SshSession& session) {
  notifier_->status_changed();
  if (!forwards_open_) {
    forwards_open_ = true;
    open_forwards();
    if (stopping_) return;
    attach_remote_forwards();
    if (stopping_) return;
    attach_tunnel();
    if (stopping_) return;
    if (foreground_) start_foreground(session);
    return;
  }
  if (remote_session_ == nullptr) attach_remote_forwards();
  attach_tunnel();
}

void App::attach_tunnel() {
  if (options_.tunnel == config::TunnelMode::no || stopping_ || draining_ || tunnel_failed_) return;
  if (!tunnel_) {
    tunnel::TunnelSettings settings;
    settings.mode = options_.tunnel;
    settings.local_unit = options_.tunnel_local;
    settings.remote_unit = options_.tunnel_remote;
    tunnel_ = std::make_unique<tunnel::TunnelForward>(loop_, settings, [this](const std::string& description) {
      // As ssh: an error, and the end only with ExitOnForwardFailure.
      log::error("Tunnel forwarding failed");
      if (!description.empty()) log::verbose("The server said: %s", description.c_str());
      tunnel_failed_ = true;
      // From inside the pump's own call: stop on a clean stack.
      if (options_.exit_on_forward_failure)
        stop_soon(kExitFailure, "tunnel forwarding failed and ExitOnForwardFailure is set");
    });
  }
  if (tunnel_->session() != nullptr) return;
  SshSession* session = upstream_->pick();
  if (session == nullptr) return;
  std::string error;
  if (!tunnel_->attach(*session, error)) {
    // ssh's words for the same failure.
    log::error("%s", error.c_str());
    log::error("Tunnel device open failed.");
    log::error("Could not request tunnel forwarding.");
    tunnel_failed_ = true;
    if (options_.exit_on_forward_failure) stop(kExitFailure, "the tunnel device could not be opened");
  }
}

void App::open_forwards() {
  for (const auto& error : forwards_->apply(wanted_forwards())) {
    log::error("%s", error.c_str());
    forward_failed_ = true;
  }
  forwards_->for_each([](const config::ForwardSpec&, Forward& f) { log::info("Forward ready: %s", f.describe().c_str()); });
  if (forward_failed_ && options_.exit_on_forward_failure) {
    stop(kExitFailure, "forward failed and ExitOnForwardFailure is set");
  }
}

void App::attach_remote_forwards() {
  if (stopping_ || draining_ || remote_session_ != nullptr) return;
  SshSession* session = upstream_->pick();
  if (session == nullptr) return;
  remote_session_ = session;
  remote_forwards_->attach(*session, [this](bool all_ok) {
    if (!all_ok && options_.exit_on_forward_failure) {
      // Not from inside RemoteForwards' own call: stop() closes it.
      stop_soon(kExitFailure, "remote forward failed and ExitOnForwardFailure is set");
      return;
    }
    became_ready();
  });
}

void App::became_ready() {
  // Called again when remote forwards move to another connection; systemd ignores a repeated READY=1.
  if (!stopping_) notifier_->ready();
  auto callbacks = std::move(ready_callbacks_);
  ready_callbacks_.clear();
  for (auto& callback : callbacks) {
    if (stopping_) return;
    callback(*this);
  }
}

void App::acquire_for_session(std::function<void(SshSession*)> then) {
  if (stopping_ || !session_waits_) {
    then(nullptr);
    return;
  }
  session_waits_->acquire(limits().wait_timeout, std::move(then), Upstream::Purpose::session);
}

void App::start_foreground(SshSession&) {
  foreground_started_ = true;
  foreground_->start(*this, [this](int status) {
    if (exit_hold_ && exit_hold_()) {
      log::verbose("The session ended; waiting for the shared connections to close.");
      held_status_ = status;
      return;
    }
    // From inside the foreground's own teardown: stop on a clean stack.
    stop_soon(status, "the session ended");
  });
}

void App::exit_hold_released() {
  if (!held_status_) return;
  const int status = *held_status_;
  held_status_.reset();
  stop_soon(status, "the session and its passengers ended");
}

void App::on_session_down(SshSession& session) {
  notifier_->status_changed();
  if (tunnel_ && tunnel_->session() == &session) {
    tunnel_->detach();
    attach_tunnel();
  }
  if (&session != remote_session_) return;
  remote_forwards_->detach(session);
  remote_session_ = nullptr;
  // Another connection of the pool, if one is up, takes the remote forwards over at once.
  attach_remote_forwards();
}

bool App::session_in_use(SshSession& session) {
  return &session == remote_session_ || (tunnel_ && tunnel_->session() == &session);
}

void App::on_upstream_failed(const std::string& reason) {
  if (stopping_) return;
  log::error("%s", reason.c_str());
  stop(kExitFailure, reason);
}

bool App::socks_exposure_allowed(const SocksForwardSpec& socks, std::string& error) const {
  if (!socks.listen_path.empty() || is_loopback(socks.listen_address) || socks.credentials != nullptr) return true;
  if (options_.socks_allow_open_proxy) return true;
  // An open proxy on a reachable address lets anyone in through the server.
  error = "refusing dynamic forward " + socks.describe() +
          ": a SOCKS listener on a non-loopback address needs SocksCredentialsFile (or SocksAllowOpenProxy yes to "
          "run an open proxy)";
  return false;
}

bool App::add_forward(const config::ForwardSpec& spec, std::string& error) {
  if (stopping_ || !forwards_) {
    error = "sshplex is stopping";
    return false;
  }
  if (!forwards_->add(spec, error)) return false;
  if (remote_session_ == nullptr && spec.kind == config::ForwardKind::remote) attach_remote_forwards();
  return true;
}

bool App::cancel_forward(const config::ForwardSpec& spec) { return forwards_ && forwards_->cancel(spec); }

void App::open_forward(const config::ForwardSpec& spec, ForwardOpened done) {
  std::string error;
  if (forwards_ && forwards_->contains(spec)) {
    log::debug("forward %s already open", config::to_string(spec).c_str());
  } else if (!add_forward(spec, error)) {
    done(error, std::nullopt);
    return;
  }
  if (spec.kind != config::ForwardKind::remote) {
    done({}, std::nullopt);
    return;
  }
  const bool wants_port = !spec.listen.is_socket() && spec.listen.port == 0;
  const std::string failed = spec.listen.is_socket()
                                 ? "remote port forwarding failed for listen path " + spec.listen.socket_path
                                 : "remote port forwarding failed for listen port " + std::to_string(spec.listen.port);
  const bool known = remote_forwards_->when_answered(spec, [done, wants_port, failed](bool ok, std::uint32_t port) {
    if (!ok) {
      done(failed, std::nullopt);
    } else {
      done({}, wants_port ? std::optional<std::uint32_t>(port) : std::nullopt);
    }
  });
  if (!known) done(failed, std::nullopt);
}

std::size_t App::active_connections() const {
  std::size_t n = forwards_ ? forwards_->active_connections() : 0;
  if (remote_forwards_) n += remote_forwards_->active_connections();
  if (vpn_) n += vpn_->active_flows();
  return n;
}

void App::drain(const std::string& why) {
  if (stopping_ || draining_) return;
  if (foreground_started_) {
    // As ssh: a signal ends the session (status 255), and with it the program.
    stop(kExitFailure, why);
    return;
  }
  draining_ = true;
  notifier_->stopping();
  // Remote forwards are cancelled on the server too; connections already made carry on.
  if (forwards_) forwards_->stop_listening();
  if (vpn_) vpn_->stop_accepting();
  const std::size_t open = active_connections();
  if (open == 0 || options_.drain_timeout.count() == 0) {
    stop(0, why);
    return;
  }
  log::info("Waiting up to %lld s for %zu open connection%s to finish.",
            static_cast<long long>(options_.drain_timeout.count()), open, open == 1 ? "" : "s");
  drain_deadline_ms_ = uv_now(loop_) + static_cast<std::uint64_t>(options_.drain_timeout.count()) * 1000;
  drain_timer_ = new uv_timer_t;
  uv_timer_init(loop_, drain_timer_);
  drain_timer_->data = this;
  uv_timer_start(drain_timer_, [](uv_timer_t* t) { static_cast<App*>(t->data)->check_drained(); }, kDrainPollMs,
                 kDrainPollMs);
}

void App::check_drained() {
  const std::size_t open = active_connections();
  if (open == 0) {
    stop(0, "drained");
    return;
  }
  if (uv_now(loop_) >= drain_deadline_ms_) {
    log::info("DrainTimeout reached; closing %zu connection%s.", open, open == 1 ? "" : "s");
    stop(0, "drain timeout");
  }
}

void App::reload(config::Options options) {
  if (stopping_ || draining_) return;
  const bool hosts_differ = options.hostname != options_.hostname || options.port != options_.port ||
                            options.user != options_.user;
  if (hosts_differ) {
    log::error("Reload: the destination changed (%s@%s:%u); restart sshplex to switch servers.",
               options.user.c_str(), options.hostname.c_str(), options.port);
    return;
  }
  if (vpn::vpn_settings_differ(options, options_)) {
    // What runs stays, and so do the marks on the pool's sockets that keep it out of the tunnel.
    log::error("Reload: the VPN's settings changed; restart sshplex to apply them (the VPN stays as it is).");
    vpn::keep_vpn_settings(options, options_);
  }
  auto settings = upstream_settings(options);
  if (!settings) {
    log::error("Configuration not reloaded: keeping the running one.");
    return;
  }
  if (options.metrics_listen != options_.metrics_listen) {
    log::error("Reload: MetricsListen changed; restart sshplex to apply it (the endpoint stays as it is).");
    options.metrics_listen = options_.metrics_listen;  // what runs, so a later reload compares with it
  }
  options_ = std::move(options);
  upstream_->update_settings(std::move(*settings));

  if (!load_socks_credentials()) log::error("Reload: keeping the previous SOCKS credentials");
  // Credentials or SocksAllowOpenProxy may have changed under a SOCKS listener that stays.
  std::vector<config::ForwardSpec> exposed;
  forwards_->for_each([&](const config::ForwardSpec& spec, Forward& f) {
    auto* socks = dynamic_cast<SocksForward*>(&f);
    if (socks == nullptr) return;
    socks->set_credentials(socks_credentials_.get());
    std::string error;
    if (!socks_exposure_allowed(socks->spec(), error)) {
      log::error("%s", error.c_str());
      exposed.push_back(spec);
    }
  });
  for (const auto& spec : exposed) forwards_->cancel(spec);
  if (forwards_open_) {
    // Forwards are matched by their spec: unchanged ones keep listening, removed ones stop
    // listening but keep their established connections until those end, new ones open.
    for (const auto& error : forwards_->apply(wanted_forwards())) log::error("Reload: %s", error.c_str());
    if (remote_session_ == nullptr) attach_remote_forwards();
  }
  log::info("Configuration reloaded: %zu forwards.", forwards_->size());
}

void App::stop_soon(int exit_code, const std::string& why) {
  auto* timer = new uv_timer_t;
  uv_timer_init(loop_, timer);
  timer->data = new std::pair<App*, std::pair<int, std::string>>(this, {exit_code, why});
  uv_timer_start(timer, [](uv_timer_t* t) {
    std::unique_ptr<std::pair<App*, std::pair<int, std::string>>> args(
        static_cast<std::pair<App*, std::pair<int, std::string>>*>(t->data));
    uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    args->first->stop(args->second.first, args->second.second);
  }, 0, 0);
}

void App::stop(int exit_code, const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  exit_code_ = exit_code;
  log::debug("stopping: %s", why.c_str());
  if (notifier_) {
    notifier_->stopping();
    notifier_->close();
  }
  if (drain_timer_ != nullptr) uv_timer_stop(drain_timer_);
  for (auto& callback : std::exchange(stop_callbacks_, {})) callback();
  if (foreground_) foreground_->abort();
  if (session_waits_) session_waits_->cancel_all();
  if (forwards_) forwards_->close();
  if (remote_forwards_) remote_forwards_->close();
  // Routes, rules, DNS and the kill switch go before the connections do.
  if (vpn_) vpn_->close();
  if (upstream_) upstream_->shutdown(why);
  if (metrics_) metrics_->stop();
  close_signals();
  resolver_.close();
}

std::string App::status_summary() const {
  auto lines = status_lines();
  return lines.empty() ? std::string() : lines.front();
}

}  // namespace gateway
