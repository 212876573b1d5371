#include "gateway/pool/session_settings.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>

#include "gateway/config/resolver.hpp"
#include "gateway/core/link_process.hpp"
#include "ssh/crypto/host_key.hpp"
#include "ssh/transport/algorithms.hpp"

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

// KnownHostsCommand's tokens that are known before the key exchange.
std::map<char, std::string> known_hosts_command_tokens(const config::Options& options) {
  const config::Environment env = config::current_environment();
  const std::string port = std::to_string(options.port);
  return {{'C', config::connection_hash(env.local_hostname, options.hostname, port, options.user)},
          {'d', env.home},
          {'h', options.hostname},
          {'i', env.uid},
          {'L', env.local_hostname.substr(0, env.local_hostname.find('.'))},
          {'l', env.local_hostname},
          {'n', options.host},
          {'p', port},
          {'r', options.user},
          {'u', env.local_user}};
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

bool apply_algorithms(const config::Options& options, const auth::HostKeyPolicySettings& host_keys,
                      ssh::ClientConfig& out, std::string& error) {
  using ssh::transport::AlgorithmKind;
  auto& algs = out.transport.algorithms;
  struct Edit {
    AlgorithmKind kind;
    const std::string& spec;
    std::vector<std::string>& list;
    const char* keyword;
  };
  const Edit edits[] = {{AlgorithmKind::kex, options.kex_algorithms, algs.kex, "KexAlgorithms"},
                        {AlgorithmKind::host_key, options.host_key_algorithms, algs.host_key, "HostKeyAlgorithms"},
                        {AlgorithmKind::cipher, options.ciphers, algs.ciphers, "Ciphers"},
                        {AlgorithmKind::mac, options.macs, algs.macs, "MACs"}};
  for (const auto& e : edits) {
    if (e.spec.empty()) continue;
    auto edited = ssh::transport::apply_algorithm_list(e.kind, e.list, e.spec);
    if (!edited.error.empty()) {
      error = std::string(e.keyword) + ": " + edited.error;
      return false;
    }
    if (edited.list.empty()) {
      error = std::string(e.keyword) + " \"" + e.spec + "\" leaves no algorithm to use";
      return false;
    }
    e.list = std::move(edited.list);
  }
  if (options.host_key_algorithms.empty()) prefer_known_types(algs.host_key, auth::known_host_key_types(host_keys));
  return true;
}

}  // namespace

std::optional<HopSettings> hop_settings(const config::Options& options, std::string& error) {
  HopSettings hop;
  auto& hk = hop.host_keys;
  hk.host = options.host == options.hostname ? options.host : options.hostname;
  hk.port = options.port;
  hk.user_files = options.user_known_hosts_files;
  hk.global_files = options.global_known_hosts_files;
  hk.strict = to_policy(options.strict_host_key_checking);
  hk.hash_known_hosts = options.hash_known_hosts;
  hk.prompt.batch_mode = options.batch_mode;
  hk.host_key_alias = options.host_key_alias;
  hk.trust_loopback = options.no_host_authentication_for_localhost;
  hk.visual = options.visual_host_key;
  hk.check_host_ip = options.check_host_ip;
  hk.revoked_files = options.revoked_host_keys;
  hk.known_hosts_command = options.known_hosts_command;
  if (!hk.known_hosts_command.empty()) hk.command_tokens = known_hosts_command_tokens(options);

  auto& client = hop.client;
  if (!apply_algorithms(options, hk, client, error)) return std::nullopt;
  if (options.rekey_limit_bytes != 0) client.transport.rekey.max_bytes = options.rekey_limit_bytes;
  if (options.rekey_limit_time.count() != 0) client.transport.rekey.max_time = options.rekey_limit_time;
  client.transport.algorithms.compression = ssh::transport::compression_algorithm_list(options.compression);
  client.user = options.user;
  if (!options.version_addendum.empty()) client.transport.client_version += " " + options.version_addendum;
  client.server_alive_interval = options.server_alive_interval;
  client.server_alive_count_max = options.server_alive_count_max;

  auto& a = hop.auth;
  a.user = options.user;
  a.host = options.hostname;
  a.identity_files = options.identity_files;
  a.identities_only = options.identities_only;
  a.agent_socket = agent_socket(options);
  switch (options.add_keys_to_agent) {
    case config::AddKeysToAgent::no:
      a.add_keys_to_agent = auth::AddKeysToAgent::no;
      break;
    case config::AddKeysToAgent::yes:
      a.add_keys_to_agent = auth::AddKeysToAgent::yes;
      break;
    case config::AddKeysToAgent::ask:
      a.add_keys_to_agent = auth::AddKeysToAgent::ask;
      break;
    case config::AddKeysToAgent::confirm:
      a.add_keys_to_agent = auth::AddKeysToAgent::confirm;
      break;
  }
  a.add_keys_to_agent_lifetime = options.add_keys_to_agent_lifetime;
  if (!options.preferred_authentications.empty()) a.preferred = options.preferred_authentications;
  if (!options.pubkey_accepted_algorithms.empty()) {
    auto accepted = ssh::transport::apply_algorithm_list(
        ssh::transport::AlgorithmKind::host_key,
        ssh::transport::default_algorithm_list(ssh::transport::AlgorithmKind::host_key),
        options.pubkey_accepted_algorithms);
    if (!accepted.error.empty()) {
      error = "PubkeyAcceptedAlgorithms: " + accepted.error;
      return std::nullopt;
    }
    a.accepted_algorithms = std::move(accepted.list);
  }
  a.pubkey = options.pubkey_authentication;
  a.password = options.password_authentication;
  a.kbd_interactive = options.kbd_interactive_authentication;
  a.password_prompts = static_cast<int>(options.number_of_password_prompts);
  a.prompt.batch_mode = options.batch_mode;

  auto& t = hop.target;
  t.host = options.host;
  t.connect_host = options.hostname;
  t.port = options.port;
  if (options.connect_timeout) t.socket.connect_timeout = *options.connect_timeout;
  t.socket.family = options.address_family == config::AddressFamily::inet    ? AF_INET
                    : options.address_family == config::AddressFamily::inet6 ? AF_INET6
                                                                             : AF_UNSPEC;
  t.socket.bind_address = options.bind_address;
  t.socket.bind_interface = options.bind_interface;
  t.socket.keep_alive = options.tcp_keep_alive;
  // IPQoS: the interactive value when this connection carries a terminal session, as in ssh.
  const bool terminal = options.session_type == config::SessionType::command &&
                        (options.request_tty == config::RequestTty::yes ||
                         options.request_tty == config::RequestTty::force ||
                         (options.request_tty == config::RequestTty::automatic && options.remote_command.empty() &&
                          isatty(STDIN_FILENO) != 0));
  t.socket.ip_tos = terminal ? options.ip_qos_interactive : options.ip_qos_bulk;
  if (!options.proxy_command.empty()) {
    // ProxyCommand (resolution leaves it empty when ProxyJump won): each connection, and each
    // reconnect, runs the command again; ConnectTimeout covers it up to the server's banner.
    ProcessLinkOptions proxy{options.proxy_command, options.proxy_use_fdpass, t.socket.connect_timeout};
    t.make_link = [proxy](uv_loop_t* loop, net::Resolver&, const SessionTarget&,
                          LinkObserver& observer) -> std::unique_ptr<Link> {
      return std::make_unique<ProcessLink>(loop, proxy, observer);
    };
  }
  return hop;
}

}  // namespace gateway
