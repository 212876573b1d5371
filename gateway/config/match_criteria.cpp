#include "gateway/config/match_criteria.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <iterator>
#include <optional>

#include "ssh/known_hosts/host_pattern.hpp"

namespace gateway::config::match {

// A case-sensitive glob ('*' and '?'). Iterative, backtracking only to the last '*':
// O(|pattern| * |text|) at worst.
bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_t = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// ssh's match_pattern_list without lower-casing (Match user, localuser, version, tagged, command,
// sessiontype): comma-separated patterns, case-sensitive, a matching "!pattern" wins.
bool exact_patterns_match(std::string_view list, std::string_view text) {
  bool positive = false;
  for (const auto& item : ssh::known_hosts::split_patterns(list, ',')) {
    std::string_view pattern = item;
    const bool negate = pattern.starts_with('!');
    if (negate) pattern.remove_prefix(1);
    if (!glob_match(pattern, text)) continue;
    if (negate) return false;
    positive = true;
  }
  return positive;
}

std::size_t address_size(int family) {
  return family == AF_INET ? 4 : 16;
}

bool parse_address(const std::string& text, int& family, std::array<std::uint8_t, 16>& bytes) {
  bytes = {};
  if (::inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) {
    family = AF_INET;
    return true;
  }
  if (::inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1) {
    family = AF_INET6;
    return true;
  }
  return false;
}

bool in_network(const Network& net, int family, const std::array<std::uint8_t, 16>& addr) {
  if (family != net.family) return false;
  for (std::size_t i = 0; i < address_size(family); ++i) {
    const unsigned left = net.bits > i * 8 ? net.bits - static_cast<unsigned>(i * 8) : 0;
    const auto mask = static_cast<std::uint8_t>(left >= 8 ? 0xff : (0xff00u >> left) & 0xffu);
    if ((addr[i] & mask) != net.bytes[i]) return false;
  }
  return true;
}

// ssh's addr_match_cidr_list rules: comma-separated, no empty entries, "address[/bits]" with no bits
// meaning the one address, no host bits set below the mask.
bool parse_networks(std::string_view list, std::vector<Network>& out, std::string& err) {
  std::size_t begin = 0;
  while (true) {
    std::size_t end = list.find(',', begin);
    if (end == std::string_view::npos) end = list.size();
    const std::string entry(list.substr(begin, end - begin));
    if (entry.empty()) {
      err = "empty entry in '" + std::string(list) + "'";
      return false;
    }
    if (entry.size() > INET6_ADDRSTRLEN + 3 ||
        entry.find_first_not_of("0123456789abcdefABCDEF.:/") != std::string::npos) {
      err = "invalid network '" + entry + "' (expected address[/bits])";
      return false;
    }
    Network net;
    const std::size_t slash = entry.find('/');
    const std::string address = entry.substr(0, slash);
    std::optional<unsigned> bits;
    if (slash != std::string::npos) {
      const std::string digits = entry.substr(slash + 1);
      if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) {
        err = "invalid network '" + entry + "' (expected address[/bits])";
        return false;
      }
      bits = static_cast<unsigned>(std::stoul(digits));
    }
    if (!parse_address(address, net.family, net.bytes)) {
      err = "invalid network '" + entry + "' (expected address[/bits])";
      return false;
    }
    const unsigned max_bits = static_cast<unsigned>(address_size(net.family) * 8);
    net.bits = bits.value_or(max_bits);
    if (net.bits > max_bits || !in_network(net, net.family, net.bytes)) {
      err = "inconsistent mask length in '" + entry + "'";
      return false;
    }
    out.push_back(net);
    if (end == list.size()) return true;
    begin = end + 1;
  }
}

bool is_address(const std::string& name) {
  int family = 0;
  std::array<std::uint8_t, 16> bytes{};
  return parse_address(name, family, bytes);
}

bool known_criterion(std::string_view name) {
  static constexpr std::string_view kNames[] = {"exec",    "localnetwork", "host", "originalhost", "tagged",
                                                "command", "sessiontype",  "user", "localuser",    "version"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

// readconf.c accepts criterion=argument for these (not for sessiontype).
bool takes_equals_form(std::string_view name) {
  return known_criterion(name) && name != "sessiontype";
}

}  // namespace gateway::config::match
