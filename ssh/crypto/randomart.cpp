#include "ssh/crypto/randomart.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "ssh/crypto/hash.hpp"
#include "ssh/wire/reader.hpp"

namespace ssh::crypto {
namespace {

constexpr int kWidth = 17;
constexpr int kHeight = 9;
// How often the bishop visited a cell, as a character; the last two mark the start and the end.
constexpr std::string_view kSymbols = " .o+=*BOX@%&#/^SE";

std::size_t significant_bits(ByteView number) {
  std::size_t i = 0;
  while (i < number.size() && number[i] == 0) ++i;
  if (i == number.size()) return 0;
  std::size_t bits = (number.size() - i) * 8;
  for (std::uint8_t top = number[i]; (top & 0x80) == 0; top = static_cast<std::uint8_t>(top << 1)) --bits;
  return bits;
}

}  // namespace

std::string key_label(ByteView key_blob) {
  wire::Reader r(key_blob);
  std::string type;
  if (!r.string(type)) return {};
  if (type == "ssh-ed25519") return "ED25519 256";
  if (type.starts_with("ecdsa-sha2-nistp")) return "ECDSA " + type.substr(std::string_view("ecdsa-sha2-nistp").size());
  if (type == "ssh-rsa") {
    ByteView e, n;
    if (!r.mpint_unsigned(e) || !r.mpint_unsigned(n)) return {};
    return "RSA " + std::to_string(significant_bits(n));
  }
  return {};
}

std::string randomart(ByteView key_blob) {
  const std::string label = key_label(key_blob);
  if (label.empty()) return {};
  const SecretBytes hash = digest(HashAlg::sha256, key_blob);
  std::array<int, kWidth * kHeight> field{};
  auto cell = [&field](int col, int row) -> int& { return field[static_cast<std::size_t>(row * kWidth + col)]; };
  int x = kWidth / 2;
  int y = kHeight / 2;
  const int last = static_cast<int>(kSymbols.size()) - 1;
  for (std::size_t i = 0; i < hash.size(); ++i) {
    unsigned b = hash.data()[i];
    // Four moves per byte, two bits each, lowest bits first: right/left, then down/up.
    for (int step = 0; step < 4; ++step) {
      x += (b & 1) != 0 ? 1 : -1;
      y += (b & 2) != 0 ? 1 : -1;
      x = std::clamp(x, 0, kWidth - 1);
      y = std::clamp(y, 0, kHeight - 1);
      if (cell(x, y) < last - 2) ++cell(x, y);
      b >>= 2;
    }
  }
  cell(kWidth / 2, kHeight / 2) = last - 1;
  cell(x, y) = last;

  auto border = [](const std::string& title) {
    const std::string text = "[" + title + "]";
    std::string line = "+";
    const int pad = kWidth - static_cast<int>(text.size());
    if (pad < 0) return line + std::string(kWidth, '-') + "+";
    line += std::string(static_cast<std::size_t>(pad / 2), '-') + text +
            std::string(static_cast<std::size_t>(pad - pad / 2), '-');
    return line + "+";
  };
  std::string out = border(label) + "\n";
  for (int row = 0; row < kHeight; ++row) {
    out += '|';
    for (int col = 0; col < kWidth; ++col) out += kSymbols[static_cast<std::size_t>(cell(col, row))];
    out += "|\n";
  }
  out += border("SHA256");
  return out;
}

}  // namespace ssh::crypto
