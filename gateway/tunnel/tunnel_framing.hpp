#pragma once
// How ssh's tun forwarding (tun@openssh.com, OpenSSH PROTOCOL "Tunnel forward") carries packets in
// a channel's data.
//
// - point-to-point (layer 3): each IP packet travels behind a 4-byte address family header,
//   big-endian, with OpenBSD's values whatever the systems are: 2 for IPv4, 24 for IPv6. The
//   local tun device has no header (IFF_NO_PI): it is added on the way out and removed on the way
//   in.
// - ethernet (layer 2): raw Ethernet frames, nothing added.
//
// OpenSSH sends one packet per CHANNEL_DATA message and writes each message as one packet. The
// deframer takes that, and is robust to a stream cut elsewhere in point-to-point mode: the IP
// header's length tells where each packet ends, so packets split across messages, or several in
// one, come out whole. Ethernet frames carry no length; there each message is one frame.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "gateway/config/options.hpp"
#include "ssh/wire/bytes.hpp"

namespace gateway::tunnel {

// The address family values on the wire.
inline constexpr std::uint32_t kWireAfInet = 2;
inline constexpr std::uint32_t kWireAfInet6 = 24;
inline constexpr std::size_t kAfHeaderSize = 4;

// A packet read from the local device as channel data: the header prepended in point-to-point
// mode. Empty when the packet is neither IPv4 nor IPv6 (point-to-point) or empty: it is dropped.
ssh::Bytes frame_packet(config::TunnelMode mode, std::span<const std::uint8_t> packet);

class Deframer {
 public:
  using OnPacket = std::function<void(std::span<const std::uint8_t> packet)>;
  struct Counters {
    std::uint64_t packets = 0;
    std::uint64_t dropped = 0;  // not IPv4/IPv6, a bad length or an unknown family: discarded
  };

  explicit Deframer(config::TunnelMode mode) : mode_(mode) {}
  // One CHANNEL_DATA message: every whole packet in it (and in what was kept from earlier
  // messages) goes to `on_packet`, without its header, in order.
  void push(ssh::ByteView message, const OnPacket& on_packet);
  // Bytes of an unfinished packet kept for the next message.
  std::size_t pending() const { return buffer_.size(); }
  const Counters& counters() const { return counters_; }

 private:
  config::TunnelMode mode_;
  ssh::Bytes buffer_;
  Counters counters_;
};

}  // namespace gateway::tunnel
