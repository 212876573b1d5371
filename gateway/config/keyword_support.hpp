#pragma once
// The ssh_config(5) keywords sshplex accepts without a handler of its own: aliases of keywords it
// implements, keywords ssh itself ignores or no longer supports, and keywords with no meaning for
// sshplex or not implemented yet, each with the reason a user is told. Nothing ssh accepts makes
// sshplex refuse a configuration file; docs/ssh_config.md is the same list for people.
#include <optional>
#include <string_view>
#include <vector>

namespace gateway::config {

struct AcceptedKeyword {
  enum class Kind {
    alias,            // another spelling of `alias_of`, handled as that keyword
    ignored,          // ssh ignores it too (an old protocol-1 or removed option): no message
    unsupported,      // ssh warns "Unsupported option" too: a warning whatever the value
    no_effect,        // accepted and kept for -G; nothing to do for sshplex (see reason)
    warn_if_enabled,  // accepted; a warning when set to anything but its "off" value (see reason)
  };
  std::string_view name;
  Kind kind;
  std::string_view reason;  // why: shown in the warning and in docs/ssh_config.md
  std::string_view alias_of = {};
  bool flag = false;            // the value must be yes or no
  std::string_view off = "no";  // for warn_if_enabled: the value that means "not used"
};

// The entry for `keyword` (any case), or nullopt.
std::optional<AcceptedKeyword> find_accepted_keyword(std::string_view keyword);

// Every entry, in table order (for the documentation check).
const std::vector<AcceptedKeyword>& accepted_keywords();

}  // namespace gateway::config
