#include "tun/address.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace tun {

bool is_multicast_or_broadcast(const IpAddress& a) {
  if (a.family == Family::v6) return a.bytes[0] == 0xff;
  if ((a.bytes[0] & 0xf0) == 0xe0) return true;  // 224.0.0.0/4
  return a.bytes[0] == 255 && a.bytes[1] == 255 && a.bytes[2] == 255 && a.bytes[3] == 255;
}

bool is_unspecified(const IpAddress& a) {
  const auto v = a.view();
  return std::all_of(v.begin(), v.end(), [](std::uint8_t b) { return b == 0; });
}

std::string to_string(const IpAddress& a) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(a.family == Family::v4 ? AF_INET : AF_INET6, a.bytes.data(), text, sizeof text);
  return text;
}

std::string to_string(const Endpoint& e) {
  const std::string address = to_string(e.address);
  const std::string port = std::to_string(e.port);
  return e.address.family == Family::v4 ? address + ":" + port : "[" + address + "]:" + port;
}

std::optional<IpAddress> parse_address(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
  a.family = Family::v6;
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
  return std::nullopt;
}

}  // namespace tun
