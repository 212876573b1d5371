#include "tun/builder.hpp"

#include <algorithm>

#include "tun/byte_order.hpp"
#include "tun/checksum.hpp"

namespace tun {

std::size_t ip_header_size(Family family) {
  return family == Family::v4 ? 20 : 40;
}

void write_ip_header(std::uint8_t* out, const IpAddress& source, const IpAddress& destination, std::uint8_t protocol,
                     std::size_t payload_length, std::uint8_t ttl) {
  if (source.family == Family::v4) {
    std::fill_n(out, 20, std::uint8_t{0});
    out[0] = 0x45;
    store16(out + 2, static_cast<std::uint16_t>(20 + payload_length));
    store16(out + 6, 0x4000);  // DF
    out[8] = ttl;
    out[9] = protocol;
    std::copy_n(source.bytes.begin(), 4, out + 12);
    std::copy_n(destination.bytes.begin(), 4, out + 16);
    store16(out + 10, internet_checksum({out, 20}));
  } else {
    std::fill_n(out, 40, std::uint8_t{0});
    out[0] = 0x60;
    store16(out + 4, static_cast<std::uint16_t>(payload_length));
    out[6] = protocol;
    out[7] = ttl;
    std::copy_n(source.bytes.begin(), 16, out + 8);
    std::copy_n(destination.bytes.begin(), 16, out + 24);
  }
}

std::optional<Bytes> build_udp(const Endpoint& source, const Endpoint& destination,
                               std::span<const std::uint8_t> payload) {
  const Family family = source.address.family;
  if (destination.address.family != family) return std::nullopt;
  const std::size_t header = ip_header_size(family);
  const std::size_t udp_length = 8 + payload.size();
  if (udp_length > 0xffff || (family == Family::v4 && udp_length > 0xffff - 20)) return std::nullopt;
  Bytes out(header + udp_length);
  write_ip_header(out.data(), source.address, destination.address, protocol_udp, udp_length);
  std::uint8_t* u = out.data() + header;
  store16(u, source.port);
  store16(u + 2, destination.port);
  store16(u + 4, static_cast<std::uint16_t>(udp_length));
  std::copy(payload.begin(), payload.end(), u + 8);
  const std::uint16_t pseudo =
      pseudo_header_sum(source.address, destination.address, protocol_udp, static_cast<std::uint32_t>(udp_length));
  std::uint16_t c = static_cast<std::uint16_t>(~sum({u, udp_length}, pseudo));
  // RFC 768: a computed zero is sent as all ones (zero means "no checksum").
  store16(u + 6, c == 0 ? 0xffff : c);
  return out;
}

std::optional<Bytes> build_tcp_reset(const Packet& segment) {
  if (segment.transport != Transport::tcp || (segment.tcp.flags & tcp_rst) != 0) return std::nullopt;
  const std::size_t header = ip_header_size(segment.family);
  Bytes out(header + 20, 0);
  write_ip_header(out.data(), segment.destination, segment.source, protocol_tcp, 20);
  std::uint8_t* t = out.data() + header;
  store16(t, segment.tcp.destination_port);
  store16(t + 2, segment.tcp.source_port);
  if ((segment.tcp.flags & tcp_ack) != 0) {
    store32(t + 4, segment.tcp.ack);
    t[13] = tcp_rst;
  } else {
    std::uint32_t length = static_cast<std::uint32_t>(segment.payload_size());
    if ((segment.tcp.flags & tcp_syn) != 0) ++length;
    if ((segment.tcp.flags & tcp_fin) != 0) ++length;
    store32(t + 8, segment.tcp.seq + length);
    t[13] = tcp_rst | tcp_ack;
  }
  t[12] = 5 << 4;
  const std::uint16_t pseudo = pseudo_header_sum(segment.destination, segment.source, protocol_tcp, 20);
  store16(t + 16, static_cast<std::uint16_t>(~sum({t, 20}, pseudo)));
  return out;
}

}  // namespace tun
