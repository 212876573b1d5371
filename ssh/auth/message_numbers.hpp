#pragma once
// Message numbers of the service request (RFC 4253 §10) and the user authentication protocol
// (RFC 4252 §6, RFC 4256 §5). Number 60 is reused by several methods; its meaning depends on
// which method's request is in flight.
#include <cstdint>

namespace ssh::auth::msg {

inline constexpr std::uint8_t kServiceRequest = 5;
inline constexpr std::uint8_t kServiceAccept = 6;
inline constexpr std::uint8_t kUserauthRequest = 50;
inline constexpr std::uint8_t kUserauthFailure = 51;
inline constexpr std::uint8_t kUserauthSuccess = 52;
inline constexpr std::uint8_t kUserauthBanner = 53;
// 60..79 are method-specific (RFC 4252 §6).
inline constexpr std::uint8_t kUserauthPkOk = 60;             // publickey (RFC 4252 §7)
inline constexpr std::uint8_t kUserauthPasswdChangereq = 60;  // password (RFC 4252 §8)
inline constexpr std::uint8_t kUserauthInfoRequest = 60;      // keyboard-interactive (RFC 4256 §3.2)
inline constexpr std::uint8_t kUserauthInfoResponse = 61;     // keyboard-interactive (RFC 4256 §3.4)

inline constexpr std::uint8_t kFirstAuthMessage = 50;
inline constexpr std::uint8_t kLastAuthMessage = 79;

}  // namespace ssh::auth::msg
