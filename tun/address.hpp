#pragma once
// IP addresses and transport endpoints as the packet layer sees them: raw network-order bytes, IPv4
// in the first four of sixteen, so one type serves both families without a variant.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tun {

enum class Family : std::uint8_t { v4, v6 };

struct IpAddress {
  Family family = Family::v4;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses bytes[0..3], the rest stays zero

  static IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    IpAddress r;
    r.bytes = {a, b, c, d};
    return r;
  }
  static IpAddress v6(const std::array<std::uint8_t, 16>& b) {
    IpAddress r;
    r.family = Family::v6;
    r.bytes = b;
    return r;
  }
  // The address as it sits in a header: 4 or 16 bytes.
  std::span<const std::uint8_t> view() const { return {bytes.data(), size()}; }
  std::size_t size() const { return family == Family::v4 ? 4 : 16; }
  bool operator==(const IpAddress&) const = default;
};

// Multicast, broadcast (IPv4 limited broadcast) or unspecified: never the source or target of a
// connection, and never answered with an ICMP error (RFC 1122 §3.2.2, RFC 4443 §2.4 e).
bool is_multicast_or_broadcast(const IpAddress& a);
bool is_unspecified(const IpAddress& a);

struct Endpoint {
  IpAddress address;
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

// Text forms for log lines and settings: "192.0.2.1", "2001:db8::1"; endpoints "192.0.2.1:53" and
// "[2001:db8::1]:53".
std::string to_string(const IpAddress& a);
std::string to_string(const Endpoint& e);
// A numeric IPv4 or IPv6 address (no names, no scope ids); nullopt otherwise.
std::optional<IpAddress> parse_address(std::string_view text);

}  // namespace tun
