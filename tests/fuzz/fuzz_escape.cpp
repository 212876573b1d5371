// What a user types into an interactive session: the escape filter must pass every byte that is
// not part of an escape sequence, in order, and reach the same result however reads split it.
// First byte: the escape character (0xff: none).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gateway/session/escape.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

std::string run(int escape, ssh::ByteView input, std::size_t split) {
  gateway::session::EscapeFilter filter(escape);
  std::string out;
  bool stopped = false;
  const gateway::session::EscapeFilter::Sink sink{[&](ssh::ByteView b) {
                                                    check(!stopped);
                                                    out.append(b.begin(), b.end());
                                                  },
                                                  [&](gateway::session::EscapeCommand c) {
                                                    out += '\0';
                                                    out += static_cast<char>(c);
                                                    const bool go_on = c != gateway::session::EscapeCommand::disconnect;
                                                    stopped = !go_on;
                                                    return go_on;
                                                  }};
  filter.feed(input.first(split), sink);
  if (!stopped) filter.feed(input.subspan(split), sink);
  (void)filter.help(true);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int escape = data[0] == 0xff ? -1 : data[0];
  const ssh::ByteView input(data + 1, size - 1);
  const std::string whole = run(escape, input, input.size());
  check(whole == run(escape, input, input.size() / 2));
  if (escape < 0) check(whole == std::string(input.begin(), input.end()));
  return 0;
}
