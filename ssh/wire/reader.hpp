#pragma once
// Checked reader for the SSH wire encodings of RFC 4251 §5. Every read either succeeds and advances,
// or fails and leaves the reader unchanged; views point into the caller's buffer (no copies).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ssh/wire/bytes.hpp"

namespace ssh::wire {

class Reader {
 public:
  explicit Reader(ByteView data) : data_(data) {}

  [[nodiscard]] bool u8(std::uint8_t& out);
  [[nodiscard]] bool boolean(bool& out);
  [[nodiscard]] bool u32(std::uint32_t& out);
  [[nodiscard]] bool u64(std::uint64_t& out);
  // string: uint32 length + bytes. The view aliases the input.
  [[nodiscard]] bool string(ByteView& out);
  [[nodiscard]] bool string(std::string_view& out);
  [[nodiscard]] bool string(std::string& out);
  // mpint (RFC 4251 §5): returns the raw two's-complement bytes; rejects negative values and
  // non-minimal encodings are tolerated (peers differ), but a leading 0x00 is stripped.
  [[nodiscard]] bool mpint_unsigned(ByteView& out);
  // name-list: comma-separated, no empty names, ASCII only.
  [[nodiscard]] bool name_list(std::vector<std::string>& out);
  [[nodiscard]] bool bytes(std::size_t n, ByteView& out);

  std::size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }
  ByteView rest() const { return data_.subspan(pos_); }
  std::size_t position() const { return pos_; }

 private:
  ByteView data_;
  std::size_t pos_ = 0;
};

}  // namespace ssh::wire
