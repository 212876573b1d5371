#include "tun/address.hpp"

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

}  // namespace tun
