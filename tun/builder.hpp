#pragma once
// Packets we originate toward the device: UDP datagrams (DNS answers) and TCP resets (a refused or
// unknown flow). Headers are written whole with their checksums; one allocation per packet built.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "tun/address.hpp"
#include "tun/packet.hpp"

namespace tun {

using Bytes = std::vector<std::uint8_t>;

// The TTL / hop limit of packets we originate (Linux's default).
inline constexpr std::uint8_t default_ttl = 64;

std::size_t ip_header_size(Family family);
// Writes a 20-byte IPv4 header (no options, DF set, identification 0: RFC 6864 §4.1 allows it for an
// atomic datagram) with its checksum, or a 40-byte IPv6 header, into `out`. `payload_length` must fit
// (IPv4: 65515, IPv6: 65535).
void write_ip_header(std::uint8_t* out, const IpAddress& source, const IpAddress& destination, std::uint8_t protocol,
                     std::size_t payload_length, std::uint8_t ttl = default_ttl);

// A UDP datagram from `source` to `destination` (same family) carrying `payload`, checksummed (also
// over IPv4, where it is optional). Empty when the payload does not fit in one IP packet.
std::optional<Bytes> build_udp(const Endpoint& source, const Endpoint& destination,
                               std::span<const std::uint8_t> payload);

// The reset RFC 9293 §3.10.7.1 answers a segment with when no connection exists: from the segment's
// destination to its source; with the segment's ack as our seq when it carried ACK, else seq 0 and
// ACK of everything it occupied (SYN and FIN count one each). Empty for a segment that is itself a
// reset (never answered) or that is not TCP.
std::optional<Bytes> build_tcp_reset(const Packet& segment);

}  // namespace tun
