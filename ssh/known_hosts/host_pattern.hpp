#pragma once
// Host pattern matching shared by known_hosts (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT") and ssh_config
// "Host" lines (ssh_config(5) "PATTERNS"): '*' matches any run of characters, '?' exactly one,
// a leading '!' negates. Host names compare case-insensitively, as DNS names do.
#include <string>
#include <string_view>
#include <vector>

namespace ssh::known_hosts {

// Glob match of `text` against `pattern` ('*' and '?'), ASCII case-insensitive. Runs in
// O(|pattern| * |text|) time at worst: no recursion, so hostile patterns cannot blow the stack.
bool match_wildcard(std::string_view pattern, std::string_view text);

enum class PatternListMatch { no_match, match, negated };

// Matches `name` against a list of patterns. A negated pattern ("!host") that matches wins over any
// positive match and yields `negated`; otherwise `match` when at least one positive pattern matches.
PatternListMatch match_pattern_list(const std::vector<std::string>& patterns, std::string_view name);

// Splits "a,b,!c" into its patterns, dropping empty items.
std::vector<std::string> split_patterns(std::string_view list, char separator = ',');

std::string to_lower_ascii(std::string_view s);

}  // namespace ssh::known_hosts
