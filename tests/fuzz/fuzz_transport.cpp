// Feeds arbitrary bytes to a fresh client Transport as if they came from the server: version
// exchange, packets, key exchange messages. It must never crash, hang or leak; the first byte
// picks how the input is chunked, and host keys that reach verification are accepted.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "ssh/crypto/random.hpp"
#include "ssh/transport/transport.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
#ifdef SSHPLEX_FUZZING
  ssh::crypto::fuzz_reset_random();
#endif
  if (size < 1) return 0;
  const std::size_t chunk = std::size_t{data[0]} * 4 + 1;
  ssh::ByteView input(data + 1, size - 1);
  ssh::transport::TransportConfig config;
  config.max_queued_bytes = 4096;
  auto now = ssh::transport::TimePoint{} + std::chrono::seconds(1);
  ssh::transport::Transport t(config, now);
  (void)t.send_payload(ssh::Bytes{5, 0, 0, 0, 12, 's', 's', 'h', '-', 'u', 's', 'e', 'r', 'a', 'u', 't', 'h'});
  for (std::size_t off = 0; off < input.size() && !t.is_closed(); off += chunk) {
    t.handle_bytes(input.subspan(off, std::min(chunk, input.size() - off)));
    while (auto ev = t.poll_event()) {
      if (std::holds_alternative<ssh::transport::tevent::HostKey>(*ev)) t.host_key_verdict(true);
    }
    while (t.poll_payload()) {
    }
    (void)t.take_transmit();
    now += std::chrono::milliseconds(100);
    t.handle_timeout(now);
    if (t.is_established()) t.request_rekey();
  }
  (void)t.next_deadline();
  return 0;
}
