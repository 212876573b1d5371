#pragma once
// What the pumps of one owner (a forward) have done, for the metrics endpoint: channel opens, the
// clients that got no channel and why, and the payload bytes moved each way. Plain integers: every
// pump runs on the loop thread.
#include <array>
#include <cstddef>
#include <cstdint>

namespace gateway {

// Why a client got no channel: the server's RFC 4254 §5.1 reason codes, then the gateway's own.
enum class OpenFailure : std::uint8_t {
  administratively_prohibited,
  connect_failed,
  unknown_channel_type,
  resource_shortage,
  no_connection,  // none came up within TransportWaitTimeout, or the one carrying the open was lost
  limit,          // MaxClients or MaxPendingOpens
  other,          // a reason code outside RFC 4254's four
};
inline constexpr std::size_t kOpenFailureKinds = 7;

// The metric label: "connect_failed", ...
const char* open_failure_name(OpenFailure failure);
// An SSH_MSG_CHANNEL_OPEN_FAILURE reason code as one of the above.
OpenFailure open_failure_of_reason(std::uint32_t reason);

struct PumpCounters {
  std::uint64_t opens = 0;  // channels the server opened
  std::array<std::uint64_t, kOpenFailureKinds> open_failures{};
  std::uint64_t sent_bytes = 0;      // channel payload handed to the connection
  std::uint64_t received_bytes = 0;  // channel payload the server sent (extended data included)

  void failed(OpenFailure failure) { ++open_failures[static_cast<std::size_t>(failure)]; }
  std::uint64_t failures(OpenFailure failure) const { return open_failures[static_cast<std::size_t>(failure)]; }
};

}  // namespace gateway
