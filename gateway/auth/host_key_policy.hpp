#pragma once
// Host key verification against known_hosts with ssh's StrictHostKeyChecking semantics, but never
// looser: a changed or revoked key is always refused, whatever the setting.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gateway/auth/prompt.hpp"
#include "ssh/client/client.hpp"

namespace gateway::auth {

enum class StrictHostKeyChecking { yes, ask, accept_new, no };

struct HostKeyPolicySettings {
  std::string host;  // HostName (the name known_hosts lines are looked up and saved under)
  std::uint16_t port = 22;
  // HostKeyAlias: looked up and saved under this name instead of host (and without the port).
  std::string host_key_alias;
  // NoHostAuthenticationForLocalhost: no check at all when host is localhost or a loopback address.
  bool trust_loopback = false;
  // VisualHostKey: the key's picture beside its fingerprint, when known and when asking.
  bool visual = false;
  // CheckHostIP: the server's address is checked in known_hosts too, and recorded beside the name.
  bool check_host_ip = false;
  // KnownHostsCommand: an absolute path and arguments, split as ssh splits them and run without a
  // shell; its output is read as one more known_hosts file. The %-tokens
  // known when connecting (%C %d %h %i %L %l %n %p %r %u) are in command_tokens; %H %I %K %f %k %t are
  // filled in per key.
  std::string known_hosts_command;
  std::map<char, std::string> command_tokens;
  // RevokedHostKeys: files of public keys ("type base64 [comment]" lines) that are refused as revoked.
  std::vector<std::string> revoked_files;
  std::vector<std::string> user_files;
  std::vector<std::string> global_files;
  StrictHostKeyChecking strict = StrictHostKeyChecking::ask;
  bool hash_known_hosts = false;
  PromptOptions prompt;
};

// Returns true to accept. Prints what ssh would print (warnings, fingerprints, offending lines).
// `address`: the server's numeric address on a direct TCP connection (for CheckHostIP), or empty.
bool verify_host_key(const HostKeyPolicySettings& settings, const ssh::event::HostKey& key,
                     const std::string& address = {});

// Host key algorithms to prefer for this host: those whose key types known_hosts already holds,
// so a host known by its ECDSA key is not asked for its Ed25519 key first (as ssh orders them).
std::vector<std::string> known_host_key_types(const HostKeyPolicySettings& settings);

}  // namespace gateway::auth
