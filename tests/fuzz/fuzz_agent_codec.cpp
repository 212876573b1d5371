// Bytes from an ssh-agent socket: deframing and decoding must never crash or allocate unboundedly.
#include <cstddef>
#include <cstdint>

#include "ssh/agent/agent_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ssh::ByteView input(data, size);
  // Whole frame bodies straight into the decoder.
  (void)ssh::agent::decode_response(input);
  // The stream split into uneven reads, as a socket delivers it.
  ssh::agent::FrameDecoder decoder(64 * 1024);
  std::size_t pos = 0;
  std::size_t step = 1;
  while (pos < size) {
    const std::size_t n = step < size - pos ? step : size - pos;
    decoder.feed(input.subspan(pos, n));
    pos += n;
    step = step * 3 % 17 + 1;
    while (true) {
      auto r = decoder.next();
      if (r.status != ssh::agent::FrameDecoder::Status::frame) break;
      (void)ssh::agent::decode_response(r.body);
    }
  }
  return 0;
}
