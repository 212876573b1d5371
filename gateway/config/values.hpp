#pragma once
// Value syntaxes shared by ssh_config(5) keywords: yes/no flags, bounded numbers, "TIME FORMATS" and
// byte sizes with K/M/G suffixes.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace gateway::config {

// "yes"/"true" and "no"/"false", any case.
std::optional<bool> parse_bool(std::string_view s);
// Decimal digits only, within [min, max].
std::optional<std::uint64_t> parse_uint(std::string_view s, std::uint64_t min, std::uint64_t max);
// number[unit]... with units s m h d w (any case); a bare number is seconds. At most 2^31-1 seconds.
std::optional<std::chrono::seconds> parse_time(std::string_view s);
// A byte count with an optional K, M or G suffix (powers of 1024).
std::optional<std::uint64_t> parse_size(std::string_view s);

}  // namespace gateway::config
