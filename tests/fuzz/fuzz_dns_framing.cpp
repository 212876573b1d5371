// A DNS-over-TCP byte stream: the reader yields the same messages however the stream is split,
// holds at most one message, and the header helpers never read past what they are given.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "tun/dns_framing.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct Outcome {
  std::vector<std::vector<std::uint8_t>> messages;
  bool error = false;
};

Outcome run(std::span<const std::uint8_t> input, std::size_t chunk, std::size_t max) {
  tun::DnsStreamReader reader(max);
  Outcome o;
  while (!input.empty() && !o.error) {
    auto part = input.first(std::min(chunk, input.size()));
    input = input.subspan(part.size());
    while (!part.empty()) {
      const auto s = reader.feed(part);
      check(reader.buffered() <= max + 2);
      if (s == tun::DnsStreamReader::Status::error) {
        o.error = true;
        break;
      }
      if (s == tun::DnsStreamReader::Status::message) {
        const auto m = reader.message();
        check(m.size() >= tun::dns_header_size && m.size() <= max);
        o.messages.emplace_back(m.begin(), m.end());
      }
    }
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  const std::size_t max = (data[1] & 1) != 0 ? 512 : 65535;
  const std::span<const std::uint8_t> input(data + 2, size - 2);

  const Outcome whole = run(input, input.size() + 1, max);
  const Outcome pieces = run(input, chunk, max);
  check(whole.error == pieces.error);
  check(whole.messages == pieces.messages);

  for (const auto& m : whole.messages) {
    // Every message frames back to itself, and the UDP-side helpers hold their promises.
    const auto framed = tun::frame_dns_message(m);
    check(framed.has_value() && framed->size() == m.size() + 2);
    const std::size_t limit = tun::dns_udp_limit(m);
    check(limit >= 512 && limit <= 65535);
    std::vector<std::uint8_t> cut = m;
    tun::truncate_dns_for_udp(cut, 512);
    check(cut.size() <= std::max<std::size_t>(512, tun::dns_header_size));
    if (cut.size() < m.size()) check(tun::dns_is_truncated(cut));
    check(tun::dns_id(cut) == tun::dns_id(m));
  }
  // The helpers straight on the raw bytes.
  (void)tun::dns_udp_limit(input);
  (void)tun::dns_is_truncated(input);
  std::vector<std::uint8_t> raw(input.begin(), input.end());
  tun::truncate_dns_for_udp(raw, data[0]);
  return 0;
}
