#pragma once
// Stateless parsers for the client-to-server SOCKS messages. Each looks at the bytes buffered so far
// (starting at the message's first byte) and says: need more, complete (with how many bytes the message
// used), or error. An error is reported as soon as the offending byte is seen, without waiting for the
// rest of the message: the connection is closed after the error reply anyway.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "socks/request.hpp"
#include "ssh/wire/bytes.hpp"

namespace socks {

using ssh::ByteView;

enum class ErrorCode : std::uint8_t {
  unsupported_version,         // first byte neither 4 nor 5: not SOCKS, nothing is sent back
  socks4_not_allowed,          // SOCKS4 has no password, so it is refused when authentication is required
  no_acceptable_methods,       // RFC 1928 §3: no offered METHOD is one we accept (reply 05 FF)
  bad_auth_version,            // RFC 1929 §2: sub-negotiation VER is not 1
  auth_rejected,               // the caller refused the username/password
  bad_request_version,         // SOCKS5 request VER is not 5
  command_not_supported,       // BIND, UDP ASSOCIATE or an unknown CMD
  address_type_not_supported,  // ATYP not 1, 3 or 4
  malformed_address,           // empty domain name, NUL inside a name
  field_too_long,              // SOCKS4 USERID or SOCKS4a host name over its configured bound
  too_much_buffered,           // the client sent more than the handshake buffer may hold
  misuse,                      // the codec was driven in the wrong order (our bug, reported, not asserted)
};

const char* to_string(ErrorCode code);

enum class ParseStatus : std::uint8_t { need_more, complete, error };

template <typename T>
struct Parsed {
  ParseStatus status = ParseStatus::need_more;
  T value{};
  std::size_t consumed = 0;  // bytes of the message, when complete
  ErrorCode error = ErrorCode::misuse;
};

// RFC 1928 §3: VER=5, NMETHODS, METHODS. NMETHODS=0 parses as an empty offer (nothing acceptable).
struct MethodOffer {
  std::vector<std::uint8_t> methods;
};
Parsed<MethodOffer> parse_method_offer(ByteView in);

// RFC 1929 §2: VER=1, ULEN, UNAME, PLEN, PASSWD. Empty fields are passed on; the verifier decides.
struct Credentials {
  std::string username;
  ssh::SecretString password;
};
Parsed<Credentials> parse_username_password(ByteView in);

// RFC 1928 §4: VER=5, CMD, RSV, ATYP, DST.ADDR, DST.PORT. Only CONNECT (1) is supported. RSV is not
// checked: RFC 1928 gives it no meaning and a client that sets it loses nothing by being served.
Parsed<ConnectRequest> parse_socks5_request(ByteView in);

struct Socks4Limits {
  std::size_t max_user_id = 255;
  std::size_t max_host_name = 255;
};
// SOCKS4: VN=4, CD, DSTPORT, DSTIP, USERID, NUL. SOCKS4a: DSTIP 0.0.0.x with x != 0, then a host name
// and NUL after the USERID's NUL.
Parsed<ConnectRequest> parse_socks4_request(ByteView in, const Socks4Limits& limits);

}  // namespace socks
