#include "gateway/tunnel/tunnel_framing.hpp"

namespace gateway::tunnel {
namespace {

constexpr std::size_t kIpv4Header = 20;
constexpr std::size_t kIpv6Header = 40;

std::uint32_t read_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

std::size_t read_u16(const std::uint8_t* p) {
  return (std::size_t{p[0]} << 8) | std::size_t{p[1]};
}

}  // namespace

ssh::Bytes frame_packet(config::TunnelMode mode, std::span<const std::uint8_t> packet) {
  if (packet.empty()) return {};
  if (mode == config::TunnelMode::ethernet) return ssh::Bytes(packet.begin(), packet.end());
  const unsigned version = packet[0] >> 4;
  std::uint32_t af = 0;
  if (version == 4) {
    af = kWireAfInet;
  } else if (version == 6) {
    af = kWireAfInet6;
  } else {
    return {};
  }
  ssh::Bytes out;
  out.reserve(kAfHeaderSize + packet.size());
  out.push_back(static_cast<std::uint8_t>(af >> 24));
  out.push_back(static_cast<std::uint8_t>(af >> 16));
  out.push_back(static_cast<std::uint8_t>(af >> 8));
  out.push_back(static_cast<std::uint8_t>(af));
  out.insert(out.end(), packet.begin(), packet.end());
  return out;
}

void Deframer::push(ssh::ByteView message, const OnPacket& on_packet) {
  if (mode_ == config::TunnelMode::ethernet) {
    if (message.empty()) return;
    ++counters_.packets;
    on_packet(message);
    return;
  }
  buffer_.insert(buffer_.end(), message.begin(), message.end());
  std::size_t offset = 0;
  while (buffer_.size() - offset >= kAfHeaderSize + 1) {
    const std::uint8_t* p = buffer_.data() + offset;
    const std::size_t available = buffer_.size() - offset - kAfHeaderSize;
    const std::uint32_t af = read_u32(p);
    const std::uint8_t* ip = p + kAfHeaderSize;
    const unsigned version = ip[0] >> 4;
    const bool v4 = af == kWireAfInet && version == 4;
    const bool v6 = af == kWireAfInet6 && version == 6;
    if (!v4 && !v6) {
      // Not a packet we can find the end of: nothing after it in the stream can be trusted.
      ++counters_.dropped;
      offset = buffer_.size();
      break;
    }
    const std::size_t header = v4 ? kIpv4Header : kIpv6Header;
    if (available < header) break;
    const std::size_t length = v4 ? read_u16(ip + 2) : kIpv6Header + read_u16(ip + 4);
    if (length < header) {
      ++counters_.dropped;
      offset = buffer_.size();
      break;
    }
    if (available < length) break;
    ++counters_.packets;
    on_packet(std::span<const std::uint8_t>(ip, length));
    offset += kAfHeaderSize + length;
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(offset));
}

}  // namespace gateway::tunnel
