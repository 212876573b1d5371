#include "gateway/vpn/address_text.hpp"

#include <arpa/inet.h>

namespace gateway::vpn {

std::string to_text(const tun::IpAddress& address) {
  char buf[INET6_ADDRSTRLEN] = {};
  const int af = address.family == tun::Family::v4 ? AF_INET : AF_INET6;
  if (inet_ntop(af, address.bytes.data(), buf, sizeof buf) == nullptr) return "?";
  return buf;
}

std::string to_text(const tun::Endpoint& endpoint) {
  const std::string host = to_text(endpoint.address);
  const std::string port = std::to_string(endpoint.port);
  return endpoint.address.family == tun::Family::v4 ? host + ":" + port : "[" + host + "]:" + port;
}

std::optional<tun::IpAddress> parse_address(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  tun::IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
  a.family = tun::Family::v6;
  a.bytes = {};
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
  return std::nullopt;
}

}  // namespace gateway::vpn
