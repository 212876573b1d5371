#pragma once
// The checks behind ssh_config(5) Match lines, as readconf.c has them: case-sensitive pattern lists
// (user, localuser, version, tagged, command, sessiontype), localnetwork's address/bits lists and
// the criterion names. The resolver (resolver.cpp) evaluates a Match line with them. Internal to
// gateway/config.
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gateway::config::match {

constexpr std::string_view kCriteria =
    "all, canonical, final, exec, localnetwork, host, originalhost, tagged, command, sessiontype, user, localuser, "
    "version";

// An address or network of a Match localnetwork list (ssh's addr_pton_cidr).
struct Network {
  int family = AF_INET;
  std::array<std::uint8_t, 16> bytes{};
  unsigned bits = 0;
};

// A case-sensitive glob ('*' and '?'). Iterative, backtracking only to the last '*':
// O(|pattern| * |text|) at worst.
bool glob_match(std::string_view pattern, std::string_view text);
// ssh's match_pattern_list without lower-casing (Match user, localuser, version, tagged, command,
// sessiontype): comma-separated patterns, case-sensitive, a matching "!pattern" wins.
bool exact_patterns_match(std::string_view list, std::string_view text);
// 4 or 16 bytes.
std::size_t address_size(int family);
// A numeric IPv4 or IPv6 address.
bool parse_address(const std::string& text, int& family, std::array<std::uint8_t, 16>& bytes);
bool in_network(const Network& net, int family, const std::array<std::uint8_t, 16>& addr);
// ssh's addr_match_cidr_list rules: comma-separated, no empty entries, "address[/bits]" with no bits
// meaning the one address, no host bits set below the mask.
bool parse_networks(std::string_view list, std::vector<Network>& out, std::string& err);
bool is_address(const std::string& name);
bool known_criterion(std::string_view name);
// readconf.c accepts criterion=argument for these (not for sessiontype).
bool takes_equals_form(std::string_view name);

}  // namespace gateway::config::match
