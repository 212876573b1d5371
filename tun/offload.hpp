#pragma once
// The offload header a tun device opened with IFF_VNET_HDR puts before each packet (struct
// virtio_net_hdr, virtio 1.x §5.1.6; little-endian, Linux's default on the hosts it runs on).
// With checksum and TCP segmentation offload on (TUNSETOFFLOAD), the kernel hands over one TCP
// "super-packet" of up to 64 KiB where it would otherwise write ~45 MTU-sized ones, with its
// transport checksum left partial (the pseudo-header sum only); written back with the same
// header, the kernel takes it whole. One read and one write then carry what 45 of each did.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "tun/packet.hpp"

namespace tun {

struct OffloadHeader {
  static constexpr std::size_t size = 10;
  static constexpr std::uint8_t needs_checksum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
  static constexpr std::uint8_t gso_none = 0;
  static constexpr std::uint8_t gso_tcpv4 = 1;
  static constexpr std::uint8_t gso_tcpv6 = 4;
  static constexpr std::uint8_t gso_ecn = 0x80;  // flag: the segments carry ECN's CWR as the first did

  std::uint8_t flags = 0;
  std::uint8_t gso_type = gso_none;
  std::uint16_t header_length = 0;    // IP + TCP headers of each segment
  std::uint16_t segment_size = 0;     // payload bytes per segment (the MSS)
  std::uint16_t checksum_start = 0;   // where the partially summed transport header starts
  std::uint16_t checksum_offset = 0;  // of the checksum field, from checksum_start

  bool partial() const { return (flags & needs_checksum) != 0; }
  bool segmented() const { return (gso_type & ~gso_ecn) != gso_none; }
};

std::optional<OffloadHeader> parse_offload_header(std::span<const std::uint8_t> data);
void encode_offload_header(const OffloadHeader& header, std::span<std::uint8_t, OffloadHeader::size> out);

enum class OffloadError : std::uint8_t {
  none,
  bad_checksum_place,  // the partial checksum's field is not the TCP / UDP checksum of `parsed`
  bad_segmentation,    // segmented, but not TCP of the family gso_type names
};

const char* to_string(OffloadError e);

// Makes a parsed packet with a partial checksum whole as the kernel would (the sum from
// checksum_start to the end, the pseudo-header sum in the field included), so the rest of the
// data path sees an ordinary packet. Not for segmented packets: those stay partial (check them with
// check_segmented and mark parsed.checksum_partial).
OffloadError complete_checksum(std::span<std::uint8_t> packet, const Packet& parsed, const OffloadHeader& header);
// A segmented packet must be TCP of the family its gso_type names, with its partial checksum where
// TCP's is.
OffloadError check_segmented(const Packet& parsed, const OffloadHeader& header);

}  // namespace tun
