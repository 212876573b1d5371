#pragma once
// Resolving the options for one destination (ssh_config(5)): command-line overrides first, then
// either the -F file or ~/.ssh/config followed by /etc/ssh/ssh_config; the first value obtained for a
// parameter wins. Host blocks select by the destination as typed; Include expands glob(3) patterns
// relative to ~/.ssh (user files) or /etc/ssh.
//
// Match takes every criterion of OpenSSH 10's ssh_config(5), evaluated as readconf.c does: all,
// canonical, final, exec, localnetwork, host, originalhost, tagged, command, sessiontype, user,
// localuser and version, each negatable with '!', ANDed, and (except all, canonical, final and
// sessiontype) also written criterion=argument. An exec is not run once an earlier criterion of its
// line failed. Tag (or -o Tag=) sets the name Match tagged compares; the first value wins.
//
// The final pass (ssh.c): when the first pass met a "Match final" (not negated), the files are read
// once more. Before it, the host name becomes HostName with %h expanded (lower-cased unless an
// address) and is fixed from then on; in that pass Host lines and Match host compare against it, and
// Match canonical and Match final match (in the first pass neither does). Values from the first pass
// stay: the final pass only fills keywords still unset and adds to the accumulating ones (IdentityFile,
// CertificateFile, the forwards, SendEnv), without repeating an entry. The resolved HostName is that
// host name.
//
// Hostname canonicalisation (canonicalize.hpp), the other trigger of the final pass: after the first
// pass, with CanonicalizeHostname yes or always, the host name (HostName with %h expanded, lower-cased
// unless an address) is canonicalised through ResolveInput::lookup_host (blocking DNS lookups, as ssh
// makes them before it connects) and the final pass always runs, with that name, even when nothing was
// changed (so Match canonical applies under yes with a ProxyJump too, as in ssh). A name that cannot be
// canonicalised with CanonicalizeFallbackLocal no is an error ("Could not resolve host ..."; the error's
// file is empty, it has no place in a file).
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/canonicalize.hpp"
#include "gateway/config/options.hpp"

namespace gateway::config {

// The real Match exec (ssh's execute_in_shell): "$SHELL -c command" ($SHELL unset: /bin/sh) with stdin
// and stdout on /dev/null and stderr inherited; waits for it. The exit status, or -1 when the shell is
// not executable, could not be started or the command did not exit normally.
int run_match_command(const std::string& command);

// The real Match localnetwork source: getifaddrs(3), the IPv4 and IPv6 addresses of interfaces that
// are up, in getnameinfo(3)'s numeric form.
std::vector<std::string> local_interface_addresses();

// What Match version compares against: sshplex's own release as its SSH banner names it
// ("sshplex_0.1"), as ssh compares its own ("OpenSSH_10.0p2").
std::string match_version();

struct ResolveInput {
  std::string host;  // destination as typed, without user@ and port
  std::vector<Override> overrides;
  std::optional<std::string> config_file;  // -F: replaces both default files; "none" reads nothing
  // The remote command as given on the command line (its words joined by spaces; for -s the
  // subsystem), for Match command and Match sessiontype.
  std::string command{};
  // Match exec: runs a command and returns its exit status, or -1 when it could not be run or did not
  // exit normally. Tests inject their own; an empty function refuses Match exec.
  std::function<int(const std::string& command)> run_command{run_match_command};
  // Match localnetwork: the numeric addresses of the local interfaces that are up ("fe80::1%eth0" for
  // a scoped one). Tests inject their own; an empty function means no addresses.
  std::function<std::vector<std::string>()> local_addresses{local_interface_addresses};
  // Hostname canonicalisation's lookups (getaddrinfo with AI_CANONNAME). Tests inject their own; an
  // empty function finds nothing.
  LookupHost lookup_host{system_lookup_host};
};

struct ResolveResult {
  std::optional<Options> options;  // set only when there are no errors
  std::vector<ConfigError> errors;
  std::vector<std::string> warnings;
};

ResolveResult resolve(const ResolveInput& input, const Environment& env, const FileSystem& fs);

// Values the %-tokens of ssh_config(5) "TOKENS" stand for.
struct TokenValues {
  std::string home;              // %d
  std::string local_user;        // %u
  std::string hostname;          // %h
  std::string original_host;     // %n
  std::string remote_user;       // %r
  std::string port;              // %p
  std::string local_hostname;    // %l, and %L up to its first dot
  std::string uid;               // %i
  std::string connection_hash;   // %C
  std::string host_key_alias{};  // %k: HostKeyAlias, else the host name
  std::string proxy_jump{};      // %j: ProxyJump as given (empty: none)
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
