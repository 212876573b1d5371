#include "tun/rewrite.hpp"

#include <algorithm>

#include "tun/byte_order.hpp"
#include "tun/checksum.hpp"

namespace tun {

namespace {

// Offsets of the addresses in the IP header.
std::size_t source_offset(Family f) {
  return f == Family::v4 ? 12 : 8;
}
std::size_t destination_offset(Family f) {
  return f == Family::v4 ? 16 : 24;
}

}  // namespace

RewriteError rewrite(std::span<std::uint8_t> packet, Packet& parsed, const Endpoint& source,
                     const Endpoint& destination) {
  if (parsed.transport != Transport::tcp && parsed.transport != Transport::udp) return RewriteError::not_tcp_or_udp;
  if (source.address.family != parsed.family || destination.address.family != parsed.family) {
    return RewriteError::family_mismatch;
  }
  if (parsed.routed) return RewriteError::routed;
  if (packet.size() < parsed.length || parsed.payload_offset > parsed.length) return RewriteError::too_short;

  const Family f = parsed.family;
  const std::size_t n = source.address.size();
  std::uint8_t* ip = packet.data();
  std::uint8_t* l4 = packet.data() + parsed.transport_offset;
  const bool tcp = parsed.transport == Transport::tcp;
  const std::size_t checksum_offset = tcp ? 16 : 6;
  std::uint16_t l4_checksum = load16(l4 + checksum_offset);
  // RFC 768: over IPv4 a zero UDP checksum means the sender computed none; it stays none.
  // A partial checksum is a sum, never that marker.
  const bool update_l4 = tcp || f == Family::v6 || parsed.checksum_partial || l4_checksum != 0;

  // The addresses are in the pseudo-header, so they change the transport checksum too.
  std::uint8_t* src = ip + source_offset(f);
  std::uint8_t* dst = ip + destination_offset(f);
  if (update_l4 && parsed.checksum_partial) {
    // The field holds the pseudo-header's sum, uncomplemented, and the ports are not in it yet:
    // only the addresses change it, by the same RFC 1624 update on its complement.
    std::uint16_t pseudo = static_cast<std::uint16_t>(~l4_checksum);
    pseudo = update_bytes(pseudo, {src, n}, source.address.view());
    pseudo = update_bytes(pseudo, {dst, n}, destination.address.view());
    store16(l4 + checksum_offset, static_cast<std::uint16_t>(~pseudo));
  } else if (update_l4) {
    l4_checksum = update_bytes(l4_checksum, {src, n}, source.address.view());
    l4_checksum = update_bytes(l4_checksum, {dst, n}, destination.address.view());
    l4_checksum = update16(l4_checksum, load16(l4), source.port);
    l4_checksum = update16(l4_checksum, load16(l4 + 2), destination.port);
    // A UDP checksum that came out as zero must be sent as all ones (RFC 768); for TCP both forms
    // are the same one's complement value.
    if (!tcp && l4_checksum == 0) l4_checksum = 0xffff;
    store16(l4 + checksum_offset, l4_checksum);
  }
  if (f == Family::v4) {
    std::uint16_t header_checksum = load16(ip + 10);
    header_checksum = update_bytes(header_checksum, {src, 4}, source.address.view());
    header_checksum = update_bytes(header_checksum, {dst, 4}, destination.address.view());
    store16(ip + 10, header_checksum);
  }
  std::copy_n(source.address.bytes.begin(), n, src);
  std::copy_n(destination.address.bytes.begin(), n, dst);
  store16(l4, source.port);
  store16(l4 + 2, destination.port);

  parsed.source = source.address;
  parsed.destination = destination.address;
  if (tcp) {
    parsed.tcp.source_port = source.port;
    parsed.tcp.destination_port = destination.port;
  } else {
    parsed.udp.source_port = source.port;
    parsed.udp.destination_port = destination.port;
  }
  return RewriteError::none;
}

}  // namespace tun
