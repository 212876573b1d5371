#pragma once
// What a SOCKS client asks for once its handshake is complete.
#include <cstdint>
#include <string>

#include "socks/address.hpp"

namespace socks {

enum class Version : std::uint8_t { socks4, socks4a, socks5 };

struct ConnectRequest {
  Version version = Version::socks5;
  Address destination;
  std::uint16_t port = 0;
  // SOCKS4/4a USERID field (not a secret: SOCKS4 has no password); empty for SOCKS5.
  std::string user_id;
  bool operator==(const ConnectRequest&) const = default;
};

}  // namespace socks
