#include "tun/cidr.hpp"

#include <charconv>

namespace tun {
namespace {

std::uint8_t width(Family f) { return f == Family::v4 ? 32 : 128; }

IpAddress masked(IpAddress a, std::uint8_t prefix) {
  const std::size_t n = a.size();
  for (std::size_t i = 0; i < n; ++i) {
    const int bits = static_cast<int>(prefix) - static_cast<int>(i * 8);
    if (bits >= 8) continue;
    a.bytes[i] = bits <= 0 ? 0 : static_cast<std::uint8_t>(a.bytes[i] & (0xff << (8 - bits)));
  }
  return a;
}

}  // namespace

std::optional<std::pair<IpAddress, std::uint8_t>> Cidr::parse_host(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = parse_address(text.substr(0, slash));
  if (!address) return std::nullopt;
  std::uint8_t prefix = width(address->family);
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value > prefix) {
      return std::nullopt;
    }
    prefix = static_cast<std::uint8_t>(value);
  }
  return std::make_pair(*address, prefix);
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto host = parse_host(text);
  if (!host) return std::nullopt;
  return Cidr{masked(host->first, host->second), host->second};
}

std::string Cidr::text() const { return to_string(address) + "/" + std::to_string(prefix); }

bool Cidr::contains(const IpAddress& a) const {
  return a.family == address.family && masked(a, prefix) == address;
}

std::optional<IpAddress> Cidr::host(std::uint32_t n) const {
  const std::uint8_t host_bits = static_cast<std::uint8_t>(width(address.family) - prefix);
  if (host_bits < 32 && n >= (std::uint64_t{1} << host_bits)) return std::nullopt;
  IpAddress a = address;
  // Add n to the low 32 bits (carrying), which is all a host number needs here.
  std::uint64_t carry = n;
  for (std::size_t i = a.size(); i-- > 0 && carry != 0;) {
    carry += a.bytes[i];
    a.bytes[i] = static_cast<std::uint8_t>(carry & 0xff);
    carry >>= 8;
  }
  return a;
}

}  // namespace tun
