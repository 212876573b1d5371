#include "tun/cidr.hpp"

#include <algorithm>

namespace tun {
namespace {

// The prefix after '/': decimal digits only, no sign, no leading zeros (so "08" is not read as
// 8 by one tool and refused by another), at most `max`.
std::optional<std::uint8_t> parse_prefix(std::string_view text, unsigned max) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > max) return std::nullopt;
  return static_cast<std::uint8_t>(value);
}

std::optional<Cidr> parse_cidr(std::string_view text, bool keep_host_bits) {
  const auto slash = text.find('/');
  const auto address = parse_address(text.substr(0, slash));
  if (!address) return std::nullopt;
  Cidr cidr{*address, 0};
  cidr.prefix = cidr.max_prefix();
  if (slash != std::string_view::npos) {
    const auto prefix = parse_prefix(text.substr(slash + 1), cidr.max_prefix());
    if (!prefix) return std::nullopt;
    cidr.prefix = *prefix;
  }
  return keep_host_bits ? cidr : cidr.network();
}

}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text) {
  return parse_cidr(text, false);
}

std::optional<Cidr> Cidr::parse_interface_address(std::string_view text) {
  return parse_cidr(text, true);
}

Cidr Cidr::everything(Family family) {
  Cidr cidr;
  cidr.address.family = family;
  return cidr;
}

std::string Cidr::text() const {
  return to_string(address) + "/" + std::to_string(prefix);
}

bool Cidr::contains(const IpAddress& a) const {
  if (a.family != family()) return false;
  const unsigned whole = prefix / 8U;
  if (!std::equal(address.bytes.begin(), address.bytes.begin() + whole, a.bytes.begin())) return false;
  const unsigned rest = prefix % 8U;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xffU << (8U - rest));
  return (address.bytes[whole] & mask) == (a.bytes[whole] & mask);
}

Cidr Cidr::network() const {
  Cidr n = *this;
  for (unsigned bit = prefix; bit < 128; ++bit) {
    n.address.bytes[bit / 8U] = static_cast<std::uint8_t>(n.address.bytes[bit / 8U] & ~(0x80U >> (bit % 8U)));
  }
  return n;
}

std::optional<IpAddress> Cidr::host(std::uint32_t n) const {
  const unsigned host_bits = max_prefix() - prefix;
  if (host_bits < 32 && n >= (std::uint64_t{1} << host_bits)) return std::nullopt;
  IpAddress a = network().address;
  // Add n to the low bytes, carrying: all a host number needs here.
  std::uint64_t carry = n;
  for (std::size_t i = a.size(); i-- > 0 && carry != 0;) {
    carry += a.bytes[i];
    a.bytes[i] = static_cast<std::uint8_t>(carry & 0xff);
    carry >>= 8;
  }
  return a;
}

}  // namespace tun
