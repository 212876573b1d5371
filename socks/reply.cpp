#include "socks/reply.hpp"

#include <cstddef>
#include <string>

namespace socks {

namespace {

void put_port(Bytes& out, std::uint16_t port) {
  out.push_back(static_cast<std::uint8_t>(port >> 8));
  out.push_back(static_cast<std::uint8_t>(port & 0xffU));
}

}  // namespace

Bytes encode_method_selection(std::uint8_t method) { return Bytes{0x05, method}; }

Bytes encode_auth_status(bool accepted) { return Bytes{0x01, static_cast<std::uint8_t>(accepted ? 0x00 : 0x01)}; }

Bytes encode_socks5_reply(ReplyCode code, const Address& bound, std::uint16_t bound_port) {
  Bytes out{0x05, static_cast<std::uint8_t>(code), 0x00};
  if (const auto* v4 = std::get_if<Ipv4Address>(&bound)) {
    out.push_back(0x01);
    out.insert(out.end(), v4->bytes.begin(), v4->bytes.end());
  } else if (const auto* v6 = std::get_if<Ipv6Address>(&bound)) {
    out.push_back(0x04);
    out.insert(out.end(), v6->bytes.begin(), v6->bytes.end());
  } else if (const auto* name = std::get_if<DomainName>(&bound)) {
    const std::size_t len = name->name.size() < 255 ? name->name.size() : 255;
    out.push_back(0x03);
    out.push_back(static_cast<std::uint8_t>(len));
    const auto view = ssh::as_bytes(name->name).first(len);
    out.insert(out.end(), view.begin(), view.end());
  } else {
    out.push_back(0x01);
    out.insert(out.end(), 4, 0x00);
  }
  put_port(out, bound_port);
  return out;
}

Bytes encode_socks4_reply(bool granted, std::uint16_t port, Ipv4Address address) {
  // SOCKS4: VN 0, CD, DSTPORT, DSTIP; always 8 bytes.
  Bytes out(8);
  out[1] = granted ? socks4_granted : socks4_rejected;
  out[2] = static_cast<std::uint8_t>(port >> 8);
  out[3] = static_cast<std::uint8_t>(port & 0xffU);
  for (std::size_t i = 0; i < 4; ++i) out[4 + i] = address.bytes[i];
  return out;
}

Bytes encode_success(const ConnectRequest& request) {
  if (request.version == Version::socks5) return encode_socks5_reply(ReplyCode::succeeded);
  return encode_socks4_reply(true);
}

Bytes encode_failure(Version version, ReplyCode code) {
  // A "failure" that says succeeded would make the client start sending into a closed socket.
  if (code == ReplyCode::succeeded) code = ReplyCode::general_failure;
  if (version == Version::socks5) return encode_socks5_reply(code);
  return encode_socks4_reply(false);
}

Bytes encode_failure(const ConnectRequest& request, ReplyCode code) { return encode_failure(request.version, code); }

}  // namespace socks
