#include "tun/packet.hpp"

#include <algorithm>

#include "tun/byte_order.hpp"
#include "tun/checksum.hpp"

namespace tun {

namespace {

// IPv6 extension headers we walk (RFC 8200 §4.2); a fragment header ends the walk as a fragment.
constexpr std::uint8_t ext_hop_by_hop = 0;
constexpr std::uint8_t ext_routing = 43;
constexpr std::uint8_t ext_fragment = 44;
constexpr std::uint8_t ext_destination = 60;

ParseResult fail(ParseError e) {
  ParseResult r;
  r.error = e;
  return r;
}

// The transport header at packet.transport_offset, within packet.length bytes of `data`.
ParseError parse_transport(std::span<const std::uint8_t> data, Packet& p) {
  const std::uint8_t* t = data.data() + p.transport_offset;
  const std::size_t available = p.length - p.transport_offset;
  p.payload_offset = p.transport_offset;
  p.payload_end = p.length;
  const bool icmp = (p.family == Family::v4 && p.protocol == protocol_icmp) ||
                    (p.family == Family::v6 && p.protocol == protocol_icmpv6);
  if (p.protocol == protocol_tcp) {
    if (available < 20) return ParseError::truncated_transport;
    const std::size_t offset = std::size_t{static_cast<std::uint8_t>(t[12] >> 4)} * 4;
    if (offset < 20 || offset > available) return ParseError::bad_tcp_data_offset;
    p.transport = Transport::tcp;
    p.tcp.source_port = load16(t);
    p.tcp.destination_port = load16(t + 2);
    p.tcp.seq = load32(t + 4);
    p.tcp.ack = load32(t + 8);
    p.tcp.flags = t[13];
    p.tcp.window = load16(t + 14);
    p.payload_offset = p.transport_offset + offset;
  } else if (p.protocol == protocol_udp) {
    if (available < 8) return ParseError::truncated_transport;
    const std::uint16_t length = load16(t + 4);
    if (length < 8 || length > available) return ParseError::bad_udp_length;
    p.transport = Transport::udp;
    p.udp.source_port = load16(t);
    p.udp.destination_port = load16(t + 2);
    p.udp.length = length;
    p.payload_offset = p.transport_offset + 8;
    p.payload_end = p.transport_offset + length;
  } else if (icmp) {
    // Every ICMP and ICMPv6 message has at least type, code, checksum and 4 more bytes.
    if (available < 8) return ParseError::truncated_transport;
    p.transport = Transport::icmp;
    p.icmp.type = t[0];
    p.icmp.code = t[1];
    p.payload_offset = p.transport_offset + 8;
  } else {
    p.transport = Transport::other;
  }
  return ParseError::none;
}

ParseResult parse_v4(std::span<const std::uint8_t> data) {
  if (data.size() < 20) return fail(ParseError::truncated_ip_header);
  const std::size_t ihl = std::size_t{static_cast<std::uint8_t>(data[0] & 0x0f)} * 4;
  if (ihl < 20 || ihl > data.size()) return fail(ParseError::bad_ihl);
  const std::size_t total = load16(data.data() + 2);
  if (total < ihl || total > data.size()) return fail(ParseError::bad_total_length);
  if (!verifies(data.first(ihl))) return fail(ParseError::bad_header_checksum);
  ParseResult r;
  Packet& p = r.packet;
  p.family = Family::v4;
  p.length = total;
  p.ttl = data[8];
  p.protocol = data[9];
  std::copy_n(data.data() + 12, 4, p.source.bytes.begin());
  std::copy_n(data.data() + 16, 4, p.destination.bytes.begin());
  p.transport_offset = ihl;
  p.payload_offset = ihl;
  p.payload_end = total;
  const std::uint16_t frag = load16(data.data() + 6);
  const bool more_fragments = (frag & 0x2000) != 0;
  const bool offset = (frag & 0x1fff) != 0;
  if (more_fragments || offset) {
    p.transport = Transport::fragment;
    return r;
  }
  r.error = parse_transport(data, p);
  return r;
}

ParseResult parse_v6(std::span<const std::uint8_t> data) {
  if (data.size() < 40) return fail(ParseError::truncated_ip_header);
  const std::size_t total = 40 + std::size_t{load16(data.data() + 4)};
  // A jumbogram (payload length 0 with a hop-by-hop jumbo option, RFC 2675) is not a tun MTU's size.
  if (total > data.size()) return fail(ParseError::bad_payload_length);
  ParseResult r;
  Packet& p = r.packet;
  p.family = Family::v6;
  p.source.family = Family::v6;
  p.destination.family = Family::v6;
  p.length = total;
  p.ttl = data[7];
  std::copy_n(data.data() + 8, 16, p.source.bytes.begin());
  std::copy_n(data.data() + 24, 16, p.destination.bytes.begin());
  std::uint8_t next = data[6];
  std::size_t offset = 40;
  while (true) {
    if (next == ext_fragment) {
      if (total - offset < 8) return fail(ParseError::truncated_extension);
      p.protocol = next;
      p.transport = Transport::fragment;
      p.transport_offset = offset;
      p.payload_offset = offset;
      p.payload_end = total;
      return r;
    }
    if (next != ext_hop_by_hop && next != ext_routing && next != ext_destination) break;
    if (total - offset < 8) return fail(ParseError::truncated_extension);
    const std::size_t size = (std::size_t{data[offset + 1]} + 1) * 8;
    if (size > total - offset) return fail(ParseError::truncated_extension);
    // Segments left: the destination field is not the final destination (RFC 8200 §4.4).
    if (next == ext_routing && data[offset + 3] != 0) p.routed = true;
    next = data[offset];
    offset += size;
  }
  p.protocol = next;
  p.transport_offset = offset;
  r.error = parse_transport(data, p);
  return r;
}

}  // namespace

const char* to_string(ParseError e) {
  switch (e) {
    case ParseError::none:
      return "ok";
    case ParseError::empty:
      return "empty packet";
    case ParseError::bad_version:
      return "not IPv4 or IPv6";
    case ParseError::truncated_ip_header:
      return "truncated IP header";
    case ParseError::bad_ihl:
      return "bad IPv4 header length";
    case ParseError::bad_total_length:
      return "bad IPv4 total length";
    case ParseError::bad_header_checksum:
      return "bad IPv4 header checksum";
    case ParseError::bad_payload_length:
      return "bad IPv6 payload length";
    case ParseError::truncated_extension:
      return "truncated IPv6 extension header";
    case ParseError::truncated_transport:
      return "truncated transport header";
    case ParseError::bad_tcp_data_offset:
      return "bad TCP data offset";
    case ParseError::bad_udp_length:
      return "bad UDP length";
  }
  return "unknown";
}

std::uint16_t Packet::source_port() const {
  if (transport == Transport::tcp) return tcp.source_port;
  if (transport == Transport::udp) return udp.source_port;
  return 0;
}

std::uint16_t Packet::destination_port() const {
  if (transport == Transport::tcp) return tcp.destination_port;
  if (transport == Transport::udp) return udp.destination_port;
  return 0;
}

ParseResult parse(std::span<const std::uint8_t> data) {
  if (data.empty()) return fail(ParseError::empty);
  switch (data[0] >> 4) {
    case 4:
      return parse_v4(data);
    case 6:
      return parse_v6(data);
    default:
      return fail(ParseError::bad_version);
  }
}

}  // namespace tun
