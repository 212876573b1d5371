#pragma once
// What the keyword handlers of keywords.cpp (ssh_config's keywords) and keywords_sshplex.cpp
// (sshplex's own directives) share: the line being applied, the handler table entry and the
// argument checks every handler uses. Internal to gateway/config.
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/keywords.hpp"

namespace gateway::config::keyword {

struct Ctx {
  OptionsBuilder& b;
  const std::vector<std::string>& args;
  const Origin& origin;
  bool active;
  std::string_view name;
  const std::string& rest;  // the value as written

  // True once per keyword, for the first active occurrence: ssh_config(5) "the first obtained value
  // for each parameter is used".
  bool first() { return active && b.seen.insert(std::string(name)).second; }
  Options& o() { return b.options; }
  PendingValue pending(const std::string& raw) const { return {raw, origin.file, origin.line}; }
};

using Handler = std::string (*)(Ctx&);

struct Keyword {
  std::string_view name;
  Handler handler;
};

std::string quoted(std::string_view s);
// A command keyword's value: the rest of the line as written (quotes kept for the shell or for ssh's
// own word splitting), or the arguments joined when there is no such text (a programmatic line).
std::string command_text(const Ctx& c);
std::string arg_count_error(Ctx& c, std::size_t expected);
std::string bool_kw(Ctx& c, bool Options::*field);
std::string uint_kw(Ctx& c, std::uint32_t Options::*field, std::uint32_t min, std::uint32_t max);
std::string string_kw(Ctx& c, std::string Options::*field);
// An algorithm list spec: one comma-separated argument, optionally led by + - or ^.
std::string algorithm_kw(Ctx& c, std::string Options::*field);
std::string forward_kw(Ctx& c, ForwardKind kind, std::vector<ForwardSpec> Options::*field);
std::string path_list_kw(Ctx& c, std::vector<PendingValue> OptionsBuilder::*field);
// A time in ssh_config(5) "TIME FORMATS"; `positive` rejects 0 where 0 would mean nonsense.
std::string time_kw(Ctx& c, std::chrono::seconds Options::*field, bool positive);

// sshplex's own directives (keywords_sshplex.cpp), looked up after ssh_config's keywords.
std::span<const Keyword> sshplex_keywords();

}  // namespace gateway::config::keyword
