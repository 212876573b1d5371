#pragma once
// Value syntaxes shared by ssh_config(5) keywords: yes/no flags, bounded numbers, "TIME FORMATS" and
// byte sizes with K/M/G suffixes.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "tun/address.hpp"

namespace gateway::config {

// "yes"/"true" and "no"/"false", any case.
std::optional<bool> parse_bool(std::string_view s);
// Decimal digits only, within [min, max].
std::optional<std::uint64_t> parse_uint(std::string_view s, std::uint64_t min, std::uint64_t max);
// number[unit]... with units s m h d w (any case); a bare number is seconds. At most 2^31-1 seconds.
std::optional<std::chrono::seconds> parse_time(std::string_view s);
// A byte count with an optional K, M or G suffix (powers of 1024).
std::optional<std::uint64_t> parse_size(std::string_view s);

// VpnDns's resolver: "192.0.2.53", "192.0.2.53:5353", "2001:db8::53" or "[2001:db8::53]:5353"
// (numeric only: it is reached from the server, not resolved here); the port defaults to 53.
std::optional<tun::Endpoint> parse_vpn_resolver(std::string_view text);

}  // namespace gateway::config
