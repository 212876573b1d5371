// An X11 client's connection setup, as the server relays it to us: the check must never crash or
// buffer more than one setup, must reach the same verdict however the bytes are split, and must
// only ever accept the fake cookie (then hand on exactly the setup with the real one in place).
// The first line is also read as a DISPLAY value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gateway/session/x11_auth.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

const ssh::Bytes kFake(16, 0xaa);
const ssh::Bytes kReal(16, 0x55);

gateway::session::X11SetupCheck::Verdict run(ssh::ByteView input, std::size_t split, ssh::Bytes& rewritten,
                                             std::size_t& consumed) {
  gateway::session::X11SetupCheck check_("MIT-MAGIC-COOKIE-1", kFake, kReal);
  auto verdict = gateway::session::X11SetupCheck::Verdict::need_more;
  consumed = 0;
  const ssh::ByteView parts[2] = {input.first(split), input.subspan(split)};
  for (const auto& part : parts) {
    std::size_t used = 0;
    verdict = check_.feed(part, used);
    check(used <= part.size());
    consumed += used;
    if (verdict != gateway::session::X11SetupCheck::Verdict::need_more) break;
  }
  rewritten = check_.rewritten();
  return verdict;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ssh::ByteView input(data, size);
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::string error;
  (void)gateway::session::parse_display(text.substr(0, text.find('\n')), error);

  ssh::Bytes whole_setup, split_setup;
  std::size_t whole_used = 0, split_used = 0;
  const auto whole = run(input, size, whole_setup, whole_used);
  const auto split = run(input, size / 2, split_setup, split_used);
  check(whole == split);
  if (whole == gateway::session::X11SetupCheck::Verdict::accepted) {
    check(whole_used == split_used);
    check(whole_setup == split_setup);
    check(whole_setup.size() == whole_used);
    // The fake cookie went in, the real one comes out, and nothing else changed.
    std::size_t differing = 0;
    for (std::size_t i = 0; i < whole_used; ++i) differing += whole_setup[i] != data[i] ? 1 : 0;
    check(differing <= kReal.size());
  }
  return 0;
}
