#include "gateway/app.hpp"

#include <cstdlib>

#include "gateway/core/log.hpp"
#include "gateway/core/session_settings.hpp"

namespace gateway {
namespace {

bool is_loopback(const std::string& address) {
  return address == "localhost" || address.rfind("127.", 0) == 0 || address == "::1" || address == "[::1]";
}

}  // namespace

App::App(uv_loop_t* loop, config::Options options) : loop_(loop), options_(std::move(options)), resolver_(loop) {}

App::~App() {
  forwards_.clear();
  socks_forwards_.clear();
  session_.reset();
  resolver_.close();
  for (uv_signal_t* s : {sigint_, sigterm_}) {
    if (s != nullptr) uv_close(reinterpret_cast<uv_handle_t*>(s), [](uv_handle_t* h) { delete reinterpret_cast<uv_signal_t*>(h); });
  }
}

bool App::start() {
  std::string error;
  auto hop = hop_settings(options_, error);
  if (!hop) {
    log::error("%s", error.c_str());
    return false;
  }
  host_key_settings_ = hop->host_keys;
  authenticator_ = std::make_unique<auth::Authenticator>(hop->auth);
  session_ = std::make_unique<SshSession>(loop_, resolver_, hop->target, hop->client, *this);

  auto on_signal = [](uv_signal_t* handle, int signum) {
    auto* self = static_cast<App*>(handle->data);
    log::info("Received signal %d; stopping.", signum);
    self->stop(0, "stopped by signal");
  };
  sigint_ = new uv_signal_t;
  sigterm_ = new uv_signal_t;
  for (uv_signal_t* s : {sigint_, sigterm_}) {
    uv_signal_init(loop_, s);
    s->data = this;
  }
  uv_signal_start(sigint_, on_signal, SIGINT);
  uv_signal_start(sigterm_, on_signal, SIGTERM);

  session_->start();
  return true;
}

bool App::verify_host_key(SshSession&, const ssh::event::HostKey& key) {
  return auth::verify_host_key(host_key_settings_, key);
}

void App::on_auth_event(SshSession& session, const ssh::Event& event) { authenticator_->handle(session, event); }

void App::on_authenticated(SshSession& session, const std::string& method) {
  log::info("Authenticated to %s port %u using \"%s\".", session.target().connect_host.c_str(), session.target().port,
            method.c_str());
  const bool local_ok = open_forwards();
  const bool socks_ok = open_socks_forwards();
  if (!(local_ok && socks_ok) && options_.exit_on_forward_failure) {
    stop(kExitFailure, "forward failed and ExitOnForwardFailure is set");
    return;
  }
  if (ready_callback_) ready_callback_(*this);
}

bool App::open_forwards() {
  bool all_ok = true;
  for (const auto& spec : options_.local_forwards) {
    LocalForwardSpec local;
    if (spec.listen.is_socket()) {
      local.listen_path = spec.listen.socket_path;
    } else {
      local.listen_address = spec.listen.host.empty() ? "127.0.0.1" : spec.listen.host;
      if (local.listen_address == "*" && !options_.gateway_ports) local.listen_address = "127.0.0.1";
      local.listen_port = spec.listen.port;
    }
    if (spec.target) {
      local.target_path = spec.target->socket_path;
      local.target_host = spec.target->host;
      local.target_port = spec.target->port;
    }
    auto forward = std::make_unique<LocalForward>(loop_, local, [this] { return ready_session(); });
    std::string error;
    if (!forward->listen(error)) {
      log::error("%s", error.c_str());
      all_ok = false;
      continue;
    }
    log::info("Local forward ready: %s", forward->spec().describe().c_str());
    forwards_.push_back(std::move(forward));
  }
  return all_ok;
}

SshSession* App::ready_session() { return session_ && session_->authenticated() ? session_.get() : nullptr; }

bool App::open_socks_forwards() {
  bool all_ok = true;
  if (!options_.dynamic_forwards.empty() && !options_.socks_credentials_file.empty() && !socks_credentials_) {
    std::string error;
    auto loaded = auth::SocksCredentials::load(options_.socks_credentials_file, error);
    if (!loaded) {
      log::error("%s; not opening SOCKS listeners", error.c_str());
      return false;
    }
    socks_credentials_ = std::make_unique<auth::SocksCredentials>(std::move(*loaded));
  }
  for (const auto& spec : options_.dynamic_forwards) {
    SocksForwardSpec socks;
    socks.credentials = socks_credentials_.get();
    if (spec.listen.is_socket()) {
      socks.listen_path = spec.listen.socket_path;
    } else {
      socks.listen_address = spec.listen.host.empty() ? "127.0.0.1" : spec.listen.host;
      if (socks.listen_address == "*" && !options_.gateway_ports) socks.listen_address = "127.0.0.1";
      socks.listen_port = spec.listen.port;
      if (!is_loopback(socks.listen_address) && socks.credentials == nullptr) {
        // An open proxy on a reachable address lets anyone in through the server.
        if (!options_.socks_allow_open_proxy) {
          log::error("refusing dynamic forward on %s: a SOCKS listener on a non-loopback address needs "
                     "SocksCredentialsFile (or SocksAllowOpenProxy yes to run an open proxy)",
                     socks.listen_address.c_str());
          all_ok = false;
          continue;
        }
        log::error("WARNING: open SOCKS proxy on %s without authentication (SocksAllowOpenProxy yes)",
                   socks.listen_address.c_str());
      }
    }
    auto forward = std::make_unique<SocksForward>(loop_, socks, [this] { return ready_session(); });
    std::string error;
    if (!forward->listen(error)) {
      log::error("%s", error.c_str());
      all_ok = false;
      continue;
    }
    log::info("Dynamic forward ready: %s", forward->spec().describe().c_str());
    socks_forwards_.push_back(std::move(forward));
  }
  return all_ok;
}

void App::on_disconnected(SshSession& session, const std::string& reason, bool was_authenticated) {
  if (stopping_) return;
  if (authenticator_ && authenticator_->failed()) {
    log::error("%s", reason.c_str());
  } else if (was_authenticated) {
    log::error("Connection to %s closed: %s", session.target().connect_host.c_str(), reason.c_str());
  } else {
    log::error("%s", reason.c_str());
  }
  stop(kExitFailure, reason);
}

void App::stop(int exit_code, const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  exit_code_ = exit_code;
  log::debug("stopping: %s", why.c_str());
  for (auto& f : forwards_) f->close();
  for (auto& f : socks_forwards_) f->close();
  if (session_) session_->shutdown(why);
  for (uv_signal_t* s : {sigint_, sigterm_}) {
    if (s != nullptr) uv_signal_stop(s);
  }
  resolver_.close();
}

}  // namespace gateway
