#pragma once
// Type-specific data of CHANNEL_OPEN for the channel types sshplex opens or accepts, beside the
// generic core (which carries it as bytes). Encoders for what we open, decoders for what the
// server opens; a decoder returns nullopt for missing fields (trailing bytes are tolerated, as
// for every other message).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ssh/wire/bytes.hpp"

namespace ssh::connection::channel_type {

inline constexpr std::string_view kSession = "session";                                   // RFC 4254 §6.1
inline constexpr std::string_view kDirectTcpip = "direct-tcpip";                          // RFC 4254 §7.2
inline constexpr std::string_view kForwardedTcpip = "forwarded-tcpip";                    // RFC 4254 §7.2
inline constexpr std::string_view kX11 = "x11";                                           // RFC 4254 §6.3.2
inline constexpr std::string_view kDirectStreamlocal = "direct-streamlocal@openssh.com";  // PROTOCOL §2.4
inline constexpr std::string_view kForwardedStreamlocal = "forwarded-streamlocal@openssh.com";
inline constexpr std::string_view kAuthAgent = "auth-agent@openssh.com";  // PROTOCOL.agent

// direct-tcpip: host to connect, port to connect, originator IP address, originator port.
Bytes direct_tcpip(std::string_view host, std::uint32_t port, std::string_view originator_host,
                   std::uint32_t originator_port);
// direct-streamlocal@openssh.com: socket path, then a reserved string and a reserved uint32.
Bytes direct_streamlocal(std::string_view socket_path);

// forwarded-tcpip: address that was connected, port that was connected, originator IP address,
// originator port.
struct ForwardedTcpip {
  std::string connected_address;
  std::uint32_t connected_port = 0;
  std::string originator_address;
  std::uint32_t originator_port = 0;
};
Bytes forwarded_tcpip(const ForwardedTcpip& open);
std::optional<ForwardedTcpip> parse_forwarded_tcpip(ByteView data);

// forwarded-streamlocal@openssh.com: socket path, then a reserved string.
struct ForwardedStreamlocal {
  std::string socket_path;
};
Bytes forwarded_streamlocal(const ForwardedStreamlocal& open);
std::optional<ForwardedStreamlocal> parse_forwarded_streamlocal(ByteView data);

// x11: originator address, originator port.
struct X11 {
  std::string originator_address;
  std::uint32_t originator_port = 0;
};
Bytes x11(const X11& open);
std::optional<X11> parse_x11(ByteView data);

// auth-agent@openssh.com carries no type-specific data.

}  // namespace ssh::connection::channel_type
