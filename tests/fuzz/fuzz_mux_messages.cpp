// What a control-socket client sends (and, for sshplex's own client, what a master answers): the
// deframer and both parsers must refuse what they cannot read without crashing, and whatever
// parses must encode back to a frame that parses to the same message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ssh/mux/mux_messages.hpp"
#include "ssh/wire/frame_decoder.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

template <class Parse>
void round_trip(const ssh::Bytes& frame, Parse parse) {
  ssh::wire::FrameDecoder d("fuzz", ssh::mux::kMaxMessage);
  d.feed(frame);
  const auto r = d.next();
  check(r.status == ssh::wire::FrameDecoder::Status::frame);
  std::string error;
  check(parse(r.body, error).has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ssh::wire::FrameDecoder decoder("fuzz", 4096);
  const ssh::ByteView input(data, size);
  decoder.feed(input.first(size / 2));
  decoder.skip(size % 3);
  decoder.feed(input.subspan(size / 2));
  for (int i = 0; i < 64; ++i) {
    const auto r = decoder.next();
    if (r.status != ssh::wire::FrameDecoder::Status::frame) break;
    std::string error;
    if (auto m = ssh::mux::parse_client(r.body, error)) {
      std::visit([](const auto& msg) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(msg)>, ssh::mux::Unknown>) {
          round_trip(ssh::mux::encode(msg), ssh::mux::parse_client);
        }
      }, *m);
    }
    if (auto m = ssh::mux::parse_master(r.body, error)) {
      std::visit([](const auto& msg) { round_trip(ssh::mux::encode(msg), ssh::mux::parse_master); }, *m);
    }
  }
  return 0;
}
