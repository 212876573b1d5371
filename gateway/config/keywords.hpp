#pragma once
// Per-keyword validation and "first value wins" application of ssh_config(5) directives. Host, Match
// and Include are structural and handled by the resolver, not here.
#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/config_lexer.hpp"
#include "gateway/config/options.hpp"

namespace gateway::config {

// A path-like value kept raw until HostName, User and Port are final, then expanded.
struct PendingValue {
  std::string raw;
  std::string file;
  std::size_t line = 0;
};

struct OptionsBuilder {
  Options options;
  std::set<std::string> seen;  // canonical keywords that already have their (first) value
  std::vector<std::string> ignore_unknown;
  std::vector<ConfigError> errors;
  std::vector<std::string> warnings;
  std::vector<PendingValue> hostname;
  std::vector<PendingValue> identity_files;
  std::vector<PendingValue> certificate_files;
  std::vector<PendingValue> user_known_hosts_files;
  std::vector<PendingValue> global_known_hosts_files;
  std::vector<PendingValue> identity_agent;
  std::vector<PendingValue> socks_credentials_file;
  std::vector<PendingValue> remote_command;
  std::vector<PendingValue> proxy_command;
  std::vector<PendingValue> revoked_host_keys;
  std::vector<PendingValue> local_command;
  std::vector<PendingValue> control_path;
  std::vector<PendingValue> forward_agent;
  std::vector<PendingValue> xauth_location;
};

struct Origin {
  std::string file;
  std::size_t line = 0;
};

// Validates the directive (always, as ssh does even in blocks that do not apply) and, when `active`,
// records its value unless an earlier one won. Errors and warnings are appended to the builder.
void apply_directive(OptionsBuilder& builder, const ConfigLine& line, const Origin& origin, bool active);

// The canonical spelling of a keyword we know ("port" -> "Port"), or empty.
std::string canonical_keyword(std::string_view keyword);

// The keywords with a handler of their own (the rest sshplex accepts are in keyword_support.hpp).
std::vector<std::string_view> implemented_keywords();
// sshplex's own directives (no ssh_config keyword), in the order of their table.
std::vector<std::string_view> sshplex_directives();

}  // namespace gateway::config
