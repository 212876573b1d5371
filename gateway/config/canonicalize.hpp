#pragma once
// Hostname canonicalisation (ssh_config(5) CanonicalizeHostname, CanonicalDomains,
// CanonicalizeFallbackLocal, CanonicalizeMaxDots, CanonicalizePermittedCNAMEs), as OpenSSH's ssh.c
// does it before it connects (resolve_canonicalize, check_follow_cname):
//
// - no (the default): nothing happens. yes: only for a direct connection (no ProxyCommand, no
//   ProxyJump). always: also for a proxied one.
// - An address is never canonicalised. A name ending in '.' is fully qualified: looked up as it is
//   and, when found, taken without the dot. A name with more than CanonicalizeMaxDots dots (default 1)
//   is left alone. Otherwise NAME.DOMAIN. is looked up for each CanonicalDomains entry in turn ("none"
//   ends the list); the first that resolves becomes the host name.
// - When the lookup reports a canonical name (a CNAME) different from the name, the host name becomes
//   that name only if a CanonicalizePermittedCNAMEs rule "sources:targets" matches the name with its
//   source patterns and the canonical name with its target patterns.
// - Nothing found: with CanonicalizeFallbackLocal yes (the default) the name stays as it is, else ssh
//   stops with "Could not resolve host \"NAME\"".
// - When the name was not canonicalised (left alone or fallen back) and CanonicalizePermittedCNAMEs
//   has rules, the bare name is looked up (the resolver's own search rules) and its CNAME followed as
//   above; for a direct connection a name that does not resolve is an error there, as in ssh.
//
// The lookups block (getaddrinfo(3)), as ssh's do: the configuration is resolved before anything
// connects, and again on SIGHUP.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gateway/config/options.hpp"

namespace gateway::config {

struct HostLookup {
  bool found = false;
  std::string canonical_name;  // found: what the resolver calls the host (AI_CANONNAME); may be empty
  // Not found: true when the name does not exist (EAI_NONAME, EAI_NODATA), false when the resolver
  // itself failed (ssh reports those even while trying CanonicalDomains).
  bool no_such_name = true;
  std::string error;  // not found: gai_strerror(3)'s text
};

// Looks a host name up. Tests inject their own (ResolveInput::lookup_host).
using LookupHost = std::function<HostLookup(const std::string& name, AddressFamily family)>;

// The real lookup: getaddrinfo(3) with AI_CANONNAME for SOCK_STREAM in `family`, blocking.
HostLookup system_lookup_host(const std::string& name, AddressFamily family);

enum class CanonicalizeMode { no, yes, always };

struct PermittedCname {
  std::string sources;  // comma-separated patterns, lower case
  std::string targets;
};

struct CanonicalSettings {
  CanonicalizeMode mode = CanonicalizeMode::no;
  std::vector<std::string> domains;  // lower case, no trailing dot
  bool fallback_local = true;
  int max_dots = 1;
  std::vector<PermittedCname> permitted_cnames;  // empty: none
};

// The values of the keywords as readconf.c checks them (for keyword handlers too); nullopt with
// `error` set (without the keyword's name) for a value ssh refuses.
// CanonicalizeHostname: yes, no, always (and true, false).
std::optional<CanonicalizeMode> parse_canonicalize_hostname(const std::string& value, std::string& error);
// CanonicalizeMaxDots: 0..INT_MAX.
std::optional<int> parse_canonicalize_max_dots(const std::string& value, std::string& error);
// CanonicalDomains: domain names (ssh's valid_domain; lower-cased, a trailing dot dropped), or "none"
// alone for none.
std::optional<std::vector<std::string>> parse_canonical_domains(const std::vector<std::string>& args,
                                                                std::string& error);
// CanonicalizePermittedCNAMEs: "sources:targets" (lower-cased), "*" for "*:*", or "none" alone.
std::optional<std::vector<PermittedCname>> parse_permitted_cnames(const std::vector<std::string>& args,
                                                                  std::string& error);

// The settings from the first values of the five keywords (Options::accepted_values, where sshplex
// keeps keywords without a handler of their own). nullopt with `error` set, prefixed with the keyword,
// for a value ssh refuses.
std::optional<CanonicalSettings> canonical_settings(const Options& options, std::string& error);

struct CanonicalResult {
  std::string host;                   // the host name from now on (unchanged when nothing applied)
  std::optional<std::string> error;   // set: ssh stops here (exit 255) with this message
  std::vector<std::string> warnings;  // lookups that failed for another reason than an unknown name
};

// Canonicalises `host` (the destination after HostName, lower case unless an address). `direct`: no
// ProxyCommand and no ProxyJump; `family`: AddressFamily, for the lookups.
CanonicalResult canonicalize_host(const std::string& host, const CanonicalSettings& settings, bool direct,
                                  AddressFamily family, const LookupHost& lookup);

}  // namespace gateway::config
