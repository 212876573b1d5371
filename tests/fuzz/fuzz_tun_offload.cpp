// A packet with the offload header a tun device puts before it (tun/offload.hpp): the header and
// the packet come from the input. Nothing reads outside the span; with the pseudo-header sum in
// its field (as the kernel leaves it) a completed checksum verifies, and rewriting the partial
// checksum and then completing it gives what rewriting the completed packet gives.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "tun/checksum.hpp"
#include "tun/offload.hpp"
#include "tun/packet.hpp"
#include "tun/rewrite.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

std::uint16_t field_of(const std::vector<std::uint8_t>& p, const tun::OffloadHeader& h) {
  const std::size_t at = std::size_t{h.checksum_start} + h.checksum_offset;
  return static_cast<std::uint16_t>((p[at] << 8) | p[at + 1]);
}

// 0x0000 and 0xffff are the same one's complement value (UDP sends the first as the second).
bool same_checksum(std::uint16_t a, std::uint16_t b) {
  const auto norm = [](std::uint16_t v) { return v == 0 ? std::uint16_t{0xffff} : v; };
  return norm(a) == norm(b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto header = tun::parse_offload_header({data, size});
  if (!header) return 0;
  // Exactly the packet's size, so that any read past it is caught by the sanitizers.
  std::vector<std::uint8_t> packet(data + tun::OffloadHeader::size, data + size);
  auto parsed = tun::parse(packet);
  if (!parsed.ok()) return 0;
  tun::Packet& p = parsed.packet;

  if (header->segmented()) {
    if (tun::check_segmented(p, *header) != tun::OffloadError::none) return 0;
    check(p.transport == tun::Transport::tcp);
  }
  std::vector<std::uint8_t> completed = packet;
  if (tun::complete_checksum(completed, p, *header) != tun::OffloadError::none) return 0;
  if (!header->partial() || p.routed) return 0;
  check(p.transport == tun::Transport::tcp || p.transport == tun::Transport::udp);
  // The kernel leaves the pseudo-header sum in the field; with that, the completion verifies.
  const std::size_t at = std::size_t{header->checksum_start} + header->checksum_offset;
  const std::uint16_t pseudo = tun::pseudo_header_sum(p.source, p.destination, p.protocol,
                                                      static_cast<std::uint32_t>(p.payload_end - p.transport_offset));
  packet[at] = static_cast<std::uint8_t>(pseudo >> 8);
  packet[at + 1] = static_cast<std::uint8_t>(pseudo & 0xff);
  completed = packet;
  check(tun::complete_checksum(completed, p, *header) == tun::OffloadError::none);
  const std::span<const std::uint8_t> l4(completed.data() + p.transport_offset, p.payload_end - p.transport_offset);
  check(tun::verifies(
            l4, tun::pseudo_header_sum(p.source, p.destination, p.protocol, static_cast<std::uint32_t>(l4.size()))) ||
        (p.transport == tun::Transport::udp && field_of(completed, *header) == 0xffff));

  // Rewritten partial, then completed == completed, then rewritten.
  tun::Packet full = p;
  tun::Packet partial = p;
  partial.checksum_partial = true;
  tun::IpAddress source = p.destination;
  tun::IpAddress destination = p.source;
  const tun::Endpoint s{source, static_cast<std::uint16_t>(p.destination_port() ^ 0x5a5a)};
  const tun::Endpoint d{destination, static_cast<std::uint16_t>(p.source_port() + 1)};
  check(tun::rewrite(completed, full, s, d) == tun::RewriteError::none);
  check(tun::rewrite(packet, partial, s, d) == tun::RewriteError::none);
  check(tun::complete_checksum(packet, partial, *header) == tun::OffloadError::none);
  check(same_checksum(field_of(packet, *header), field_of(completed, *header)));
  packet[at] = completed[at];
  packet[at + 1] = completed[at + 1];
  check(packet == completed);
  return 0;
}
