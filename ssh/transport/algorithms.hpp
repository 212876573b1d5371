#pragma once
// Algorithm lists: what this build supports, the default preference order (OpenSSH's order of
// what we implement) and ssh_config's list syntax (RFC-free: ssh_config(5) "Ciphers").
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ssh::transport {

struct AlgorithmPreferences {
  std::vector<std::string> kex;
  std::vector<std::string> host_key;
  std::vector<std::string> ciphers;
  std::vector<std::string> macs;
  // Both directions (compression_algorithm_list()).
  std::vector<std::string> compression;
};

enum class AlgorithmKind { kex, host_key, cipher, mac };

// Everything implemented, including algorithms off by default (ssh-rsa, hmac-sha1).
const std::vector<std::string>& supported_algorithms(AlgorithmKind kind);
// The default enabled list in preference order.
const std::vector<std::string>& default_algorithm_list(AlgorithmKind kind);
AlgorithmPreferences default_algorithms();
// The compression list offered in both directions: with Compression yes (-C) what ssh 9.x offers,
// "zlib@openssh.com,zlib,none"; without it "none" only (ssh would also list zlib after none).
std::vector<std::string> compression_algorithm_list(bool compression);

struct ListEditResult {
  std::vector<std::string> list;
  std::string error;  // non-empty: e.g. "unsupported cipher 'foo'"
};
// Applies an ssh_config value to a default list: "a,b" replaces, "+a,b" appends, "-a,b*" removes
// (wildcards allowed), "^a,b" puts first. Unknown names are an error for replace/append/prepend.
ListEditResult apply_algorithm_list(AlgorithmKind kind, const std::vector<std::string>& current, std::string_view spec);

// First client algorithm that the server also lists (RFC 4253 §7.1), or nullopt.
std::optional<std::string> negotiate(const std::vector<std::string>& client, const std::vector<std::string>& server);

}  // namespace ssh::transport
