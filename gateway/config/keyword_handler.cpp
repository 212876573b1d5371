#include "gateway/config/keyword_handler.hpp"

#include "gateway/config/values.hpp"
#include "ssh/known_hosts/host_pattern.hpp"

namespace gateway::config::keyword {

using ssh::known_hosts::to_lower_ascii;

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

// A command keyword's value: the rest of the line as written (quotes kept for the shell or for ssh's
// own word splitting), or the arguments joined when there is no such text (a programmatic line).
std::string command_text(const Ctx& c) {
  if (!c.rest.empty()) return c.rest;
  std::string command;
  for (const auto& a : c.args) command += (command.empty() ? "" : " ") + a;
  return command;
}

std::string arg_count_error(Ctx& c, std::size_t expected) {
  if (c.args.size() == expected) return {};
  if (c.args.empty()) return "missing argument";
  return "expected " + std::to_string(expected) + " argument" + (expected == 1 ? "" : "s") + ", got " +
         std::to_string(c.args.size());
}

std::string bool_kw(Ctx& c, bool Options::*field) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  auto v = parse_bool(c.args[0]);
  if (!v) return "expected yes or no, got " + quoted(c.args[0]);
  if (c.first()) c.o().*field = *v;
  return {};
}

std::string uint_kw(Ctx& c, std::uint32_t Options::*field, std::uint32_t min, std::uint32_t max) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  auto v = parse_uint(c.args[0], min, max);
  if (!v) return "expected a number " + std::to_string(min) + ".." + std::to_string(max) + ", got " + quoted(c.args[0]);
  if (c.first()) c.o().*field = static_cast<std::uint32_t>(*v);
  return {};
}

std::string string_kw(Ctx& c, std::string Options::*field) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  if (c.first()) c.o().*field = c.args[0];
  return {};
}

// An algorithm list spec: one comma-separated argument, optionally led by + - or ^.
std::string algorithm_kw(Ctx& c, std::string Options::*field) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  std::string_view v = c.args[0];
  if (!v.empty() && (v.front() == '+' || v.front() == '-' || v.front() == '^')) v.remove_prefix(1);
  bool ok = !v.empty() && v.front() != ',' && v.back() != ',' && v.find(",,") == std::string_view::npos;
  for (char ch : v) ok = ok && ch > ' ' && ch < 127;
  if (!ok) return "expected a comma-separated algorithm list, got " + quoted(c.args[0]);
  if (c.first()) c.o().*field = c.args[0];
  return {};
}

std::string forward_kw(Ctx& c, ForwardKind kind, std::vector<ForwardSpec> Options::*field) {
  std::string spec;
  if (kind == ForwardKind::dynamic) {
    if (auto e = arg_count_error(c, 1); !e.empty()) return e;
    spec = c.args[0];
  } else if (c.args.size() == 2) {
    // Config form: "[bind:]port host:hostport" (two arguments).
    spec = c.args[0] + ":" + c.args[1];
  } else if (c.args.size() == 1) {
    // Command-line form, and RemoteForward's single "[bind:]port" (dynamic reverse forward).
    spec = c.args[0];
  } else {
    return c.args.empty() ? "missing argument" : "expected [bind_address:]port host:hostport";
  }
  auto parsed = parse_forward(kind, spec);
  if (!parsed.spec) return parsed.error + " in " + quoted(spec);
  if (c.active) (c.o().*field).push_back(*parsed.spec);
  return {};
}

std::string path_list_kw(Ctx& c, std::vector<PendingValue> OptionsBuilder::*field) {
  if (c.args.empty()) return "missing argument";
  if (c.first()) {
    for (const auto& a : c.args) {
      if (to_lower_ascii(a) != "none") (c.b.*field).push_back(c.pending(a));
    }
  }
  return {};
}

// A time in ssh_config(5) "TIME FORMATS"; `positive` rejects 0 where 0 would mean nonsense.
std::string time_kw(Ctx& c, std::chrono::seconds Options::*field, bool positive) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  auto v = parse_time(c.args[0]);
  if (!v || (positive && v->count() == 0)) {
    return std::string("expected a time interval") + (positive ? " greater than 0" : "") + " (e.g. 30, 5m), got " +
           quoted(c.args[0]);
  }
  if (c.first()) c.o().*field = *v;
  return {};
}

}  // namespace gateway::config::keyword
