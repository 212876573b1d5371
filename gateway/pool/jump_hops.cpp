#include "gateway/pool/jump_hops.hpp"

#include "gateway/config/resolver.hpp"
#include "gateway/util/log.hpp"

namespace gateway {
namespace {

constexpr std::string_view kUriScheme = "ssh://";

bool is_blank_or_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// A host name or address as it may appear in a jump spec: no separators, no blanks, and no
// leading '-' (never mistaken for an option by anything it is handed to).
bool valid_host(std::string_view host) {
  if (host.empty() || host.front() == '-') return false;
  for (char c : host) {
    if (is_blank_or_control(c) || c == '@' || c == '/' || c == ',' || c == '[' || c == ']') return false;
  }
  return true;
}

bool valid_user(std::string_view user) {
  if (user.empty() || user.front() == '-') return false;
  for (char c : user) {
    if (is_blank_or_control(c) || c == '/' || c == ',') return false;
  }
  return true;
}

// One list element: [user@]host[:port] or ssh://[user@]host[:port][/].
std::optional<JumpHost> parse_one(std::string_view text, std::string& why) {
  JumpHost hop;
  std::string_view rest = text;
  const bool uri = rest.size() >= kUriScheme.size() && iequals(rest.substr(0, kUriScheme.size()), kUriScheme);
  if (uri) {
    rest.remove_prefix(kUriScheme.size());
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  }
  // The last '@' ends the user name, as in ssh, so a user name may itself hold an '@'.
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    hop.user = std::string(rest.substr(0, at));
    if (!valid_user(hop.user)) {
      why = hop.user.empty() ? "empty user name" : "invalid user name \"" + hop.user + "\"";
      return std::nullopt;
    }
    rest.remove_prefix(at + 1);
  }
  std::string_view host = rest;
  std::string_view port;
  bool has_port = false;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) {
      why = "missing ']' after an IPv6 address";
      return std::nullopt;
    }
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        why = "unexpected text after ']'";
        return std::nullopt;
      }
      port = after.substr(1);
      has_port = true;
    }
  } else if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
    if (rest.find(':', colon + 1) == std::string_view::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
      has_port = true;
    }
    // Several colons and no brackets: a bare IPv6 address without a port.
  }
  if (!valid_host(host)) {
    why = host.empty() ? "missing host name" : "invalid host name \"" + std::string(host) + "\"";
    return std::nullopt;
  }
  hop.host = std::string(host);
  if (has_port) {
    hop.port = parse_port(port);
    if (!hop.port) {
      why = "invalid port \"" + std::string(port) + "\" (expected 1-65535)";
      return std::nullopt;
    }
  }
  return hop;
}

struct Context {
  const config::Environment& env;
  const config::FileSystem& fs;
  const std::optional<std::string>& config_file;
};

std::string hop_prefix(const JumpHost& hop) { return "jump host " + hop.describe() + ": "; }

// Appends the hops of `value` to `out`; the first hop's own ProxyJump comes before it.
bool expand(const Context& ctx, std::string_view value, std::size_t depth, JumpHops& out, std::string& error) {
  auto hops = parse_proxy_jump(value, error);
  if (!hops) return false;
  for (std::size_t i = 0; i < hops->size(); ++i) {
    const JumpHost& hop = (*hops)[i];
    config::ResolveInput input;
    input.host = hop.host;
    input.config_file = ctx.config_file;
    if (!hop.user.empty()) input.overrides.push_back({"User", {hop.user}, "-J"});
    if (hop.port) input.overrides.push_back({"Port", {std::to_string(*hop.port)}, "-J"});
    auto resolved = config::resolve(input, ctx.env, ctx.fs);
    for (const auto& w : resolved.warnings) log::info("%s%s", hop_prefix(hop).c_str(), w.c_str());
    if (!resolved.options) {
      error = hop_prefix(hop) + (resolved.errors.empty() ? std::string("configuration error")
                                                         : resolved.errors.front().to_string());
      return false;
    }
    if (i == 0 && !resolved.options->proxy_jump.empty()) {
      if (depth + 1 >= kMaxJumpHops) {
        error = "ProxyJump: more than " + std::to_string(kMaxJumpHops) +
                " jump hosts (does a jump host's ProxyJump lead back to itself?)";
        return false;
      }
      if (!expand(ctx, resolved.options->proxy_jump, depth + 1, out, error)) return false;
    }
    std::string why;
    auto settings = hop_settings(*resolved.options, why);
    if (!settings) {
      error = hop_prefix(hop) + why;
      return false;
    }
    out.push_back(std::make_shared<const HopSettings>(std::move(*settings)));
    if (out.size() > kMaxJumpHops) {
      error = "ProxyJump: more than " + std::to_string(kMaxJumpHops) + " jump hosts";
      return false;
    }
  }
  return true;
}

}  // namespace

std::string JumpHost::describe() const {
  std::string out = user.empty() ? std::string() : user + "@";
  const bool v6 = host.find(':') != std::string::npos;
  out += v6 && port ? "[" + host + "]" : host;
  if (port) out += ":" + std::to_string(*port);
  return out;
}

std::optional<std::vector<JumpHost>> parse_proxy_jump(std::string_view value, std::string& error) {
  std::vector<JumpHost> hops;
  if (value.empty() || iequals(value, "none")) return hops;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = value.find(',', begin);
    const std::string_view item =
        value.substr(begin, comma == std::string_view::npos ? std::string_view::npos : comma - begin);
    std::string why;
    if (item.empty()) {
      error = "ProxyJump \"" + std::string(value) + "\": empty jump host in the list";
      return std::nullopt;
    }
    auto hop = parse_one(item, why);
    if (!hop) {
      error = "ProxyJump \"" + std::string(value) + "\": jump host \"" + std::string(item) + "\": " + why;
      return std::nullopt;
    }
    hops.push_back(std::move(*hop));
    if (hops.size() > kMaxJumpHops) {
      error = "ProxyJump \"" + std::string(value) + "\": more than " + std::to_string(kMaxJumpHops) + " jump hosts";
      return std::nullopt;
    }
    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  return hops;
}

std::optional<JumpHops> jump_hops(const config::Options& destination, const config::Environment& env,
                                  const config::FileSystem& fs, std::string& error) {
  JumpHops hops;
  if (destination.proxy_jump.empty()) return hops;
  const Context ctx{env, fs, destination.config_file};
  if (!expand(ctx, destination.proxy_jump, 0, hops, error)) return std::nullopt;
  return hops;
}

std::optional<JumpHops> jump_hops(const config::Options& destination, std::string& error) {
  return jump_hops(destination, config::current_environment(), config::real_file_system(), error);
}

}  // namespace gateway
