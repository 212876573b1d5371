#pragma once
// Builder for the SSH wire encodings of RFC 4251 §5.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ssh/wire/bytes.hpp"

namespace ssh::wire {

template <typename Container = Bytes>
class BasicWriter {
 public:
  BasicWriter() = default;
  explicit BasicWriter(std::uint8_t message_type) { u8(message_type); }

  BasicWriter& u8(std::uint8_t v) {
    out_.push_back(v);
    return *this;
  }
  BasicWriter& boolean(bool v) { return u8(v ? 1 : 0); }
  BasicWriter& u32(std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<std::uint8_t>(v >> shift));
    return *this;
  }
  BasicWriter& u64(std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<std::uint8_t>(v >> shift));
    return *this;
  }
  BasicWriter& raw(ByteView v) {
    out_.insert(out_.end(), v.begin(), v.end());
    return *this;
  }
  BasicWriter& string(ByteView v) {
    u32(static_cast<std::uint32_t>(v.size()));
    return raw(v);
  }
  BasicWriter& string(std::string_view v) { return string(as_bytes(v)); }
  // mpint from an unsigned big-endian magnitude (RFC 4251 §5): leading zeros dropped,
  // a 0x00 prepended when the top bit is set so the value stays positive.
  BasicWriter& mpint_unsigned(ByteView magnitude) {
    while (!magnitude.empty() && magnitude[0] == 0) magnitude = magnitude.subspan(1);
    const bool pad = !magnitude.empty() && (magnitude[0] & 0x80) != 0;
    u32(static_cast<std::uint32_t>(magnitude.size() + (pad ? 1 : 0)));
    if (pad) u8(0);
    return raw(magnitude);
  }
  BasicWriter& name_list(const std::vector<std::string>& names) {
    std::string joined;
    for (const auto& n : names) {
      if (!joined.empty()) joined += ',';
      joined += n;
    }
    return string(std::string_view(joined));
  }

  const Container& data() const { return out_; }
  Container take() { return std::move(out_); }
  std::size_t size() const { return out_.size(); }

 private:
  Container out_;
};

using Writer = BasicWriter<Bytes>;
using SecretWriter = BasicWriter<SecretBytes>;

}  // namespace ssh::wire
