#include "gateway/app.hpp"

#include <cstdlib>

#include "gateway/core/log.hpp"
#include "ssh/crypto/host_key.hpp"
#include "ssh/transport/algorithms.hpp"

#include <algorithm>

namespace gateway {
namespace {

auth::StrictHostKeyChecking to_policy(config::StrictHostKeyChecking s) {
  switch (s) {
    case config::StrictHostKeyChecking::yes: return auth::StrictHostKeyChecking::yes;
    case config::StrictHostKeyChecking::no: return auth::StrictHostKeyChecking::no;
    case config::StrictHostKeyChecking::accept_new: return auth::StrictHostKeyChecking::accept_new;
    case config::StrictHostKeyChecking::ask: break;
  }
  return auth::StrictHostKeyChecking::ask;
}

// Moves the host key algorithms that match key types already in known_hosts to the front,
// keeping their relative order (ssh does the same so a known host is not asked for another key).
void prefer_known_types(std::vector<std::string>& algorithms, const std::vector<std::string>& known_types) {
  auto matches = [&](const std::string& alg) {
    for (const auto& t : known_types) {
      if (ssh::crypto::algorithm_matches_key_type(alg, t)) return true;
    }
    return false;
  };
  std::stable_partition(algorithms.begin(), algorithms.end(), matches);
}

std::string agent_socket(const config::Options& o) {
  if (o.identity_agent == "none") return {};
  if (o.identity_agent == "SSH_AUTH_SOCK") {
    const char* v = std::getenv("SSH_AUTH_SOCK");
    return v != nullptr ? v : "";
  }
  if (!o.identity_agent.empty() && o.identity_agent[0] == '$') {
    const char* v = std::getenv(o.identity_agent.c_str() + 1);
    return v != nullptr ? v : "";
  }
  return o.identity_agent;
}

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

bool App::build_client_config(ssh::ClientConfig& out) {
  using ssh::transport::AlgorithmKind;
  auto& algs = out.transport.algorithms;
  struct Edit {
    AlgorithmKind kind;
    const std::string& spec;
    std::vector<std::string>& list;
    const char* keyword;
  };
  const Edit edits[] = {{AlgorithmKind::kex, options_.kex_algorithms, algs.kex, "KexAlgorithms"},
                        {AlgorithmKind::host_key, options_.host_key_algorithms, algs.host_key, "HostKeyAlgorithms"},
                        {AlgorithmKind::cipher, options_.ciphers, algs.ciphers, "Ciphers"},
                        {AlgorithmKind::mac, options_.macs, algs.macs, "MACs"}};
  for (const auto& e : edits) {
    if (e.spec.empty()) continue;
    auto edited = ssh::transport::apply_algorithm_list(e.kind, e.list, e.spec);
    if (!edited.error.empty()) {
      log::error("%s: %s", e.keyword, edited.error.c_str());
      return false;
    }
    if (edited.list.empty()) {
      log::error("%s \"%s\" leaves no algorithm to use", e.keyword, e.spec.c_str());
      return false;
    }
    e.list = std::move(edited.list);
  }
  if (options_.host_key_algorithms.empty()) prefer_known_types(algs.host_key, auth::known_host_key_types(host_key_settings_));
  if (options_.rekey_limit_bytes != 0) out.transport.rekey.max_bytes = options_.rekey_limit_bytes;
  if (options_.rekey_limit_time.count() != 0) out.transport.rekey.max_time = options_.rekey_limit_time;
  out.user = options_.user;
  out.server_alive_interval = options_.server_alive_interval;
  out.server_alive_count_max = options_.server_alive_count_max;
  return true;
}

bool App::start() {
  host_key_settings_.host = options_.host == options_.hostname ? options_.host : options_.hostname;
  host_key_settings_.port = options_.port;
  host_key_settings_.user_files = options_.user_known_hosts_files;
  host_key_settings_.global_files = options_.global_known_hosts_files;
  host_key_settings_.strict = to_policy(options_.strict_host_key_checking);
  host_key_settings_.hash_known_hosts = options_.hash_known_hosts;
  host_key_settings_.prompt.batch_mode = options_.batch_mode;

  ssh::ClientConfig client_config;
  if (!build_client_config(client_config)) return false;

  auth::AuthSettings auth_settings;
  auth_settings.user = options_.user;
  auth_settings.host = options_.hostname;
  auth_settings.identity_files = options_.identity_files;
  auth_settings.identities_only = options_.identities_only;
  auth_settings.agent_socket = agent_socket(options_);
  if (!options_.preferred_authentications.empty()) auth_settings.preferred = options_.preferred_authentications;
  if (!options_.pubkey_accepted_algorithms.empty()) {
    auto accepted = ssh::transport::apply_algorithm_list(
        ssh::transport::AlgorithmKind::host_key,
        ssh::transport::default_algorithm_list(ssh::transport::AlgorithmKind::host_key),
        options_.pubkey_accepted_algorithms);
    if (!accepted.error.empty()) {
      log::error("PubkeyAcceptedAlgorithms: %s", accepted.error.c_str());
      return false;
    }
    auth_settings.accepted_algorithms = std::move(accepted.list);
  }
  auth_settings.pubkey = options_.pubkey_authentication;
  auth_settings.password = options_.password_authentication;
  auth_settings.kbd_interactive = options_.kbd_interactive_authentication;
  auth_settings.password_prompts = static_cast<int>(options_.number_of_password_prompts);
  auth_settings.prompt.batch_mode = options_.batch_mode;
  authenticator_ = std::make_unique<auth::Authenticator>(std::move(auth_settings));

  SessionTarget target;
  target.host = options_.host;
  target.connect_host = options_.hostname;
  target.port = options_.port;
  if (options_.connect_timeout) target.connect_timeout = *options_.connect_timeout;
  session_ = std::make_unique<SshSession>(loop_, resolver_, std::move(target), std::move(client_config), *this);

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
