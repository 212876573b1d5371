#pragma once
// Request data of the remote forwarding global requests, and the reply to a tcpip-forward for
// port 0: RFC 4254 §7.1 (tcpip-forward / cancel-tcpip-forward) and OpenSSH PROTOCOL §2.4
// (streamlocal-forward@openssh.com / cancel-streamlocal-forward@openssh.com).
#include <cstdint>
#include <optional>
#include <string_view>

#include "ssh/wire/bytes.hpp"

namespace ssh::connection {

inline constexpr std::string_view kTcpipForward = "tcpip-forward";
inline constexpr std::string_view kCancelTcpipForward = "cancel-tcpip-forward";
inline constexpr std::string_view kStreamlocalForward = "streamlocal-forward@openssh.com";
inline constexpr std::string_view kCancelStreamlocalForward = "cancel-streamlocal-forward@openssh.com";

// string address to bind, uint32 port to bind; the cancel carries the same fields.
Bytes tcpip_forward_data(std::string_view bind_address, std::uint32_t port);
// string socket path; the cancel carries the same field.
Bytes streamlocal_forward_data(std::string_view socket_path);
// The uint32 port in a REQUEST_SUCCESS to tcpip-forward with port 0; nullopt unless the data is
// exactly one uint32 in 1..65535.
std::optional<std::uint32_t> parse_allocated_port(ByteView reply_data);

}  // namespace ssh::connection
