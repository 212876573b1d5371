#include "socks/channel_failure.hpp"

#include <array>
#include <cstddef>

namespace socks {

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool contains(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    std::size_t j = 0;
    while (j < needle.size() && lower(haystack[i + j]) == needle[j]) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

struct Pattern {
  std::string_view text;  // lower case
  ReplyCode code;
};

// Texts from glibc, musl and BSD libc for the errors a connect() or getaddrinfo() on the server reports.
// Order matters: "network is unreachable" must win before a generic "unreachable".
constexpr std::array<Pattern, 16> patterns{{
    {"refused", ReplyCode::connection_refused},
    {"network is unreachable", ReplyCode::network_unreachable},
    {"network unreachable", ReplyCode::network_unreachable},
    {"network is down", ReplyCode::network_unreachable},
    {"timed out", ReplyCode::ttl_expired},
    {"timeout", ReplyCode::ttl_expired},
    {"no route to host", ReplyCode::host_unreachable},
    {"host is unreachable", ReplyCode::host_unreachable},
    {"host unreachable", ReplyCode::host_unreachable},
    {"host is down", ReplyCode::host_unreachable},
    {"name or service not known", ReplyCode::host_unreachable},
    {"nodename nor servname", ReplyCode::host_unreachable},
    {"no address associated", ReplyCode::host_unreachable},
    {"name resolution", ReplyCode::host_unreachable},
    {"name does not resolve", ReplyCode::host_unreachable},
    {"prohibited", ReplyCode::not_allowed},
}};

}  // namespace

ReplyCode reply_for_channel_open_failure(std::uint32_t reason_code, std::string_view description) {
  // The reason code is authoritative for a policy refusal (PermitOpen, AllowTcpForwarding).
  if (reason_code == ssh_open_administratively_prohibited) return ReplyCode::not_allowed;
  for (const auto& p : patterns) {
    if (contains(description, p.text)) return p.code;
  }
  return ReplyCode::general_failure;
}

}  // namespace socks
