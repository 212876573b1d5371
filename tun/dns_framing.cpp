#include "tun/dns_framing.hpp"

#include <algorithm>
#include <array>

#include "tun/builder.hpp"
#include "tun/byte_order.hpp"

namespace tun {

namespace {

constexpr std::uint16_t type_opt = 41;

// Skips a domain name (RFC 1035 §4.1.4: labels, ending in a zero byte or a compression pointer).
std::optional<std::size_t> skip_name(std::span<const std::uint8_t> m, std::size_t at) {
  while (at < m.size()) {
    const std::uint8_t len = m[at];
    if (len == 0) return at + 1;
    if ((len & 0xc0) == 0xc0) return at + 2 <= m.size() ? std::optional(at + 2) : std::nullopt;
    if ((len & 0xc0) != 0) return std::nullopt;  // the reserved label types
    at += 1 + std::size_t{len};
  }
  return std::nullopt;
}

// The end of the question section, if it parses.
std::optional<std::size_t> skip_questions(std::span<const std::uint8_t> m) {
  std::size_t at = dns_header_size;
  for (std::uint16_t q = load16(m.data() + 4); q > 0; --q) {
    const auto end = skip_name(m, at);
    if (!end || *end + 4 > m.size()) return std::nullopt;
    at = *end + 4;
  }
  return at;
}

}  // namespace

std::optional<Bytes> frame_dns_message(std::span<const std::uint8_t> message) {
  if (message.size() < dns_header_size || message.size() > 0xffff) return std::nullopt;
  Bytes out(2 + message.size());
  store16(out.data(), static_cast<std::uint16_t>(message.size()));
  std::copy(message.begin(), message.end(), out.begin() + 2);
  return out;
}

DnsStreamReader::Status DnsStreamReader::feed(std::span<const std::uint8_t>& input) {
  if (error_ != Error::none) return Status::error;
  message_ = {};
  if (expected_ == 0) {
    while (prefix_have_ < 2 && !input.empty()) {
      prefix_[prefix_have_++] = input.front();
      input = input.subspan(1);
    }
    if (prefix_have_ < 2) return Status::need_more;
    expected_ = load16(prefix_);
    if (expected_ < dns_header_size) {
      error_ = Error::too_short;
      return Status::error;
    }
    if (expected_ > max_) {
      error_ = Error::too_long;
      return Status::error;
    }
    body_.clear();
  }
  if (body_.empty() && input.size() >= expected_) {
    // The whole message is in this read: hand it out in place.
    message_ = input.first(expected_);
    input = input.subspan(expected_);
  } else {
    const std::size_t take = std::min(expected_ - body_.size(), input.size());
    body_.insert(body_.end(), input.begin(), input.begin() + static_cast<std::ptrdiff_t>(take));
    input = input.subspan(take);
    if (body_.size() < expected_) return Status::need_more;
    message_ = body_;
  }
  prefix_have_ = 0;
  expected_ = 0;
  return Status::message;
}

std::optional<std::uint16_t> dns_id(std::span<const std::uint8_t> message) {
  if (message.size() < dns_header_size) return std::nullopt;
  return load16(message.data());
}

bool set_dns_id(std::span<std::uint8_t> message, std::uint16_t id) {
  if (message.size() < dns_header_size) return false;
  store16(message.data(), id);
  return true;
}

bool dns_is_response(std::span<const std::uint8_t> message) {
  return message.size() >= dns_header_size && (message[2] & 0x80) != 0;
}

bool dns_is_truncated(std::span<const std::uint8_t> message) {
  return message.size() >= dns_header_size && (message[2] & 0x02) != 0;
}

std::size_t dns_udp_limit(std::span<const std::uint8_t> query) {
  if (query.size() < dns_header_size) return dns_classic_udp_limit;
  auto at = skip_questions(query);
  if (!at) return dns_classic_udp_limit;
  const std::size_t records =
      std::size_t{load16(query.data() + 6)} + load16(query.data() + 8) + load16(query.data() + 10);
  const std::size_t additional_from = records - load16(query.data() + 10);
  for (std::size_t r = 0; r < records; ++r) {
    const auto end = skip_name(query, *at);
    if (!end || *end + 10 > query.size()) return dns_classic_udp_limit;
    const std::uint16_t type = load16(query.data() + *end);
    const std::uint16_t klass = load16(query.data() + *end + 2);
    const std::size_t rdlength = load16(query.data() + *end + 8);
    if (r >= additional_from && type == type_opt) return std::max<std::size_t>(klass, dns_classic_udp_limit);
    at = *end + 10 + rdlength;
    if (*at > query.size()) return dns_classic_udp_limit;
  }
  return dns_classic_udp_limit;
}

void truncate_dns_for_udp(Bytes& message, std::size_t limit) {
  if (message.size() <= limit || message.size() < dns_header_size) return;
  const auto questions = skip_questions(message);
  std::size_t keep = dns_header_size;
  if (questions && *questions <= limit) {
    keep = *questions;
  } else {
    store16(message.data() + 4, 0);
  }
  message.resize(keep);
  message[2] |= 0x02;  // TC
  store16(message.data() + 6, 0);
  store16(message.data() + 8, 0);
  store16(message.data() + 10, 0);
}

std::optional<Bytes> dns_error_answer(std::span<const std::uint8_t> query, std::uint8_t rcode) {
  if (query.size() < dns_header_size || dns_is_response(query)) return std::nullopt;
  const auto questions = skip_questions(query);
  if (!questions) return std::nullopt;
  // The header is made apart (a fixed array) and the question copied after it.
  std::array<std::uint8_t, dns_header_size> header{};
  std::copy_n(query.begin(), 6, header.begin());                    // id, flags, QDCOUNT
  header[2] = static_cast<std::uint8_t>(0x80 | (query[2] & 0x79));  // QR, the opcode and RD kept
  header[3] = static_cast<std::uint8_t>(0x80 | (rcode & 0x0f));     // RA
  // No answer, authority or additional records (bytes 6..11 stay 0).
  Bytes answer(header.begin(), header.end());
  answer.insert(answer.end(), query.begin() + dns_header_size, query.begin() + static_cast<std::ptrdiff_t>(*questions));
  return answer;
}

std::optional<Bytes> build_dns_reply(const Endpoint& server, const Endpoint& client,
                                     std::span<const std::uint8_t> message) {
  return build_udp(server, client, message);
}

}  // namespace tun
