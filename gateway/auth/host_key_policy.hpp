#pragma once
// Host key verification against known_hosts with ssh's StrictHostKeyChecking semantics, but never
// looser: a changed or revoked key is always refused, whatever the setting.
#include <cstdint>
#include <string>
#include <vector>

#include "gateway/auth/prompt.hpp"
#include "ssh/client/client.hpp"

namespace gateway::auth {

enum class StrictHostKeyChecking { yes, ask, accept_new, no };

struct HostKeyPolicySettings {
  std::string host;  // the name the user gave (HostKeyAlias semantics are not supported)
  std::uint16_t port = 22;
  std::vector<std::string> user_files;
  std::vector<std::string> global_files;
  StrictHostKeyChecking strict = StrictHostKeyChecking::ask;
  bool hash_known_hosts = false;
  PromptOptions prompt;
};

// Returns true to accept. Prints what ssh would print (warnings, fingerprints, offending lines).
bool verify_host_key(const HostKeyPolicySettings& settings, const ssh::event::HostKey& key);

// Host key algorithms to prefer for this host: those whose key types known_hosts already holds,
// so a host known by its ECDSA key is not asked for its Ed25519 key first (as ssh orders them).
std::vector<std::string> known_host_key_types(const HostKeyPolicySettings& settings);

}  // namespace gateway::auth
