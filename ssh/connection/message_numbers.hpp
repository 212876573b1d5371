#pragma once
// Message numbers of the connection protocol (RFC 4254 §9).
#include <cstdint>

namespace ssh::connection::msg {

inline constexpr std::uint8_t kGlobalRequest = 80;
inline constexpr std::uint8_t kRequestSuccess = 81;
inline constexpr std::uint8_t kRequestFailure = 82;
inline constexpr std::uint8_t kChannelOpen = 90;
inline constexpr std::uint8_t kChannelOpenConfirmation = 91;
inline constexpr std::uint8_t kChannelOpenFailure = 92;
inline constexpr std::uint8_t kChannelWindowAdjust = 93;
inline constexpr std::uint8_t kChannelData = 94;
inline constexpr std::uint8_t kChannelExtendedData = 95;
inline constexpr std::uint8_t kChannelEof = 96;
inline constexpr std::uint8_t kChannelClose = 97;
inline constexpr std::uint8_t kChannelRequest = 98;
inline constexpr std::uint8_t kChannelSuccess = 99;
inline constexpr std::uint8_t kChannelFailure = 100;

// RFC 4251 §7: 80..127 belong to the connection protocol.
inline constexpr std::uint8_t kFirstConnectionMessage = 80;
inline constexpr std::uint8_t kLastConnectionMessage = 127;

// RFC 4254 §5.1 reason codes for SSH_MSG_CHANNEL_OPEN_FAILURE.
inline constexpr std::uint32_t kOpenAdministrativelyProhibited = 1;
inline constexpr std::uint32_t kOpenConnectFailed = 2;
inline constexpr std::uint32_t kOpenUnknownChannelType = 3;
inline constexpr std::uint32_t kOpenResourceShortage = 4;

}  // namespace ssh::connection::msg
