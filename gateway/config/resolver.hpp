#pragma once
// Resolving the options for one destination (ssh_config(5)): command-line overrides first, then
// either the -F file or ~/.ssh/config followed by /etc/ssh/ssh_config; the first value obtained for a
// parameter wins. Host blocks select by the destination as typed; Match supports "all", "host" and
// "originalhost"; Include expands glob(3) patterns relative to ~/.ssh (user files) or /etc/ssh.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/options.hpp"

namespace gateway::config {

struct ResolveInput {
  std::string host;  // destination as typed, without user@ and port
  std::vector<Override> overrides;
  std::optional<std::string> config_file;  // -F: replaces both default files; "none" reads nothing
};

struct ResolveResult {
  std::optional<Options> options;  // set only when there are no errors
  std::vector<ConfigError> errors;
  std::vector<std::string> warnings;
};

ResolveResult resolve(const ResolveInput& input, const Environment& env, const FileSystem& fs);

// Values the %-tokens of ssh_config(5) "TOKENS" stand for.
struct TokenValues {
  std::string home;           // %d
  std::string local_user;     // %u
  std::string hostname;       // %h
  std::string original_host;  // %n
  std::string remote_user;    // %r
  std::string port;           // %p
  std::string local_hostname;  // %l, and %L up to its first dot
  std::string uid;             // %i
  std::string connection_hash;  // %C
};

// ssh's %C: the hex SHA-1 of local hostname, remote host (after HostName), port and remote user
// (OpenSSH 9.2, Debian 12's; 9.6 appends ProxyJump), so a ControlPath with %C names the same socket
// for sshplex and for the stock ssh that will ride it.
std::string connection_hash(const std::string& local_hostname, const std::string& hostname, const std::string& port,
                            const std::string& remote_user);

// Expands a leading "~" / "~/" to the home directory and the tokens named in `allowed` (e.g. "dhnrpu";
// %% is always allowed). nullopt with `error` set for an unknown token, a trailing '%' or "~user".
std::optional<std::string> expand_value(std::string_view raw, const TokenValues& values, std::string_view allowed,
                                        bool tilde, std::string& error);

// Include nesting limit: deeper means a loop or a mistake.
inline constexpr int kMaxIncludeDepth = 16;

}  // namespace gateway::config
