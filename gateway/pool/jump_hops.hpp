#pragma once
// ProxyJump (ssh -J, ssh_config ProxyJump): the value's syntax and the settings of each hop.
//
// A value is "none" (direct) or a comma-separated list of [user@]host[:port] or
// ssh://[user@]host[:port], IPv6 addresses in brackets ("[::1]:2222"). The first hop is reached
// directly, each next one through the previous, and the destination through the last.
//
// Each hop's options are resolved like a destination of its own, as ssh does for the ssh process
// it would start per hop: the same configuration files (-F or the defaults) with Host blocks
// matched against the hop's name, the hop's user and port taking precedence; the destination's
// other command-line options (-o, -i, -p ...) do not apply to hops. A hop's own ProxyJump is
// ignored for hops after the first (the list already says how they are reached); the first hop's
// is followed, so a bastion's own ProxyJump in ssh_config leads the chain.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/options.hpp"
#include "gateway/pool/session_settings.hpp"

namespace gateway {

struct JumpHost {
  std::string user;                   // empty: the hop's configured or default user
  std::string host;                   // without brackets
  std::optional<std::uint16_t> port;  // nullopt: the hop's configured or default port
  std::string describe() const;       // back in [user@]host[:port] form
};

// Chains longer than this are refused (usually a ProxyJump loop in ssh_config).
inline constexpr std::size_t kMaxJumpHops = 16;

// nullopt with `error` when the value is malformed; an empty list for "" or "none".
std::optional<std::vector<JumpHost>> parse_proxy_jump(std::string_view value, std::string& error);

using JumpHops = std::vector<std::shared_ptr<const HopSettings>>;

// The hops for `destination` (empty when it has no ProxyJump), in connection order, ready for
// SessionTarget::jumps. nullopt with `error` naming the hop when a value or a hop's configuration
// is bad.
std::optional<JumpHops> jump_hops(const config::Options& destination, const config::Environment& env,
                                  const config::FileSystem& fs, std::string& error);
// The same with the real environment and files.
std::optional<JumpHops> jump_hops(const config::Options& destination, std::string& error);

}  // namespace gateway
