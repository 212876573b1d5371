#pragma once
// Splitting one ssh_config(5) line into keyword and arguments: "Keyword value..." or
// "Keyword=value...", arguments separated by whitespace, double-quoted arguments may hold spaces,
// a backslash escapes a quote, a backslash or a space, and an unquoted '#' starting an argument ends
// the line (a trailing comment).
#include <string>
#include <string_view>
#include <vector>

namespace gateway::config {

struct ConfigLine {
  std::string keyword;  // as written; empty for blank and comment lines
  std::vector<std::string> args;
  // The text after the keyword and its separator, as written (trailing space trimmed): commands
  // (ProxyCommand, RemoteCommand, KnownHostsCommand, LocalCommand) take it whole, quotes and all, as
  // ssh does.
  std::string rest{};
};

// False with `error` set for malformed lines (unterminated quote, missing keyword).
bool split_config_line(std::string_view text, ConfigLine& out, std::string& error);

// Splits an argument string (the value of -o Keyword=value, or text after the keyword) the same way.
bool split_arguments(std::string_view text, std::vector<std::string>& out, std::string& error);

}  // namespace gateway::config
