#pragma once
// Per-listener bounds (MaxClients, MaxPendingOpens, TransportWaitTimeout) that keep one busy or
// hostile listener from exhausting descriptors, memory or the server's patience.
#include <chrono>
#include <cstdint>

namespace gateway {

struct ForwardLimits {
  std::uint32_t max_clients = 16384;      // accepted clients alive at once
  std::uint32_t max_pending_opens = 256;  // clients waiting for a connection or a channel open
  std::chrono::milliseconds wait_timeout{15000};  // how long a client may wait for a connection
};

}  // namespace gateway
