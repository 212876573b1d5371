#pragma once
// The SOCKS5 reply that best tells a client why the SSH server could not open its direct-tcpip channel.
#include <cstdint>
#include <string_view>

#include "socks/reply.hpp"

namespace socks {

// RFC 4254 §5.1 SSH_MSG_CHANNEL_OPEN_FAILURE reason codes.
inline constexpr std::uint32_t ssh_open_administratively_prohibited = 1;
inline constexpr std::uint32_t ssh_open_connect_failed = 2;
inline constexpr std::uint32_t ssh_open_unknown_channel_type = 3;
inline constexpr std::uint32_t ssh_open_resource_shortage = 4;

// `description` is the server's free text: OpenSSH sends the strerror / gai_strerror text of its own
// connect or lookup ("Connection refused", "No route to host", "Name or service not known",
// "Network is unreachable", "Connection timed out"). Matching is case-insensitive on substrings;
// anything unrecognised is general failure (RFC 1928 §6 code 1).
ReplyCode reply_for_channel_open_failure(std::uint32_t reason_code, std::string_view description);

}  // namespace socks
