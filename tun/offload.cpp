#include "tun/offload.hpp"

#include "tun/byte_order.hpp"
#include "tun/checksum.hpp"

namespace tun {
namespace {

std::uint16_t load_le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
void store_le16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v & 0xff);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}

// The checksum field of the packet's TCP or UDP header, from the IP header's start.
std::optional<std::size_t> transport_checksum_field(const Packet& parsed) {
  if (parsed.transport == Transport::tcp) return parsed.transport_offset + 16;
  if (parsed.transport == Transport::udp) return parsed.transport_offset + 6;
  return std::nullopt;
}

bool checksum_place_matches(const Packet& parsed, const OffloadHeader& header) {
  const auto field = transport_checksum_field(parsed);
  return field && header.checksum_start == parsed.transport_offset &&
         std::size_t{header.checksum_start} + header.checksum_offset == *field;
}

}  // namespace

std::optional<OffloadHeader> parse_offload_header(std::span<const std::uint8_t> data) {
  if (data.size() < OffloadHeader::size) return std::nullopt;
  OffloadHeader h;
  h.flags = data[0];
  h.gso_type = data[1];
  h.header_length = load_le16(&data[2]);
  h.segment_size = load_le16(&data[4]);
  h.checksum_start = load_le16(&data[6]);
  h.checksum_offset = load_le16(&data[8]);
  return h;
}

void encode_offload_header(const OffloadHeader& header, std::span<std::uint8_t, OffloadHeader::size> out) {
  out[0] = header.flags;
  out[1] = header.gso_type;
  store_le16(&out[2], header.header_length);
  store_le16(&out[4], header.segment_size);
  store_le16(&out[6], header.checksum_start);
  store_le16(&out[8], header.checksum_offset);
}

const char* to_string(OffloadError e) {
  switch (e) {
    case OffloadError::none:
      return "none";
    case OffloadError::bad_checksum_place:
      return "the partial checksum is not the transport's checksum field";
    case OffloadError::bad_segmentation:
      return "a segmented packet that is not TCP of the family it names";
  }
  return "?";
}

OffloadError complete_checksum(std::span<std::uint8_t> packet, const Packet& parsed, const OffloadHeader& header) {
  if (!header.partial()) return OffloadError::none;
  if (!checksum_place_matches(parsed, header) || parsed.payload_end > packet.size()) {
    return OffloadError::bad_checksum_place;
  }
  const std::size_t field = std::size_t{header.checksum_start} + header.checksum_offset;
  // The field holds the pseudo-header sum: summing over it adds that in. The sum ends where the
  // transport's data does (UDP's own length, which may be short of the IP payload).
  std::uint16_t checksum =
      internet_checksum(packet.subspan(header.checksum_start, parsed.payload_end - header.checksum_start));
  // RFC 768: a UDP checksum that computes to zero is sent as all ones (zero means "none").
  if (parsed.transport == Transport::udp && checksum == 0) checksum = 0xffff;
  store16(packet.data() + field, checksum);
  return OffloadError::none;
}

OffloadError check_segmented(const Packet& parsed, const OffloadHeader& header) {
  const std::uint8_t type = header.gso_type & static_cast<std::uint8_t>(~OffloadHeader::gso_ecn);
  const bool family_ok = (type == OffloadHeader::gso_tcpv4 && parsed.family == Family::v4) ||
                         (type == OffloadHeader::gso_tcpv6 && parsed.family == Family::v6);
  if (parsed.transport != Transport::tcp || !family_ok || header.segment_size == 0) {
    return OffloadError::bad_segmentation;
  }
  if (!header.partial() || !checksum_place_matches(parsed, header)) return OffloadError::bad_checksum_place;
  return OffloadError::none;
}

}  // namespace tun
