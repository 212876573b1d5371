#pragma once
// Server-to-client SOCKS messages: SOCKS5 method selection (RFC 1928 §3), username/password status
// (RFC 1929 §2), SOCKS5 replies (RFC 1928 §6) and SOCKS4 replies (SOCKS4 protocol, "Reply").
#include <cstdint>

#include "socks/address.hpp"
#include "socks/request.hpp"
#include "ssh/wire/bytes.hpp"

namespace socks {

using ssh::Bytes;

// RFC 1928 §6 REP field.
enum class ReplyCode : std::uint8_t {
  succeeded = 0x00,
  general_failure = 0x01,
  not_allowed = 0x02,
  network_unreachable = 0x03,
  host_unreachable = 0x04,
  connection_refused = 0x05,
  ttl_expired = 0x06,
  command_not_supported = 0x07,
  address_type_not_supported = 0x08,
};

// RFC 1928 §3 METHOD values we know.
inline constexpr std::uint8_t method_no_auth = 0x00;
inline constexpr std::uint8_t method_username_password = 0x02;
inline constexpr std::uint8_t method_none_acceptable = 0xFF;

// SOCKS4 CD values in a reply (the reply's VN is 0).
inline constexpr std::uint8_t socks4_granted = 0x5A;
inline constexpr std::uint8_t socks4_rejected = 0x5B;

// VER=5, METHOD.
Bytes encode_method_selection(std::uint8_t method);
// RFC 1929 §2: VER=1, STATUS (0x00 success, anything else failure: we send 0x01).
Bytes encode_auth_status(bool accepted);

// VER=5, REP, RSV=0, ATYP, BND.ADDR, BND.PORT. The default bound address is 0.0.0.0:0: we cannot
// know the address the SSH server's side bound, and clients (curl, browsers) ignore it for CONNECT.
// A domain name longer than 255 bytes is cut to 255 (the length is one byte).
Bytes encode_socks5_reply(ReplyCode code, const Address& bound = Ipv4Address{}, std::uint16_t bound_port = 0);

// VN=0, CD, DSTPORT, DSTIP. Clients ignore port and address in a CONNECT reply.
Bytes encode_socks4_reply(bool granted, std::uint16_t port = 0, Ipv4Address address = {});

// The reply for `request` in its own protocol version. SOCKS4 has only granted / rejected, so every
// failure code becomes 0x5B.
Bytes encode_success(const ConnectRequest& request);
Bytes encode_failure(const ConnectRequest& request, ReplyCode code);
Bytes encode_failure(Version version, ReplyCode code);

}  // namespace socks
