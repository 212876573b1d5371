#include "socks/address.hpp"

#include <cstddef>

namespace socks {

namespace {

std::string ipv4_text(const std::uint8_t* b) {
  std::string out;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i != 0) out += '.';
    out += std::to_string(b[i]);
  }
  return out;
}

std::string ipv6_text(const Ipv6Address& a) {
  std::array<unsigned, 8> groups{};
  for (std::size_t i = 0; i < 8; ++i) {
    groups[i] = static_cast<unsigned>(a.bytes[2 * i]) << 8 | a.bytes[2 * i + 1];
  }
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad in the last 32 bits.
  bool mapped = groups[5] == 0xffff;
  for (std::size_t i = 0; i < 5; ++i) mapped = mapped && groups[i] == 0;
  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first one on a tie.
  std::size_t best_start = 8;
  std::size_t best_len = 0;
  const std::size_t hex_groups = mapped ? 6 : 8;
  for (std::size_t i = 0; i < hex_groups;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < hex_groups && groups[j] == 0) ++j;
    if (j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best_start = 8;
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < hex_groups;) {
    if (i == best_start) {
      out += "::";
      i += best_len;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    // RFC 5952 §4.1: no leading zeros.
    const unsigned g = groups[i];
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned nibble = (g >> shift) & 0xfU;
      if (nibble != 0 || started || shift == 0) {
        out += hex[nibble];
        started = true;
      }
    }
    ++i;
  }
  if (mapped) {
    if (out.back() != ':') out += ':';
    out += ipv4_text(&a.bytes[12]);
  }
  return out;
}

}  // namespace

std::string host_string(const Address& address) {
  if (const auto* v4 = std::get_if<Ipv4Address>(&address)) return ipv4_text(v4->bytes.data());
  if (const auto* v6 = std::get_if<Ipv6Address>(&address)) return ipv6_text(*v6);
  if (const auto* name = std::get_if<DomainName>(&address)) return name->name;
  return {};
}

}  // namespace socks
