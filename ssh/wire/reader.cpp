#include "ssh/wire/reader.hpp"

namespace ssh::wire {

bool Reader::u8(std::uint8_t& out) {
  if (remaining() < 1) return false;
  out = data_[pos_++];
  return true;
}

bool Reader::boolean(bool& out) {
  std::uint8_t v = 0;
  if (!u8(v)) return false;
  out = v != 0;  // RFC 4251 §5: any non-zero value is TRUE
  return true;
}

bool Reader::u32(std::uint32_t& out) {
  if (remaining() < 4) return false;
  const auto* p = data_.data() + pos_;
  out = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
  pos_ += 4;
  return true;
}

bool Reader::u64(std::uint64_t& out) {
  if (remaining() < 8) return false;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | data_[pos_ + i];
  out = v;
  pos_ += 8;
  return true;
}

bool Reader::bytes(std::size_t n, ByteView& out) {
  if (remaining() < n) return false;
  out = data_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool Reader::string(ByteView& out) {
  const std::size_t start = pos_;
  std::uint32_t len = 0;
  if (!u32(len) || !bytes(len, out)) {
    pos_ = start;
    return false;
  }
  return true;
}

bool Reader::string(std::string_view& out) {
  ByteView v;
  if (!string(v)) return false;
  out = as_string(v);
  return true;
}

bool Reader::string(std::string& out) {
  std::string_view v;
  if (!string(v)) return false;
  out.assign(v);
  return true;
}

bool Reader::mpint_unsigned(ByteView& out) {
  const std::size_t start = pos_;
  ByteView v;
  if (!string(v)) return false;
  if (!v.empty() && (v[0] & 0x80) != 0) {  // negative: never valid for the values SSH carries
    pos_ = start;
    return false;
  }
  while (!v.empty() && v[0] == 0) v = v.subspan(1);
  out = v;
  return true;
}

bool Reader::name_list(std::vector<std::string>& out) {
  const std::size_t start = pos_;
  std::string_view v;
  if (!string(v)) return false;
  std::vector<std::string> names;
  std::size_t begin = 0;
  while (begin <= v.size() && !v.empty()) {
    std::size_t comma = v.find(',', begin);
    if (comma == std::string_view::npos) comma = v.size();
    std::string_view name = v.substr(begin, comma - begin);
    bool ok = !name.empty();
    for (char c : name) ok = ok && c > ' ' && c < 127;
    if (!ok) {
      pos_ = start;
      return false;
    }
    names.emplace_back(name);
    begin = comma + 1;
  }
  out = std::move(names);
  return true;
}

}  // namespace ssh::wire
