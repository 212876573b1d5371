#include "socks/messages.hpp"

#include <algorithm>

#include "ssh/wire/reader.hpp"

namespace socks {

namespace {

template <typename T>
Parsed<T> fail(ErrorCode code) {
  Parsed<T> out;
  out.status = ParseStatus::error;
  out.error = code;
  return out;
}

std::uint16_t port_at(ByteView b) { return static_cast<std::uint16_t>(b[0] << 8 | b[1]); }

bool has_nul(ByteView b) { return std::find(b.begin(), b.end(), std::uint8_t{0}) != b.end(); }

}  // namespace

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::unsupported_version:
      return "not a SOCKS4 or SOCKS5 client (unknown version byte)";
    case ErrorCode::socks4_not_allowed:
      return "SOCKS4 refused: this listener requires username/password authentication (use SOCKS5)";
    case ErrorCode::no_acceptable_methods:
      return "client offered no acceptable SOCKS5 authentication method";
    case ErrorCode::bad_auth_version:
      return "bad username/password sub-negotiation version (RFC 1929)";
    case ErrorCode::auth_rejected:
      return "username/password rejected";
    case ErrorCode::bad_request_version:
      return "bad SOCKS5 request version";
    case ErrorCode::command_not_supported:
      return "SOCKS command not supported (only CONNECT is)";
    case ErrorCode::address_type_not_supported:
      return "SOCKS5 address type not supported";
    case ErrorCode::malformed_address:
      return "malformed destination address (empty name or NUL byte)";
    case ErrorCode::field_too_long:
      return "SOCKS4 user id or host name too long";
    case ErrorCode::too_much_buffered:
      return "client sent too much data during the SOCKS handshake";
    case ErrorCode::misuse:
      return "SOCKS codec used out of order";
  }
  return "unknown SOCKS error";
}

Parsed<MethodOffer> parse_method_offer(ByteView in) {
  ssh::wire::Reader r(in);
  std::uint8_t version = 0;
  std::uint8_t count = 0;
  ByteView methods;
  if (!r.u8(version)) return {};
  if (version != 0x05) return fail<MethodOffer>(ErrorCode::unsupported_version);
  if (!r.u8(count) || !r.bytes(count, methods)) return {};
  Parsed<MethodOffer> out;
  out.status = ParseStatus::complete;
  out.value.methods.assign(methods.begin(), methods.end());
  out.consumed = r.position();
  return out;
}

Parsed<Credentials> parse_username_password(ByteView in) {
  ssh::wire::Reader r(in);
  std::uint8_t version = 0;
  std::uint8_t user_len = 0;
  std::uint8_t pass_len = 0;
  ByteView user;
  ByteView pass;
  if (!r.u8(version)) return {};
  if (version != 0x01) return fail<Credentials>(ErrorCode::bad_auth_version);
  if (!r.u8(user_len) || !r.bytes(user_len, user) || !r.u8(pass_len) || !r.bytes(pass_len, pass)) return {};
  Parsed<Credentials> out;
  out.status = ParseStatus::complete;
  out.value.username.assign(ssh::as_string(user));
  out.value.password.assign(pass.begin(), pass.end());
  out.consumed = r.position();
  return out;
}

Parsed<ConnectRequest> parse_socks5_request(ByteView in) {
  ssh::wire::Reader r(in);
  std::uint8_t version = 0;
  std::uint8_t command = 0;
  std::uint8_t reserved = 0;
  std::uint8_t address_type = 0;
  if (!r.u8(version)) return {};
  if (version != 0x05) return fail<ConnectRequest>(ErrorCode::bad_request_version);
  if (!r.u8(command)) return {};
  // RFC 1928 §4: 1 CONNECT, 2 BIND, 3 UDP ASSOCIATE; we forward TCP streams only.
  if (command != 0x01) return fail<ConnectRequest>(ErrorCode::command_not_supported);
  if (!r.u8(reserved) || !r.u8(address_type)) return {};
  Parsed<ConnectRequest> out;
  out.value.version = Version::socks5;
  ByteView addr;
  switch (address_type) {
    case 0x01: {
      if (!r.bytes(4, addr)) return {};
      Ipv4Address a;
      std::copy(addr.begin(), addr.end(), a.bytes.begin());
      out.value.destination = a;
      break;
    }
    case 0x04: {
      if (!r.bytes(16, addr)) return {};
      Ipv6Address a;
      std::copy(addr.begin(), addr.end(), a.bytes.begin());
      out.value.destination = a;
      break;
    }
    case 0x03: {
      std::uint8_t len = 0;
      if (!r.u8(len)) return {};
      if (len == 0) return fail<ConnectRequest>(ErrorCode::malformed_address);
      if (!r.bytes(len, addr)) return {};
      // A NUL would cut the name short in a C resolver and make it mean a different host.
      if (has_nul(addr)) return fail<ConnectRequest>(ErrorCode::malformed_address);
      out.value.destination = DomainName{std::string(ssh::as_string(addr))};
      break;
    }
    default:
      return fail<ConnectRequest>(ErrorCode::address_type_not_supported);
  }
  ByteView port;
  if (!r.bytes(2, port)) return {};
  out.value.port = port_at(port);
  out.status = ParseStatus::complete;
  out.consumed = r.position();
  return out;
}

Parsed<ConnectRequest> parse_socks4_request(ByteView in, const Socks4Limits& limits) {
  if (in.empty()) return {};
  if (in[0] != 0x04) return fail<ConnectRequest>(ErrorCode::unsupported_version);
  if (in.size() < 2) return {};
  // SOCKS4 CD: 1 CONNECT, 2 BIND.
  if (in[1] != 0x01) return fail<ConnectRequest>(ErrorCode::command_not_supported);
  constexpr std::size_t fixed = 8;
  if (in.size() < fixed) return {};
  Parsed<ConnectRequest> out;
  out.value.port = port_at(in.subspan(2, 2));
  Ipv4Address ip;
  std::copy(in.begin() + 4, in.begin() + 8, ip.bytes.begin());

  // USERID is NUL-terminated; look no further than its bound plus the terminator.
  const ByteView after_fixed = in.subspan(fixed);
  const std::size_t user_window = std::min(after_fixed.size(), limits.max_user_id + 1);
  const auto user_end = std::find(after_fixed.begin(), after_fixed.begin() + static_cast<std::ptrdiff_t>(user_window),
                                  std::uint8_t{0});
  const auto user_len = static_cast<std::size_t>(user_end - after_fixed.begin());
  if (user_len == user_window) {
    if (user_window > limits.max_user_id) return fail<ConnectRequest>(ErrorCode::field_too_long);
    return {};
  }
  out.value.user_id.assign(ssh::as_string(after_fixed.first(user_len)));
  std::size_t consumed = fixed + user_len + 1;

  // SOCKS4a: 0.0.0.x with x != 0 is not a routable destination; it announces a host name.
  const bool is_4a = ip.bytes[0] == 0 && ip.bytes[1] == 0 && ip.bytes[2] == 0 && ip.bytes[3] != 0;
  if (!is_4a) {
    out.value.version = Version::socks4;
    out.value.destination = ip;
  } else {
    const ByteView after_user = in.subspan(consumed);
    const std::size_t host_window = std::min(after_user.size(), limits.max_host_name + 1);
    const auto host_end = std::find(after_user.begin(),
                                    after_user.begin() + static_cast<std::ptrdiff_t>(host_window), std::uint8_t{0});
    const auto host_len = static_cast<std::size_t>(host_end - after_user.begin());
    if (host_len == host_window) {
      if (host_window > limits.max_host_name) return fail<ConnectRequest>(ErrorCode::field_too_long);
      return {};
    }
    if (host_len == 0) return fail<ConnectRequest>(ErrorCode::malformed_address);
    out.value.version = Version::socks4a;
    out.value.destination = DomainName{std::string(ssh::as_string(after_user.first(host_len)))};
    consumed += host_len + 1;
  }
  out.status = ParseStatus::complete;
  out.consumed = consumed;
  return out;
}

}  // namespace socks
