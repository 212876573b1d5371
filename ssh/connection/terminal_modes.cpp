#include "ssh/connection/terminal_modes.hpp"

#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::connection::terminal_modes {
namespace {

// RFC 4254 §8: 160 to 255 are not yet defined and stop the parse.
constexpr std::uint8_t kFirstUndefined = 160;

}  // namespace

Bytes encode(const std::vector<Mode>& modes) {
  wire::Writer w;
  for (const auto& [opcode, value] : modes) {
    if (opcode == kEnd || opcode >= kFirstUndefined) continue;  // not encodable as a pair
    w.u8(opcode).u32(value);
  }
  w.u8(kEnd);
  return w.take();
}

std::optional<std::vector<Mode>> decode(ByteView encoded) {
  wire::Reader r(encoded);
  std::vector<Mode> out;
  std::uint8_t opcode = 0;
  while (r.u8(opcode)) {
    if (opcode == kEnd || opcode >= kFirstUndefined) return out;
    std::uint32_t value = 0;
    if (!r.u32(value)) return std::nullopt;
    out.emplace_back(opcode, value);
  }
  return out;  // no TTY_OP_END: what was there is still meaningful
}

}  // namespace ssh::connection::terminal_modes
