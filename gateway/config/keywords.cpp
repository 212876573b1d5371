#include "gateway/config/keywords.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>

#include "gateway/config/canonicalize.hpp"
#include "gateway/config/keyword_handler.hpp"
#include "gateway/config/keyword_support.hpp"
#include "gateway/config/values.hpp"
#include "ssh/known_hosts/host_pattern.hpp"

namespace gateway::config {
namespace {

using ssh::known_hosts::to_lower_ascii;
// Ctx, Keyword and the argument checks shared with keywords_sshplex.cpp.
using namespace keyword;

std::string kw_hostname(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  if (c.first()) c.b.hostname.push_back(c.pending(c.args[0]));
  return {};
}

std::string kw_port(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  auto v = parse_uint(c.args[0], 1, 65535);
  if (!v) return "expected a port number 1..65535, got " + quoted(c.args[0]);
  if (c.first()) c.o().port = static_cast<std::uint16_t>(*v);
  return {};
}

std::string kw_user(Ctx& c) {
  return string_kw(c, &Options::user);
}

std::string kw_identity_file(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  if (c.active) c.b.identity_files.push_back(c.pending(c.args[0]));
  return {};
}

// Stored for when host/user certificates are supported; accumulates like IdentityFile.
std::string kw_certificate_file(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  if (c.active) c.b.certificate_files.push_back(c.pending(c.args[0]));
  return {};
}

std::string kw_identities_only(Ctx& c) {
  return bool_kw(c, &Options::identities_only);
}

std::string kw_identity_agent(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  if (c.first()) c.b.identity_agent.push_back(c.pending(c.args[0]));
  return {};
}

std::string kw_local_forward(Ctx& c) {
  return forward_kw(c, ForwardKind::local, &Options::local_forwards);
}
std::string kw_remote_forward(Ctx& c) {
  return forward_kw(c, ForwardKind::remote, &Options::remote_forwards);
}
std::string kw_dynamic_forward(Ctx& c) {
  return forward_kw(c, ForwardKind::dynamic, &Options::dynamic_forwards);
}

// 0 turns dead-peer detection off (on by default in sshplex, see Options).
std::string kw_server_alive_interval(Ctx& c) {
  return time_kw(c, &Options::server_alive_interval, false);
}

std::string kw_server_alive_count_max(Ctx& c) {
  return uint_kw(c, &Options::server_alive_count_max, 0, 1000000);
}

std::string kw_strict_host_key_checking(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  const std::string v = to_lower_ascii(c.args[0]);
  StrictHostKeyChecking mode;
  if (v == "yes" || v == "true") {
    mode = StrictHostKeyChecking::yes;
  } else if (v == "no" || v == "off" || v == "false") {
    mode = StrictHostKeyChecking::no;
  } else if (v == "ask") {
    mode = StrictHostKeyChecking::ask;
  } else if (v == "accept-new") {
    mode = StrictHostKeyChecking::accept_new;
  } else {
    return "expected yes, no, ask, accept-new or off, got " + quoted(c.args[0]);
  }
  if (c.first()) c.o().strict_host_key_checking = mode;
  return {};
}

std::string kw_user_known_hosts_file(Ctx& c) {
  return path_list_kw(c, &OptionsBuilder::user_known_hosts_files);
}
std::string kw_global_known_hosts_file(Ctx& c) {
  return path_list_kw(c, &OptionsBuilder::global_known_hosts_files);
}
std::string kw_hash_known_hosts(Ctx& c) {
  return bool_kw(c, &Options::hash_known_hosts);
}
std::string kw_ciphers(Ctx& c) {
  return algorithm_kw(c, &Options::ciphers);
}
std::string kw_kex(Ctx& c) {
  return algorithm_kw(c, &Options::kex_algorithms);
}
std::string kw_host_key_algorithms(Ctx& c) {
  return algorithm_kw(c, &Options::host_key_algorithms);
}
std::string kw_macs(Ctx& c) {
  return algorithm_kw(c, &Options::macs);
}
std::string kw_pubkey_accepted_algorithms(Ctx& c) {
  return algorithm_kw(c, &Options::pubkey_accepted_algorithms);
}

std::string kw_connect_timeout(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  std::optional<std::chrono::seconds> value;
  if (to_lower_ascii(c.args[0]) != "none") {
    value = parse_time(c.args[0]);
    if (!value) return "expected a time interval or none, got " + quoted(c.args[0]);
    if (value->count() == 0) value.reset();
  }
  if (c.first()) c.o().connect_timeout = value;
  return {};
}

std::string kw_exit_on_forward_failure(Ctx& c) {
  return bool_kw(c, &Options::exit_on_forward_failure);
}
std::string kw_batch_mode(Ctx& c) {
  return bool_kw(c, &Options::batch_mode);
}
std::string kw_password_authentication(Ctx& c) {
  return bool_kw(c, &Options::password_authentication);
}
std::string kw_kbd_interactive(Ctx& c) {
  return bool_kw(c, &Options::kbd_interactive_authentication);
}
std::string kw_pubkey_authentication(Ctx& c) {
  return bool_kw(c, &Options::pubkey_authentication);
}

std::string kw_preferred_authentications(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  auto methods = ssh::known_hosts::split_patterns(c.args[0], ',');
  if (methods.empty()) return "expected a comma-separated list of methods";
  if (c.first()) c.o().preferred_authentications = std::move(methods);
  return {};
}

std::string kw_number_of_password_prompts(Ctx& c) {
  return uint_kw(c, &Options::number_of_password_prompts, 0, 1000);
}

std::string kw_rekey_limit(Ctx& c) {
  if (c.args.empty() || c.args.size() > 2) return "expected a size and an optional time, e.g. \"1G 1h\"";
  std::uint64_t bytes = 0;
  if (to_lower_ascii(c.args[0]) != "default") {
    auto v = parse_size(c.args[0]);
    // RFC 4344 §3.2 rekeys by blocks; fewer than 16 bytes would rekey after every packet.
    if (!v || (*v != 0 && *v < 16))
      return "expected a size of at least 16 bytes (e.g. 1G, 512M) or default, got " + quoted(c.args[0]);
    bytes = *v;
  }
  std::chrono::seconds time{0};
  if (c.args.size() == 2) {
    const std::string t = to_lower_ascii(c.args[1]);
    if (t != "none" && t != "default") {
      auto v = parse_time(c.args[1]);
      if (!v) return "expected a time interval, none or default, got " + quoted(c.args[1]);
      time = *v;
    }
  }
  if (c.first()) {
    c.o().rekey_limit_bytes = bytes;
    c.o().rekey_limit_time = time;
  }
  return {};
}

std::string kw_log_level(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  static const std::pair<std::string_view, LogLevel> kLevels[] = {
      {"quiet", LogLevel::quiet},   {"fatal", LogLevel::fatal},     {"error", LogLevel::error},
      {"info", LogLevel::info},     {"verbose", LogLevel::verbose}, {"debug", LogLevel::debug1},
      {"debug1", LogLevel::debug1}, {"debug2", LogLevel::debug2},   {"debug3", LogLevel::debug3}};
  const std::string v = to_lower_ascii(c.args[0]);
  for (const auto& [text, level] : kLevels) {
    if (v == text) {
      if (c.first()) c.o().log_level = level;
      return {};
    }
  }
  return "expected QUIET, FATAL, ERROR, INFO, VERBOSE, DEBUG, DEBUG1, DEBUG2 or DEBUG3, got " + quoted(c.args[0]);
}

// ProxyJump and ProxyCommand compete: whichever is obtained first wins, as in ssh.
std::string kw_proxy_jump(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  if (c.active && c.b.seen.contains("ProxyCommand")) return {};
  if (c.first()) c.o().proxy_jump = to_lower_ascii(c.args[0]) == "none" ? std::string() : c.args[0];
  return {};
}

// The rest of the line is the command (run with $SHELL -c, tokens expanded later); "none": none.
std::string kw_proxy_command(Ctx& c) {
  if (c.args.empty()) return "missing argument";
  const std::string command = command_text(c);
  if (c.active && c.b.seen.contains("ProxyJump")) return {};
  if (c.first() && to_lower_ascii(command) != "none") c.b.proxy_command.push_back(c.pending(command));
  return {};
}

// OpenSSH 10: text after the software version in the banner; "none" clears it.
std::string kw_version_addendum(Ctx& c) {
  if (c.args.empty()) return "missing argument";
  const std::string text = command_text(c);
  if (text.find_first_of("\r\n") != std::string::npos) return "must be one line";
  if (c.first()) c.o().version_addendum = to_lower_ascii(text) == "none" ? std::string() : text;
  return {};
}

std::string kw_check_host_ip(Ctx& c) {
  return bool_kw(c, &Options::check_host_ip);
}

std::string kw_visual_host_key(Ctx& c) {
  return bool_kw(c, &Options::visual_host_key);
}

std::string kw_host_key_alias(Ctx& c) {
  return string_kw(c, &Options::host_key_alias);
}

std::string kw_no_host_authentication_for_localhost(Ctx& c) {
  return bool_kw(c, &Options::no_host_authentication_for_localhost);
}

// The rest of the line; "none": none. Its %-tokens: those of ssh_config(5) for KnownHostsCommand.
std::string kw_known_hosts_command(Ctx& c) {
  if (c.args.empty()) return "missing argument";
  const std::string command = command_text(c);
  for (std::size_t i = 0; i + 1 < command.size(); ++i) {
    if (command[i] != '%') continue;
    const char t = command[++i];
    if (std::string_view("%CdHIiKfkLlnprtu").find(t) == std::string_view::npos) {
      return std::string("unknown token %") + t;
    }
  }
  if (c.first()) c.o().known_hosts_command = to_lower_ascii(command) == "none" ? std::string() : command;
  return {};
}

std::string kw_revoked_host_keys(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  if (c.first() && to_lower_ascii(c.args[0]) != "none") c.b.revoked_host_keys.push_back(c.pending(c.args[0]));
  return {};
}

std::string kw_permit_remote_open(Ctx& c) {
  if (c.args.empty()) return "missing argument";
  std::vector<std::string> list;
  for (const auto& a : c.args) {
    const std::string lower = to_lower_ascii(a);
    if (lower == "any" || lower == "none") {
      if (c.args.size() != 1) return quoted(a) + " cannot be combined with other entries";
      list.push_back(lower);
      continue;
    }
    const auto colon = a.rfind(':');
    const std::string port = colon == std::string::npos ? std::string() : a.substr(colon + 1);
    if (colon == std::string::npos || colon == 0 || (port != "*" && !parse_uint(port, 1, 65535))) {
      return "expected host:port (host or port may be *), any or none, got " + quoted(a);
    }
    list.push_back(a);
  }
  if (c.first()) c.o().permit_remote_open = list == std::vector<std::string>{"any"} ? std::vector<std::string>{} : list;
  return {};
}

// An octal mask, as ssh reads it ("0177", "177").
std::string kw_stream_local_bind_mask(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  const std::string& v = c.args[0];
  if (v.empty() || v.size() > 4 || v.find_first_not_of("01234567") != std::string::npos) {
    return "expected an octal mask such as 0177, got " + quoted(v);
  }
  if (c.first()) c.o().stream_local_bind_mask = static_cast<std::uint32_t>(std::stoul(v, nullptr, 8)) & 0777u;
  return {};
}

std::string kw_stream_local_bind_unlink(Ctx& c) {
  return bool_kw(c, &Options::stream_local_bind_unlink);
}

// OpenSSH 10: a block that applies refuses the connection with the given message.
std::string kw_refuse_connection(Ctx& c) {
  if (c.args.empty()) return "missing argument";
  if (c.active) return command_text(c);
  return {};
}

// The canonicalization keywords: checked as ssh checks them on every line, the first value kept
// where canonicalize.cpp reads it (Options::accepted_values).
std::string keep_canonical(Ctx& c, std::string error, bool valid) {
  if (!valid) return error;
  if (c.first()) c.o().accepted_values[to_lower_ascii(c.name)] = c.args;
  return {};
}

std::string kw_canonicalize_hostname(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  std::string error;
  const bool valid = parse_canonicalize_hostname(c.args[0], error).has_value();
  return keep_canonical(c, error, valid);
}

std::string kw_canonicalize_max_dots(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  std::string error;
  const bool valid = parse_canonicalize_max_dots(c.args[0], error).has_value();
  return keep_canonical(c, error, valid);
}

std::string kw_canonical_domains(Ctx& c) {
  std::string error;
  const bool valid = parse_canonical_domains(c.args, error).has_value();
  return keep_canonical(c, error, valid);
}

std::string kw_canonicalize_permitted_cnames(Ctx& c) {
  std::string error;
  const bool valid = parse_permitted_cnames(c.args, error).has_value();
  return keep_canonical(c, error, valid);
}

std::string kw_canonicalize_fallback_local(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  const bool valid = parse_bool(c.args[0]).has_value();
  return keep_canonical(c, "expected yes or no, got " + quoted(c.args[0]), valid);
}

// yes | no | ask | confirm [TIME] | TIME (a lifetime: yes with it), as readconf.c reads it.
std::string kw_add_keys_to_agent(Ctx& c) {
  if (c.args.empty() || c.args.size() > 2) return c.args.empty() ? "missing argument" : "expected 1 or 2 values";
  const std::string v = to_lower_ascii(c.args[0]);
  AddKeysToAgent mode;
  std::chrono::seconds lifetime{0};
  if (v == "yes" || v == "true") {
    mode = AddKeysToAgent::yes;
  } else if (v == "no" || v == "false") {
    mode = AddKeysToAgent::no;
  } else if (v == "ask") {
    mode = AddKeysToAgent::ask;
  } else if (v == "confirm") {
    mode = AddKeysToAgent::confirm;
  } else if (auto t = parse_time(c.args[0]); t && c.args.size() == 1) {
    mode = AddKeysToAgent::yes;
    lifetime = *t;
  } else {
    return "expected yes, no, ask, confirm [time] or a time, got " + quoted(c.args[0]);
  }
  if (c.args.size() == 2) {
    const auto t = mode == AddKeysToAgent::confirm ? parse_time(c.args[1]) : std::nullopt;
    if (!t) return "expected confirm followed by a time, got " + quoted(c.args[0] + " " + c.args[1]);
    lifetime = *t;
  }
  if (c.first()) {
    c.o().add_keys_to_agent = mode;
    c.o().add_keys_to_agent_lifetime = lifetime;
  }
  return {};
}

std::string kw_local_command(Ctx& c) {
  if (c.args.empty()) return "missing argument";
  if (c.first()) c.b.local_command.push_back(c.pending(command_text(c)));
  return {};
}

std::string kw_permit_local_command(Ctx& c) {
  return bool_kw(c, &Options::permit_local_command);
}

std::string kw_proxy_use_fdpass(Ctx& c) {
  return bool_kw(c, &Options::proxy_use_fdpass);
}

std::string kw_compression(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  auto v = parse_bool(c.args[0]);
  if (!v) return "expected yes or no, got " + quoted(c.args[0]);
  if (c.first()) c.o().compression = *v;
  return {};
}

std::string kw_gateway_ports(Ctx& c) {
  return bool_kw(c, &Options::gateway_ports);
}

std::string kw_address_family(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  const std::string v = to_lower_ascii(c.args[0]);
  AddressFamily family;
  if (v == "any") {
    family = AddressFamily::any;
  } else if (v == "inet") {
    family = AddressFamily::inet;
  } else if (v == "inet6") {
    family = AddressFamily::inet6;
  } else {
    return "expected any, inet or inet6, got " + quoted(c.args[0]);
  }
  if (c.first()) c.o().address_family = family;
  return {};
}

std::string kw_bind_address(Ctx& c) {
  return string_kw(c, &Options::bind_address);
}

std::string kw_bind_interface(Ctx& c) {
  return string_kw(c, &Options::bind_interface);
}

// ssh's IPQoS names (DSCP code points as TOS bytes, and the old TOS names); -1 is "none".
std::optional<int> parse_ipqos(const std::string& raw) {
  static const std::pair<std::string_view, int> kNames[] = {
      {"none", -1},   {"af11", 0x28}, {"af12", 0x30}, {"af13", 0x38}, {"af21", 0x48},       {"af22", 0x50},
      {"af23", 0x58}, {"af31", 0x68}, {"af32", 0x70}, {"af33", 0x78}, {"af41", 0x88},       {"af42", 0x90},
      {"af43", 0x98}, {"cs0", 0x00},  {"cs1", 0x20},  {"cs2", 0x40},  {"cs3", 0x60},        {"cs4", 0x80},
      {"cs5", 0xa0},  {"cs6", 0xc0},  {"cs7", 0xe0},  {"ef", 0xb8},   {"le", 0x04},         {"va", 0xb0},
      {"lowdelay", 0x10}, {"throughput", 0x08}, {"reliability", 0x04},
  };
  const std::string v = to_lower_ascii(raw);
  for (const auto& [name, value] : kNames) {
    if (name == v) return value;
  }
  if (auto n = parse_uint(raw, 0, 255)) return static_cast<int>(*n);
  return std::nullopt;
}

std::string kw_ipqos(Ctx& c) {
  if (c.args.empty() || c.args.size() > 2) return c.args.empty() ? "missing argument" : "expected 1 or 2 values";
  const auto interactive = parse_ipqos(c.args[0]);
  const auto bulk = c.args.size() == 2 ? parse_ipqos(c.args[1]) : interactive;
  if (!interactive || !bulk) {
    return "expected af11..af43, cs0..cs7, ef, le, va, lowdelay, throughput, reliability, none or a number, got " +
           quoted(!interactive ? c.args[0] : c.args[1]);
  }
  if (c.first()) {
    c.o().ip_qos_interactive = *interactive;
    c.o().ip_qos_bulk = *bulk;
  }
  return {};
}
std::string kw_connection_attempts(Ctx& c) {
  return uint_kw(c, &Options::connection_attempts, 1, 1000);
}

std::string kw_control_master(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  const std::string v = to_lower_ascii(c.args[0]);
  std::string norm = v == "true" ? "yes" : v == "false" ? "no" : v;
  if (norm != "yes" && norm != "no" && norm != "ask" && norm != "auto" && norm != "autoask") {
    return "expected yes, no, ask, auto or autoask, got " + quoted(c.args[0]);
  }
  if (c.first()) c.o().control_master = norm;
  return {};
}

std::string kw_control_path(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  if (c.first() && to_lower_ascii(c.args[0]) != "none") c.b.control_path.push_back(c.pending(c.args[0]));
  return {};
}

std::string kw_control_persist(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  const std::string v = to_lower_ascii(c.args[0]);
  if (!parse_bool(v) && !parse_time(v)) return "expected yes, no or a time interval, got " + quoted(c.args[0]);
  if (c.first()) c.o().control_persist = v;
  return {};
}

std::string kw_set_env(Ctx& c) {
  if (c.args.empty()) return "missing argument";
  for (const auto& a : c.args) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) return "expected NAME=VALUE, got " + quoted(a);
  }
  if (c.first()) c.o().set_env = c.args;
  return {};
}

std::string kw_send_env(Ctx& c) {
  if (c.args.empty()) return "missing argument";
  if (c.active) {
    for (const auto& a : c.args) {
      // "-pattern" removes earlier names (ssh_config(5) SendEnv).
      if (!a.empty() && a.front() == '-') {
        const std::string pat = a.substr(1);
        std::erase_if(c.o().send_env, [&](const std::string& n) { return ssh::known_hosts::match_wildcard(pat, n); });
      } else {
        c.o().send_env.push_back(a);
      }
    }
  }
  return {};
}

std::string kw_request_tty(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  const std::string v = to_lower_ascii(c.args[0]);
  RequestTty mode;
  if (v == "yes" || v == "true") {
    mode = RequestTty::yes;
  } else if (v == "no" || v == "false") {
    mode = RequestTty::no;
  } else if (v == "force") {
    mode = RequestTty::force;
  } else if (v == "auto") {
    mode = RequestTty::automatic;
  } else {
    return "expected yes, no, force or auto, got " + quoted(c.args[0]);
  }
  if (c.first()) c.o().request_tty = mode;
  return {};
}

std::string kw_tunnel(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  const std::string v = to_lower_ascii(c.args[0]);
  TunnelMode mode;
  if (v == "yes" || v == "true" || v == "point-to-point") {
    mode = TunnelMode::point_to_point;
  } else if (v == "ethernet") {
    mode = TunnelMode::ethernet;
  } else if (v == "no" || v == "false") {
    mode = TunnelMode::no;
  } else {
    return "expected yes, point-to-point, ethernet or no, got " + quoted(c.args[0]);
  }
  if (c.first()) c.o().tunnel = mode;
  return {};
}

// ssh's a2tun(): "any" or a unit number below 0x7fffffff.
std::optional<std::uint32_t> tunnel_unit(std::string_view s) {
  if (to_lower_ascii(std::string(s)) == "any") return kTunnelAny;
  auto v = parse_uint(s, 0, kTunnelAny - 1);
  if (!v) return std::nullopt;
  return static_cast<std::uint32_t>(*v);
}

std::string kw_tunnel_device(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  const std::string& v = c.args[0];
  const auto colon = v.find(':');
  const auto local = tunnel_unit(std::string_view(v).substr(0, colon));
  const auto remote = colon == std::string::npos ? std::optional<std::uint32_t>(kTunnelAny)
                                                 : tunnel_unit(std::string_view(v).substr(colon + 1));
  if (!local || !remote)
    return "bad tun device " + quoted(v) + " (expected local_tun[:remote_tun], each a number or any)";
  if (c.first()) {
    c.o().tunnel_local = *local;
    c.o().tunnel_remote = *remote;
  }
  return {};
}

std::string kw_session_type(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  const std::string v = to_lower_ascii(c.args[0]);
  SessionType type;
  if (v == "default") {
    type = SessionType::command;
  } else if (v == "none") {
    type = SessionType::none;
  } else if (v == "subsystem") {
    type = SessionType::subsystem;
  } else {
    return "expected default, none or subsystem, got " + quoted(c.args[0]);
  }
  if (c.first()) c.o().session_type = type;
  return {};
}

// The rest of the line is the command, as ssh_config(5) takes it; "none" means no command.
std::string kw_remote_command(Ctx& c) {
  if (c.args.empty()) return "missing argument";
  const std::string command = command_text(c);
  if (c.first() && to_lower_ascii(command) != "none") c.b.remote_command.push_back(c.pending(command));
  return {};
}

std::string kw_stdin_null(Ctx& c) {
  return bool_kw(c, &Options::stdin_null);
}
std::string kw_fork_after_authentication(Ctx& c) {
  return bool_kw(c, &Options::fork_after_authentication);
}
std::string kw_enable_escape_commandline(Ctx& c) {
  return bool_kw(c, &Options::enable_escape_commandline);
}

// A single character, "^X" for a control character, or none (ssh_config(5) EscapeChar).
std::string kw_escape_char(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  const std::string& v = c.args[0];
  int ch = 0;
  if (to_lower_ascii(v) == "none") {
    ch = -1;
  } else if (v.size() == 1) {
    ch = static_cast<unsigned char>(v[0]);
  } else if (v.size() == 2 && v[0] == '^') {
    ch = static_cast<unsigned char>(v[1]) & 31;
  } else {
    return "expected a single character, ^X or none, got " + quoted(v);
  }
  if (c.first()) c.o().escape_char = ch;
  return {};
}

// yes / no, or the agent socket to forward (a path, or $VAR naming one).
std::string kw_forward_agent(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  if (!c.first()) return {};
  if (auto v = parse_bool(c.args[0])) {
    c.o().forward_agent = *v ? "SSH_AUTH_SOCK" : "";
  } else {
    c.b.forward_agent.push_back(c.pending(c.args[0]));
  }
  return {};
}

std::string kw_forward_x11(Ctx& c) {
  return bool_kw(c, &Options::forward_x11);
}
std::string kw_forward_x11_trusted(Ctx& c) {
  return bool_kw(c, &Options::forward_x11_trusted);
}
std::string kw_forward_x11_timeout(Ctx& c) {
  return time_kw(c, &Options::forward_x11_timeout, false);
}
std::string kw_xauth_location(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  if (c.first()) c.b.xauth_location.push_back(c.pending(c.args[0]));
  return {};
}
std::string kw_clear_all_forwardings(Ctx& c) {
  return bool_kw(c, &Options::clear_all_forwardings);
}

std::string kw_tcp_keep_alive(Ctx& c) {
  return bool_kw(c, &Options::tcp_keep_alive);
}

std::string kw_update_host_keys(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  const std::string v = to_lower_ascii(c.args[0]);
  if (!parse_bool(v) && v != "ask") return "expected yes, no or ask, got " + quoted(c.args[0]);
  return {};
}

// The facility names ssh_config(5) SyslogFacility accepts, stored upper case.
std::string kw_syslog_facility(Ctx& c) {
  if (auto e = arg_count_error(c, 1); !e.empty()) return e;
  std::string v = c.args[0];
  for (char& ch : v) ch = (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 'a' + 'A') : ch;
  const bool local = v.size() == 6 && v.starts_with("LOCAL") && v[5] >= '0' && v[5] <= '7';
  if (!local && v != "DAEMON" && v != "USER" && v != "AUTH") {
    return "expected DAEMON, USER, AUTH or LOCAL0..LOCAL7, got " + quoted(c.args[0]);
  }
  if (c.first()) c.o().syslog_facility = v;
  return {};
}

std::string kw_ignore_unknown(Ctx& c) {
  if (c.args.empty()) return "missing argument";
  if (c.first()) {
    for (const auto& a : c.args) {
      for (auto& p : ssh::known_hosts::split_patterns(a, ',')) c.b.ignore_unknown.push_back(to_lower_ascii(p));
    }
  }
  return {};
}

constexpr Keyword kKeywords[] = {
    {"HostName", kw_hostname},
    {"Port", kw_port},
    {"User", kw_user},
    {"IdentityFile", kw_identity_file},
    {"CertificateFile", kw_certificate_file},
    {"IdentitiesOnly", kw_identities_only},
    {"IdentityAgent", kw_identity_agent},
    {"LocalForward", kw_local_forward},
    {"RemoteForward", kw_remote_forward},
    {"DynamicForward", kw_dynamic_forward},
    {"ServerAliveInterval", kw_server_alive_interval},
    {"ServerAliveCountMax", kw_server_alive_count_max},
    {"StrictHostKeyChecking", kw_strict_host_key_checking},
    {"UserKnownHostsFile", kw_user_known_hosts_file},
    {"GlobalKnownHostsFile", kw_global_known_hosts_file},
    {"HashKnownHosts", kw_hash_known_hosts},
    {"Ciphers", kw_ciphers},
    {"KexAlgorithms", kw_kex},
    {"HostKeyAlgorithms", kw_host_key_algorithms},
    {"MACs", kw_macs},
    {"PubkeyAcceptedAlgorithms", kw_pubkey_accepted_algorithms},
    {"PubkeyAcceptedKeyTypes", kw_pubkey_accepted_algorithms},
    {"ConnectTimeout", kw_connect_timeout},
    {"ExitOnForwardFailure", kw_exit_on_forward_failure},
    {"BatchMode", kw_batch_mode},
    {"PasswordAuthentication", kw_password_authentication},
    {"KbdInteractiveAuthentication", kw_kbd_interactive},
    {"PubkeyAuthentication", kw_pubkey_authentication},
    {"PreferredAuthentications", kw_preferred_authentications},
    {"NumberOfPasswordPrompts", kw_number_of_password_prompts},
    {"RekeyLimit", kw_rekey_limit},
    {"LogLevel", kw_log_level},
    {"ProxyJump", kw_proxy_jump},
    {"ProxyCommand", kw_proxy_command},
    {"ProxyUseFdpass", kw_proxy_use_fdpass},
    {"HostKeyAlias", kw_host_key_alias},
    {"VisualHostKey", kw_visual_host_key},
    {"CheckHostIP", kw_check_host_ip},
    {"VersionAddendum", kw_version_addendum},
    {"StreamLocalBindMask", kw_stream_local_bind_mask},
    {"PermitRemoteOpen", kw_permit_remote_open},
    {"LocalCommand", kw_local_command},
    {"AddKeysToAgent", kw_add_keys_to_agent},
    {"CanonicalizeHostname", kw_canonicalize_hostname},
    {"CanonicalDomains", kw_canonical_domains},
    {"CanonicalizeFallbackLocal", kw_canonicalize_fallback_local},
    {"CanonicalizeMaxDots", kw_canonicalize_max_dots},
    {"CanonicalizePermittedCNAMEs", kw_canonicalize_permitted_cnames},
    {"RefuseConnection", kw_refuse_connection},
    {"PermitLocalCommand", kw_permit_local_command},
    {"StreamLocalBindUnlink", kw_stream_local_bind_unlink},
    {"NoHostAuthenticationForLocalhost", kw_no_host_authentication_for_localhost},
    {"KnownHostsCommand", kw_known_hosts_command},
    {"RevokedHostKeys", kw_revoked_host_keys},
    {"Compression", kw_compression},
    {"GatewayPorts", kw_gateway_ports},
    {"AddressFamily", kw_address_family},
    {"BindAddress", kw_bind_address},
    {"BindInterface", kw_bind_interface},
    {"IPQoS", kw_ipqos},
    {"ConnectionAttempts", kw_connection_attempts},
    {"ControlMaster", kw_control_master},
    {"ControlPath", kw_control_path},
    {"ControlPersist", kw_control_persist},
    {"SetEnv", kw_set_env},
    {"SendEnv", kw_send_env},
    {"TCPKeepAlive", kw_tcp_keep_alive},
    {"RequestTTY", kw_request_tty},
    {"Tunnel", kw_tunnel},
    {"TunnelDevice", kw_tunnel_device},
    {"SessionType", kw_session_type},
    {"RemoteCommand", kw_remote_command},
    {"StdinNull", kw_stdin_null},
    {"ForkAfterAuthentication", kw_fork_after_authentication},
    {"EscapeChar", kw_escape_char},
    {"EnableEscapeCommandline", kw_enable_escape_commandline},
    {"ForwardAgent", kw_forward_agent},
    {"ForwardX11", kw_forward_x11},
    {"ForwardX11Trusted", kw_forward_x11_trusted},
    {"ForwardX11Timeout", kw_forward_x11_timeout},
    {"XAuthLocation", kw_xauth_location},
    {"ClearAllForwardings", kw_clear_all_forwardings},
    {"UpdateHostKeys", kw_update_host_keys},
    {"IgnoreUnknown", kw_ignore_unknown},
    {"SyslogFacility", kw_syslog_facility},
};

const Keyword* find_keyword(std::string_view keyword) {
  std::string lower = to_lower_ascii(keyword);
  // Old name kept by ssh as an alias (ssh_config(5) KbdInteractiveAuthentication).
  if (lower == "challengeresponseauthentication") lower = "kbdinteractiveauthentication";
  for (const auto& k : kKeywords) {
    if (to_lower_ascii(k.name) == lower) return &k;
  }
  for (const auto& k : sshplex_keywords()) {
    if (to_lower_ascii(k.name) == lower) return &k;
  }
  return nullptr;
}

}  // namespace

std::string canonical_keyword(std::string_view keyword) {
  const Keyword* k = find_keyword(keyword);
  return k != nullptr ? std::string(k->name) : std::string();
}

std::vector<std::string_view> implemented_keywords() {
  std::vector<std::string_view> out;
  for (const auto& k : kKeywords) out.push_back(k.name);
  for (const auto& k : sshplex_keywords()) out.push_back(k.name);
  return out;
}

std::vector<std::string_view> sshplex_directives() {
  std::vector<std::string_view> out;
  for (const auto& k : sshplex_keywords()) out.push_back(k.name);
  return out;
}

namespace {

bool is_off(const AcceptedKeyword& k, const std::vector<std::string>& args) {
  const std::string v = to_lower_ascii(args[0]);
  if (k.off.empty()) return v.empty();
  return v == k.off || (k.off == "no" && (v == "false" || v == "none"));
}

// A keyword sshplex accepts without implementing it: checked as far as its shape goes, kept for -G,
// and a warning (once per keyword) where the user would expect an effect.
void apply_accepted(OptionsBuilder& builder, const AcceptedKeyword& k, const ConfigLine& line, const Origin& origin,
                    bool active) {
  const std::string where = origin.file + (origin.line > 0 ? ":" + std::to_string(origin.line) : std::string());
  if (line.args.empty()) {
    builder.errors.push_back({origin.file, origin.line, std::string(line.keyword) + ": missing argument"});
    return;
  }
  if (k.flag && !parse_bool(line.args[0])) {
    builder.errors.push_back(
        {origin.file, origin.line, std::string(line.keyword) + ": expected yes or no, got " + quoted(line.args[0])});
    return;
  }
  if (!active || !builder.seen.insert(std::string(k.name)).second) return;
  builder.options.accepted_values[std::string(k.name)] = line.args;
  const bool warn = k.kind == AcceptedKeyword::Kind::unsupported ||
                    (k.kind == AcceptedKeyword::Kind::warn_if_enabled && !is_off(k, line.args));
  if (warn) {
    builder.warnings.push_back(where + ": " + line.keyword + " is not supported by sshplex (" + std::string(k.reason) +
                               "); ignored");
  }
}

}  // namespace

void apply_directive(OptionsBuilder& builder, const ConfigLine& line, const Origin& origin, bool active) {
  const Keyword* k = find_keyword(line.keyword);
  if (k == nullptr) {
    if (auto accepted = find_accepted_keyword(line.keyword)) {
      if (accepted->kind != AcceptedKeyword::Kind::alias) {
        apply_accepted(builder, *accepted, line, origin, active);
        return;
      }
      ConfigLine renamed = line;
      renamed.keyword = std::string(accepted->alias_of);
      apply_directive(builder, renamed, origin, active);
      return;
    }
    const std::string lower = to_lower_ascii(line.keyword);
    const bool ignored = std::any_of(builder.ignore_unknown.begin(), builder.ignore_unknown.end(),
                                     [&](const std::string& p) { return ssh::known_hosts::match_wildcard(p, lower); });
    if (!ignored) {
      builder.errors.push_back({origin.file, origin.line,
                                "unknown keyword " + quoted(line.keyword) + " (list it in IgnoreUnknown to skip it)"});
    }
    return;
  }
  Ctx ctx{builder, line.args, origin, active, k->name, line.rest};
  std::string error = k->handler(ctx);
  if (!error.empty()) builder.errors.push_back({origin.file, origin.line, std::string(k->name) + ": " + error});
}

}  // namespace gateway::config
