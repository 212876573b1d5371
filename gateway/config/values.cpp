#include "gateway/config/values.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "ssh/known_hosts/host_pattern.hpp"

namespace gateway::config {

std::optional<bool> parse_bool(std::string_view s) {
  using ssh::known_hosts::to_lower_ascii;
  const std::string v = to_lower_ascii(s);
  if (v == "yes" || v == "true") return true;
  if (v == "no" || v == "false") return false;
  return std::nullopt;
}

std::optional<std::uint64_t> parse_uint(std::string_view s, std::uint64_t min, std::uint64_t max) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  if (v < min || v > max) return std::nullopt;
  return v;
}

// ssh_config(5) "TIME FORMATS": a sequence of number[unit], units s m h d w, no unit = seconds.
std::optional<std::chrono::seconds> parse_time(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t total = 0;
  std::size_t i = 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::int32_t>::max();
  while (i < s.size()) {
    std::uint64_t n = 0;
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      n = n * 10 + static_cast<std::uint64_t>(s[i] - '0');
      if (n > kMax) return std::nullopt;
      ++i;
    }
    if (i == start) return std::nullopt;
    std::uint64_t mult = 1;
    if (i < s.size()) {
      switch (s[i]) {
        case 's':
        case 'S':
          mult = 1;
          break;
        case 'm':
        case 'M':
          mult = 60;
          break;
        case 'h':
        case 'H':
          mult = 3600;
          break;
        case 'd':
        case 'D':
          mult = 86400;
          break;
        case 'w':
        case 'W':
          mult = 604800;
          break;
        default:
          return std::nullopt;
      }
      ++i;
    }
    total += n * mult;
    if (total > kMax) return std::nullopt;
  }
  return std::chrono::seconds(static_cast<std::chrono::seconds::rep>(total));
}

// Byte counts with an optional K, M or G suffix (powers of 1024), as RekeyLimit takes them.
std::optional<std::uint64_t> parse_size(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t mult = 1;
  switch (s.back()) {
    case 'k':
    case 'K':
      mult = 1ULL << 10;
      break;
    case 'm':
    case 'M':
      mult = 1ULL << 20;
      break;
    case 'g':
    case 'G':
      mult = 1ULL << 30;
      break;
    default:
      break;
  }
  if (mult != 1) s.remove_suffix(1);
  auto n = parse_uint(s, 0, std::numeric_limits<std::uint32_t>::max());
  if (!n) return std::nullopt;
  return *n * mult;
}

std::optional<tun::Endpoint> parse_vpn_resolver(std::string_view text) {
  std::string_view address = text;
  std::optional<std::string_view> port;
  const bool bracketed = !text.empty() && text.front() == '[';
  if (bracketed) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    address = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    // One colon: IPv4 with a port (an IPv6 address has at least two).
    address = text.substr(0, text.find(':'));
    port = text.substr(text.find(':') + 1);
  }
  const auto parsed = tun::parse_address(address);
  if (!parsed || (bracketed && parsed->family != tun::Family::v6)) return std::nullopt;
  tun::Endpoint endpoint{*parsed, 53};
  if (port) {
    const auto p = parse_uint(*port, 1, 65535);
    if (!p) return std::nullopt;
    endpoint.port = static_cast<std::uint16_t>(*p);
  }
  return endpoint;
}

}  // namespace gateway::config
