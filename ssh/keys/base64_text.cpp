// Base64 decoding for key files. Kept local to ssh/keys because armored private keys decode into
// secret material and need whitespace skipping across line breaks.
#include "ssh/keys/key_internal.hpp"

namespace ssh::keys::detail {
namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

std::optional<SecretBytes> decode_base64(std::string_view text, bool skip_whitespace) {
  SecretBytes out;
  out.reserve(text.size() / 4 * 3 + 3);
  std::uint32_t acc = 0;
  std::size_t symbols = 0;  // alphabet characters seen
  std::size_t padding = 0;
  for (char c : text) {
    if (skip_whitespace && is_space(c)) continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding != 0) return std::nullopt;  // data after padding
    const int v = base64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    if (++symbols % 4 == 0) {
      out.push_back(static_cast<std::uint8_t>(acc >> 16));
      out.push_back(static_cast<std::uint8_t>(acc >> 8));
      out.push_back(static_cast<std::uint8_t>(acc));
      acc = 0;
    }
  }
  const std::size_t tail = symbols % 4;
  if (tail == 1) return std::nullopt;  // 6 bits cannot make a byte
  if (padding != 0 && (tail == 0 || padding != 4 - tail)) return std::nullopt;
  if (tail == 2) {
    if ((acc & 0xf) != 0) return std::nullopt;  // non-canonical: stray low bits
    out.push_back(static_cast<std::uint8_t>(acc >> 4));
  } else if (tail == 3) {
    if ((acc & 0x3) != 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(acc >> 10));
    out.push_back(static_cast<std::uint8_t>(acc >> 2));
  }
  wipe(&acc, sizeof(acc));
  return out;
}

std::string printable(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out;
  for (char c : text.substr(0, kMax)) out += (c >= ' ' && c < 127) ? c : '?';
  if (text.size() > kMax) out += "...";
  return out;
}

LoadResult failure(LoadStatus status, std::string message) {
  LoadResult r;
  r.status = status;
  r.message = std::move(message);
  return r;
}

}  // namespace ssh::keys::detail
