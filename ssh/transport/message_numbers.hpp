#pragma once
// Message numbers the transport layer owns or dispatches (RFC 4250 §4.1, RFC 8308 §2.3,
// RFC 4419 §5, OpenSSH PROTOCOL §1.9 for ping).
#include <cstdint>

namespace ssh::transport::msg {

inline constexpr std::uint8_t kDisconnect = 1;
inline constexpr std::uint8_t kIgnore = 2;
inline constexpr std::uint8_t kUnimplemented = 3;
inline constexpr std::uint8_t kDebug = 4;
inline constexpr std::uint8_t kServiceRequest = 5;
inline constexpr std::uint8_t kServiceAccept = 6;
inline constexpr std::uint8_t kExtInfo = 7;
inline constexpr std::uint8_t kNewCompress = 8;
inline constexpr std::uint8_t kKexInit = 20;
inline constexpr std::uint8_t kNewKeys = 21;

// Key-exchange-method specific range (RFC 4253 §12); the meaning depends on the method.
inline constexpr std::uint8_t kKexFirst = 30;
inline constexpr std::uint8_t kKexLast = 49;
inline constexpr std::uint8_t kKexDhInit = 30;   // also SSH_MSG_KEX_ECDH_INIT (RFC 5656 §7.1)
inline constexpr std::uint8_t kKexDhReply = 31;  // also SSH_MSG_KEX_ECDH_REPLY
inline constexpr std::uint8_t kKexDhGexGroup = 31;
inline constexpr std::uint8_t kKexDhGexInit = 32;
inline constexpr std::uint8_t kKexDhGexReply = 33;
inline constexpr std::uint8_t kKexDhGexRequest = 34;

// First message number of the user authentication protocol: everything below is transport.
inline constexpr std::uint8_t kUserauthFirst = 50;
// SSH_MSG_USERAUTH_SUCCESS (RFC 4252 §5.1): delayed compression starts after it (PROTOCOL §2.2).
inline constexpr std::uint8_t kUserauthSuccess = 52;

inline constexpr std::uint8_t kPing = 192;  // SSH2_MSG_PING
inline constexpr std::uint8_t kPong = 193;  // SSH2_MSG_PONG

inline constexpr bool is_kex_message(std::uint8_t n) {
  return n == kKexInit || n == kNewKeys || (n >= kKexFirst && n <= kKexLast);
}

}  // namespace ssh::transport::msg
