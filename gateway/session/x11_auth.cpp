#include "gateway/session/x11_auth.hpp"

#include <algorithm>
#include <charconv>

#include "ssh/wire/bytes.hpp"

namespace gateway::session {
namespace {

// X11 Connection Setup: byte-order byte, pad, major, minor (CARD16 each), then the lengths of the
// authorization protocol name and data (CARD16 each), two pad bytes: 12 bytes before the strings.
constexpr std::size_t kHeader = 12;
constexpr std::uint8_t kMsbFirst = 0x42;  // 'B'
constexpr std::uint8_t kLsbFirst = 0x6c;  // 'l'

std::size_t pad4(std::size_t n) {
  return (n + 3) & ~std::size_t{3};
}

bool parse_number(std::string_view text, std::uint32_t& out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::optional<Display> parse_display(std::string_view text, std::string& error) {
  if (text.empty()) {
    error = "DISPLAY not set";
    return std::nullopt;
  }
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
                    c == '/' || c == '.' || c == '-' || c == '_';
    if (!ok) {
      error = "DISPLAY \"" + std::string(text) + "\" invalid";
      return std::nullopt;
    }
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    error = "Could not find ':' in DISPLAY: " + std::string(text);
    return std::nullopt;
  }
  Display d;
  d.host = std::string(text.substr(0, colon));
  if (d.host == "unix") d.host.clear();
  std::string_view rest = text.substr(colon + 1);
  const auto dot = rest.find('.');
  if (!parse_number(rest.substr(0, dot), d.number) ||
      (dot != std::string_view::npos && !parse_number(rest.substr(dot + 1), d.screen)) || d.number > 59535) {
    error = "Could not parse display number from DISPLAY: " + std::string(text);
    return std::nullopt;
  }
  return d;
}

X11SetupCheck::X11SetupCheck(std::string protocol, ssh::Bytes fake_cookie, ssh::Bytes real_cookie)
    : protocol_(std::move(protocol)), fake_(std::move(fake_cookie)), real_(std::move(real_cookie)) {}

X11SetupCheck::Verdict X11SetupCheck::feed(ssh::ByteView data, std::size_t& used) {
  used = 0;
  if (verdict_ != Verdict::need_more) return verdict_;
  // Keep at most the whole setup; its length is known once the header is in.
  const std::size_t want = length_ == 0 ? kHeader : length_;
  used = std::min(data.size(), want > setup_.size() ? want - setup_.size() : 0);
  setup_.insert(setup_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(used));
  if (setup_.size() < kHeader) return verdict_;
  const std::uint8_t order = setup_[0];
  std::size_t name_len = 0, data_len = 0;
  if (order == kMsbFirst) {
    name_len = (std::size_t{setup_[6]} << 8) | setup_[7];
    data_len = (std::size_t{setup_[8]} << 8) | setup_[9];
  } else if (order == kLsbFirst) {
    name_len = (std::size_t{setup_[7]} << 8) | setup_[6];
    data_len = (std::size_t{setup_[9]} << 8) | setup_[8];
  } else {
    return verdict_ = Verdict::bad_byte_order;
  }
  if (length_ == 0) {
    length_ = kHeader + pad4(name_len) + pad4(data_len);
    // The rest of this piece may hold the strings.
    std::size_t more = 0;
    const Verdict v = feed(data.subspan(used), more);
    used += more;
    return v;
  }
  if (setup_.size() < length_) return verdict_;
  const std::string_view name(reinterpret_cast<const char*>(setup_.data() + kHeader), name_len);
  if (name != protocol_) return verdict_ = Verdict::wrong_protocol;
  const std::size_t data_at = kHeader + pad4(name_len);
  const ssh::ByteView cookie(setup_.data() + data_at, data_len);
  if (cookie.size() != fake_.size() || real_.size() != fake_.size() || !ssh::equal_constant_time(cookie, fake_)) {
    return verdict_ = Verdict::wrong_cookie;
  }
  // Same length by construction: the real cookie goes where the fake one was.
  std::copy(real_.begin(), real_.end(), setup_.begin() + static_cast<std::ptrdiff_t>(data_at));
  return verdict_ = Verdict::accepted;
}

}  // namespace gateway::session
