#include "gateway/config/canonicalize.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>

#include "ssh/known_hosts/host_pattern.hpp"

namespace gateway::config {
namespace {

using ssh::known_hosts::to_lower_ascii;

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

const std::vector<std::string>* first_value(const Options& o, const char* keyword) {
  const auto it = o.accepted_values.find(keyword);
  return it == o.accepted_values.end() || it->second.empty() ? nullptr : &it->second;
}

// ssh's valid_domain (misc.c): a first character that is a letter, digit or '_', then letters,
// digits, '-', '_' and single dots; a trailing dot is dropped. nullopt with `why` set otherwise.
std::optional<std::string> valid_domain(const std::string& name, std::string& why) {
  if (name.empty()) {
    why = "empty domain name";
    return std::nullopt;
  }
  const auto first = static_cast<unsigned char>(name.front());
  if (std::isalnum(first) == 0 && first != '_') {
    why = "domain name \"" + name + "\" starts with invalid character";
    return std::nullopt;
  }
  char last = '\0';
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (last == '.' && c == '.') {
      why = "domain name \"" + name + "\" contains consecutive separators";
      return std::nullopt;
    }
    if (c != '.' && c != '-' && c != '_' && std::isalnum(c) == 0) {
      why = "domain name \"" + name + "\" contains invalid characters";
      return std::nullopt;
    }
    last = static_cast<char>(c);
  }
  return name.back() == '.' ? name.substr(0, name.size() - 1) : name;
}

// ssh leaves addresses to its own address handling: anything getaddrinfo takes as a numeric address,
// or that can only be one (is_addr_fast: a '%' or ':', or nothing but digits and dots).
bool looks_like_address(const std::string& name) {
  if (name.find_first_of("%:") != std::string::npos) return true;
  if (name.find_first_not_of("0123456789.") == std::string::npos) return true;
  std::array<unsigned char, sizeof(in6_addr)> bytes{};
  return ::inet_pton(AF_INET, name.c_str(), bytes.data()) == 1 ||
         ::inet_pton(AF_INET6, name.c_str(), bytes.data()) == 1;
}

bool list_matches(const std::string& list, const std::string& name) {
  return ssh::known_hosts::match_pattern_list(ssh::known_hosts::split_patterns(list, ','), name) ==
         ssh::known_hosts::PatternListMatch::match;
}

class Canonicalizer {
 public:
  Canonicalizer(const CanonicalSettings& s, AddressFamily family, const LookupHost& lookup)
      : s_(s), family_(family), lookup_(lookup) {}

  // The lookup of `name`, with the canonical name checked as ssh checks it (a bad one is ignored). A
  // failure other than an unknown name is a warning unless `quiet`.
  HostLookup look_up(const std::string& name, CanonicalResult& r, bool quiet = false) const {
    HostLookup found = lookup_ ? lookup_(name, family_) : HostLookup{false, {}, true, "no resolver available"};
    if (!found.found) {
      if (!found.no_such_name && !quiet)
        r.warnings.push_back("Could not resolve hostname " + name + ": " + found.error);
      return found;
    }
    if (!found.canonical_name.empty()) {
      std::string why;
      auto valid = valid_domain(found.canonical_name, why);
      if (!valid) {
        r.warnings.push_back("ignoring bad CNAME \"" + found.canonical_name + "\" for host \"" + name + "\": " + why);
        found.canonical_name.clear();
      } else {
        found.canonical_name = *valid;
      }
    }
    return found;
  }

  // ssh's check_follow_cname: `name` becomes the canonical name (lower case) when a permitted rule
  // matches both.
  bool follow_cname(std::string& name, const std::string& cname) const {
    if (cname.empty() || s_.permitted_cnames.empty() || name == cname) return false;
    for (const auto& rule : s_.permitted_cnames) {
      if (!list_matches(rule.sources, name) || !list_matches(rule.targets, cname)) continue;
      name = to_lower_ascii(cname);
      return true;
    }
    return false;
  }

 private:
  const CanonicalSettings& s_;
  AddressFamily family_;
  const LookupHost& lookup_;
};

}  // namespace

HostLookup system_lookup_host(const std::string& name, AddressFamily family) {
  addrinfo hints{};
  hints.ai_family = family == AddressFamily::inet ? AF_INET : family == AddressFamily::inet6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_CANONNAME;
  addrinfo* res = nullptr;
  HostLookup out;
  const int rc = ::getaddrinfo(name.c_str(), "22", &hints, &res);
  if (rc != 0) {
    out.no_such_name = rc == EAI_NONAME;
#ifdef EAI_NODATA
    out.no_such_name = out.no_such_name || rc == EAI_NODATA;
#endif
    out.error = rc == EAI_SYSTEM ? std::string(std::strerror(errno)) : std::string(::gai_strerror(rc));
    return out;
  }
  out.found = true;
  if (res != nullptr && res->ai_canonname != nullptr) out.canonical_name = res->ai_canonname;
  ::freeaddrinfo(res);
  return out;
}

std::optional<CanonicalizeMode> parse_canonicalize_hostname(const std::string& value, std::string& error) {
  const std::string mode = to_lower_ascii(value);
  if (mode == "yes" || mode == "true") return CanonicalizeMode::yes;
  if (mode == "no" || mode == "false") return CanonicalizeMode::no;
  if (mode == "always") return CanonicalizeMode::always;
  error = "expected yes, no or always, got " + quoted(value);
  return std::nullopt;
}

std::optional<int> parse_canonicalize_max_dots(const std::string& value, std::string& error) {
  if (value.empty() || value.size() > 10 || value.find_first_not_of("0123456789") != std::string::npos ||
      std::stoll(value) > INT_MAX) {
    error = "expected a number 0.." + std::to_string(INT_MAX) + ", got " + quoted(value);
    return std::nullopt;
  }
  return static_cast<int>(std::stoll(value));
}

std::optional<std::vector<std::string>> parse_canonical_domains(const std::vector<std::string>& args,
                                                                std::string& error) {
  std::vector<std::string> domains;
  for (const auto& arg : args) {
    if (to_lower_ascii(arg) == "none") {
      if (args.size() > 1) {
        error = "\"none\" must appear alone";
        return std::nullopt;
      }
      break;  // no domains
    }
    std::string why;
    auto domain = valid_domain(to_lower_ascii(arg), why);
    if (!domain) {
      error = why;
      return std::nullopt;
    }
    domains.push_back(std::move(*domain));
  }
  return domains;
}

std::optional<std::vector<PermittedCname>> parse_permitted_cnames(const std::vector<std::string>& args,
                                                                  std::string& error) {
  std::vector<PermittedCname> rules;
  for (const auto& arg : args) {
    if (to_lower_ascii(arg) == "none") {
      if (args.size() > 1) {
        error = "\"none\" must appear alone";
        return std::nullopt;
      }
      break;  // no rules
    }
    if (arg == "*") {
      rules.push_back({"*", "*"});
      continue;
    }
    const std::string lower = to_lower_ascii(arg);
    const std::size_t colon = lower.find(':');
    if (colon == std::string::npos || colon + 1 == lower.size()) {
      error = "invalid permitted CNAME \"" + arg + "\" (expected sources:targets)";
      return std::nullopt;
    }
    rules.push_back({lower.substr(0, colon), lower.substr(colon + 1)});
  }
  return rules;
}

std::optional<CanonicalSettings> canonical_settings(const Options& options, std::string& error) {
  CanonicalSettings s;
  std::string why;
  if (const auto* v = first_value(options, "canonicalizehostname")) {
    auto mode = parse_canonicalize_hostname(v->front(), why);
    if (!mode) {
      error = "CanonicalizeHostname: " + why;
      return std::nullopt;
    }
    s.mode = *mode;
  }
  if (const auto* v = first_value(options, "canonicalizefallbacklocal")) {
    const std::string flag = to_lower_ascii(v->front());
    s.fallback_local = !(flag == "no" || flag == "false");
  }
  if (const auto* v = first_value(options, "canonicalizemaxdots")) {
    auto dots = parse_canonicalize_max_dots(v->front(), why);
    if (!dots) {
      error = "CanonicalizeMaxDots: " + why;
      return std::nullopt;
    }
    s.max_dots = *dots;
  }
  if (const auto* v = first_value(options, "canonicaldomains")) {
    auto domains = parse_canonical_domains(*v, why);
    if (!domains) {
      error = "CanonicalDomains: " + why;
      return std::nullopt;
    }
    s.domains = std::move(*domains);
  }
  if (const auto* v = first_value(options, "canonicalizepermittedcnames")) {
    auto rules = parse_permitted_cnames(*v, why);
    if (!rules) {
      error = "CanonicalizePermittedCNAMEs: " + why;
      return std::nullopt;
    }
    s.permitted_cnames = std::move(*rules);
  }
  return s;
}

CanonicalResult canonicalize_host(const std::string& host, const CanonicalSettings& s, bool direct,
                                  AddressFamily family, const LookupHost& lookup) {
  CanonicalResult r{host, std::nullopt, {}};
  if (s.mode == CanonicalizeMode::no || host.empty() || looks_like_address(host)) return r;
  // Names a proxy or jump host will resolve are left to it unless "always".
  if (!direct && s.mode != CanonicalizeMode::always) return r;
  const Canonicalizer c(s, family, lookup);

  // The name found under `full` (looked up with a trailing dot) becomes the host name, or the
  // canonical name the resolver gave when a rule permits it.
  const auto take = [&](std::string full, const HostLookup& found) {
    full.pop_back();
    c.follow_cname(full, found.canonical_name);
    r.host = std::move(full);
  };

  bool try_suffixes = true;
  bool left_alone = false;
  if (host.back() == '.') {
    // Anchored: fully qualified already.
    try_suffixes = false;
    const HostLookup found = c.look_up(host, r);
    if (found.found) {
      take(host, found);
      return r;
    }
  } else if (static_cast<long>(std::count(host.begin(), host.end(), '.')) > s.max_dots) {
    // Qualified enough: neither suffixes nor the fallback rule apply.
    try_suffixes = false;
    left_alone = true;
  }
  if (try_suffixes) {
    for (const auto& domain : s.domains) {
      const std::string full = host + "." + domain + ".";
      const HostLookup found = c.look_up(full, r);
      if (!found.found) continue;
      take(full, found);
      return r;
    }
  }
  if (!left_alone && !s.fallback_local) {
    r.error = "Could not resolve host \"" + host + "\"";
    return r;
  }

  // Not canonicalised: the bare name through the resolver's own search rules, for its CNAME.
  if (!s.permitted_cnames.empty()) {
    const HostLookup found = c.look_up(host, r, direct);
    if (!found.found) {
      // A proxied name need not be in the local DNS.
      if (direct) r.error = "Could not resolve hostname " + host + ": " + found.error;
      return r;
    }
    c.follow_cname(r.host, found.canonical_name);
  }
  return r;
}

}  // namespace gateway::config
