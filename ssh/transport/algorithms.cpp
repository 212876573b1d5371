#include "ssh/transport/algorithms.hpp"

#include <algorithm>

#include "ssh/transport/compression.hpp"

namespace ssh::transport {
namespace {

// OpenSSH 9.x preference order, restricted to what this build implements.
const std::vector<std::string> kSupportedKex = {
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group14-sha1",
    "diffie-hellman-group-exchange-sha1",
};
const std::vector<std::string> kDefaultKex(kSupportedKex.begin(), kSupportedKex.begin() + 9);

const std::vector<std::string> kSupportedHostKey = {
    "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256",
    "ssh-rsa",
};
const std::vector<std::string> kDefaultHostKey(kSupportedHostKey.begin(), kSupportedHostKey.begin() + 6);

const std::vector<std::string> kSupportedCiphers = {
    "chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
};
const std::vector<std::string>& kDefaultCiphers = kSupportedCiphers;

const std::vector<std::string> kSupportedMacs = {
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha1-etm@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-sha1",
};
const std::vector<std::string> kDefaultMacs = {
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
};

const char* kind_name(AlgorithmKind kind) {
  switch (kind) {
    case AlgorithmKind::kex:
      return "key exchange algorithm";
    case AlgorithmKind::host_key:
      return "host key algorithm";
    case AlgorithmKind::cipher:
      return "cipher";
    case AlgorithmKind::mac:
      return "MAC";
  }
  return "algorithm";
}

// Shell-style pattern match with '*' and '?' (ssh_config(5) PATTERNS), iterative with backtracking.
bool wildcard_match(std::string_view pattern, std::string_view name) {
  std::size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool has_wildcard(std::string_view s) {
  return s.find_first_of("*?") != std::string_view::npos;
}

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  std::size_t begin = 0;
  while (begin <= s.size()) {
    std::size_t comma = s.find(',', begin);
    if (comma == std::string_view::npos) comma = s.size();
    std::string_view item = s.substr(begin, comma - begin);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    out.emplace_back(item);
    begin = comma + 1;
  }
  return out;
}

void push_unique(std::vector<std::string>& list, const std::string& name) {
  if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
}

// Expands the names and patterns of `spec` against the supported list, in the order given.
// Errors on an empty entry, an unsupported literal name or a pattern matching nothing.
bool expand(AlgorithmKind kind, std::string_view spec, std::vector<std::string>& out, std::string& error) {
  const auto& supported = supported_algorithms(kind);
  for (const auto& item : split_commas(spec)) {
    if (item.empty()) {
      error = std::string("empty entry in ") + kind_name(kind) + " list";
      return false;
    }
    bool matched = false;
    for (const auto& name : supported) {
      if (has_wildcard(item) ? wildcard_match(item, name) : item == name) {
        push_unique(out, name);
        matched = true;
      }
    }
    if (!matched) {
      error = std::string("unsupported ") + kind_name(kind) + " '" + item + "'";
      return false;
    }
  }
  return true;
}

}  // namespace

const std::vector<std::string>& supported_algorithms(AlgorithmKind kind) {
  switch (kind) {
    case AlgorithmKind::kex:
      return kSupportedKex;
    case AlgorithmKind::host_key:
      return kSupportedHostKey;
    case AlgorithmKind::cipher:
      return kSupportedCiphers;
    case AlgorithmKind::mac:
      return kSupportedMacs;
  }
  return kSupportedKex;
}

const std::vector<std::string>& default_algorithm_list(AlgorithmKind kind) {
  switch (kind) {
    case AlgorithmKind::kex:
      return kDefaultKex;
    case AlgorithmKind::host_key:
      return kDefaultHostKey;
    case AlgorithmKind::cipher:
      return kDefaultCiphers;
    case AlgorithmKind::mac:
      return kDefaultMacs;
  }
  return kDefaultKex;
}

std::vector<std::string> compression_algorithm_list(bool compression) {
  // With -C as ssh 9.2 orders it. Without, only "none" (ssh would still accept zlib from a server
  // that offers nothing else; such servers are not known to exist).
  if (compression) return {kCompressionDelayed, kCompressionZlib, kCompressionNone};
  return {kCompressionNone};
}

AlgorithmPreferences default_algorithms() {
  return AlgorithmPreferences{
      default_algorithm_list(AlgorithmKind::kex),
      default_algorithm_list(AlgorithmKind::host_key),
      default_algorithm_list(AlgorithmKind::cipher),
      default_algorithm_list(AlgorithmKind::mac),
      compression_algorithm_list(false),
  };
}

ListEditResult apply_algorithm_list(AlgorithmKind kind, const std::vector<std::string>& current,
                                    std::string_view spec) {
  ListEditResult result;
  if (spec.empty()) {
    result.error = std::string("empty ") + kind_name(kind) + " list";
    return result;
  }
  const char op = spec.front();
  std::vector<std::string> names;
  if (op == '-') {
    // Removal takes patterns and need not name supported algorithms (ssh_config(5)).
    const auto patterns = split_commas(spec.substr(1));
    for (const auto& name : current) {
      const bool removed = std::any_of(patterns.begin(), patterns.end(),
                                       [&](const std::string& p) { return !p.empty() && wildcard_match(p, name); });
      if (!removed) result.list.push_back(name);
    }
  } else if (op == '+') {
    if (!expand(kind, spec.substr(1), names, result.error)) return result;
    result.list = current;
    for (const auto& n : names) push_unique(result.list, n);
  } else if (op == '^') {
    if (!expand(kind, spec.substr(1), names, result.error)) return result;
    result.list = names;
    for (const auto& n : current) push_unique(result.list, n);
  } else {
    if (!expand(kind, spec, names, result.error)) return result;
    result.list = std::move(names);
  }
  if (result.list.empty()) {
    result.error = std::string("no ") + kind_name(kind) + " left after applying '" + std::string(spec) + "'";
  }
  return result;
}

std::optional<std::string> negotiate(const std::vector<std::string>& client, const std::vector<std::string>& server) {
  for (const auto& name : client) {
    if (std::find(server.begin(), server.end(), name) != server.end()) return name;
  }
  return std::nullopt;
}

}  // namespace ssh::transport
