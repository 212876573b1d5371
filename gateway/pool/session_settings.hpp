#pragma once
// Everything needed to reach and log in to one SSH server (the destination or a ProxyJump hop),
// derived from its resolved ssh_config options the way ssh reads them.
#include <optional>
#include <string>

#include "gateway/auth/authenticator.hpp"
#include "gateway/auth/host_key_policy.hpp"
#include "gateway/config/options.hpp"
#include "gateway/core/ssh_session.hpp"
#include "ssh/client/client.hpp"

namespace gateway {

struct HopSettings {
  SessionTarget target;
  ssh::ClientConfig client;
  auth::AuthSettings auth;
  auth::HostKeyPolicySettings host_keys;
};

// nullopt with `error` ("Ciphers: unknown algorithm ...") when an option cannot be applied.
std::optional<HopSettings> hop_settings(const config::Options& options, std::string& error);

}  // namespace gateway
