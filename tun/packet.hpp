#pragma once
// Parsing of one IP packet as read from a tun device (no link header): the IPv4 header (RFC 791) or
// the IPv6 fixed header and its extension headers (RFC 8200 §4), then the TCP (RFC 9293 §3.1), UDP
// (RFC 768) or ICMP / ICMPv6 (RFC 792, RFC 4443) header. Every length is checked against the buffer
// and against the other lengths; nothing is read outside the span, nothing is allocated.
#include <cstddef>
#include <cstdint>
#include <span>

#include "tun/address.hpp"

namespace tun {

inline constexpr std::uint8_t protocol_icmp = 1;
inline constexpr std::uint8_t protocol_tcp = 6;
inline constexpr std::uint8_t protocol_udp = 17;
inline constexpr std::uint8_t protocol_icmpv6 = 58;

// TCP flags (RFC 9293 §3.1).
inline constexpr std::uint8_t tcp_fin = 0x01;
inline constexpr std::uint8_t tcp_syn = 0x02;
inline constexpr std::uint8_t tcp_rst = 0x04;
inline constexpr std::uint8_t tcp_psh = 0x08;
inline constexpr std::uint8_t tcp_ack = 0x10;

enum class ParseError : std::uint8_t {
  none,
  empty,
  bad_version,          // neither 4 nor 6 in the first nibble
  truncated_ip_header,  // fewer bytes than the fixed header
  bad_ihl,              // IPv4 IHL below 5 or beyond the packet
  bad_total_length,     // IPv4 total length below the header or beyond the buffer
  bad_header_checksum,  // IPv4 header checksum does not verify
  bad_payload_length,   // IPv6 payload length beyond the buffer
  truncated_extension,  // an IPv6 extension header runs past the payload
  truncated_transport,  // fewer bytes than the TCP / UDP / ICMP header needs
  bad_tcp_data_offset,  // data offset below 5 or beyond the segment
  bad_udp_length,       // UDP length below 8 or beyond the IP payload
};

const char* to_string(ParseError e);

// What follows the IP header(s).
enum class Transport : std::uint8_t {
  tcp,
  udp,
  icmp,      // ICMP over IPv4 or ICMPv6 over IPv6
  fragment,  // any IPv4 fragment, or an IPv6 packet with a fragment header: not parsed further
  other,     // another protocol (or IPv6 "no next header"): `protocol` says which
};

struct TcpHeader {
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
};

struct UdpHeader {
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint16_t length = 0;  // header + data, as the header says (checked <= the IP payload)
};

struct IcmpHeader {
  std::uint8_t type = 0;
  std::uint8_t code = 0;
};

struct Packet {
  Family family = Family::v4;
  IpAddress source;
  IpAddress destination;
  std::uint8_t ttl = 0;       // IPv4 TTL or IPv6 hop limit
  std::uint8_t protocol = 0;  // IPv4 protocol or the last IPv6 next header
  Transport transport = Transport::other;
  std::size_t length = 0;            // bytes of the packet proper (IPv4 total length, 40 + IPv6 payload length)
  std::size_t transport_offset = 0;  // where the TCP/UDP/ICMP header (or what follows the IP headers) starts
  std::size_t payload_offset = 0;    // where the transport's data starts (TCP after options, UDP after 8 bytes)
  std::size_t payload_end = 0;       // end of the transport's data (UDP: by its own length)
  // IPv6 with a routing header that has segments left: the transport checksum covers the final
  // destination (RFC 8200 §8.1), not the destination field.
  bool routed = false;
  // Set by the caller for an offloaded packet (tun/offload.hpp): the TCP / UDP checksum field holds
  // only the pseudo-header sum, which the kernel completes over the rest.
  bool checksum_partial = false;
  TcpHeader tcp;
  UdpHeader udp;
  IcmpHeader icmp;

  std::size_t payload_size() const { return payload_end - payload_offset; }
  std::uint16_t source_port() const;       // TCP or UDP, else 0
  std::uint16_t destination_port() const;  // TCP or UDP, else 0
};

struct ParseResult {
  ParseError error = ParseError::none;
  Packet packet;
  bool ok() const { return error == ParseError::none; }
};

// Bytes past the packet's own length (IPv4 total length, IPv6 40 + payload length) are ignored.
ParseResult parse(std::span<const std::uint8_t> data);

}  // namespace tun
