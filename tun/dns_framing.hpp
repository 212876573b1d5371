#pragma once
// DNS over TCP for queries intercepted on the tun's port 53 (RFC 7766, RFC 1035 §4.2.2): each
// message carries a two-byte length prefix; answers on a pipelined connection may come in any order
// and are matched by message id; an answer too large for the client's UDP is truncated with TC set
// (RFC 1035 §4.1.1, RFC 6891 §6.2.5), so the client retries over TCP.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "tun/address.hpp"

namespace tun {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::size_t dns_header_size = 12;
inline constexpr std::size_t dns_classic_udp_limit = 512;  // RFC 1035 §2.3.4

// The query with its length prefix; empty when it is shorter than a DNS header or over 65535 bytes.
std::optional<Bytes> frame_dns_message(std::span<const std::uint8_t> message);

// Splits a TCP byte stream into DNS messages, whatever the reads' boundaries. Holds at most one
// message (max_message bytes); a message wholly inside one read is handed out without a copy.
class DnsStreamReader {
 public:
  enum class Status : std::uint8_t { need_more, message, error };
  enum class Error : std::uint8_t { none, too_short, too_long };

  explicit DnsStreamReader(std::size_t max_message = 65535) : max_(max_message) {}

  // Consumes bytes from the front of `input` up to the end of the next message (advancing `input`).
  // `message` means message() holds it until the next call; `need_more` means `input` is used up;
  // `error` is final (a length below a DNS header or above the bound): close the connection.
  Status feed(std::span<const std::uint8_t>& input);
  std::span<const std::uint8_t> message() const { return message_; }
  Error error() const { return error_; }
  // Bytes held between calls (a partial message).
  std::size_t buffered() const { return prefix_have_ + (expected_ != 0 ? body_.size() : 0); }

 private:
  std::size_t max_;
  std::uint8_t prefix_[2]{};
  std::size_t prefix_have_ = 0;
  std::size_t expected_ = 0;
  Bytes body_;
  std::span<const std::uint8_t> message_;
  Error error_ = Error::none;
};

// Header fields (RFC 1035 §4.1.1). Empty / false when the message is shorter than a header.
std::optional<std::uint16_t> dns_id(std::span<const std::uint8_t> message);
bool set_dns_id(std::span<std::uint8_t> message, std::uint16_t id);
bool dns_is_response(std::span<const std::uint8_t> message);
bool dns_is_truncated(std::span<const std::uint8_t> message);

// The largest UDP answer the client of `query` accepts: its EDNS OPT record's UDP payload size
// (RFC 6891 §6.2.3, never below 512), or 512 without one. 512 for a query that does not parse.
std::size_t dns_udp_limit(std::span<const std::uint8_t> query);

// Cuts `message` to fit `limit` bytes: unchanged if it fits; otherwise the header and the question
// section with TC set and no records (RFC 2181 §9), or the header alone if the question does not fit
// or parse.
void truncate_dns_for_udp(Bytes& message, std::size_t limit);

// An error answer to `query` (RFC 1035 §4.1.1): its id, opcode, RD and question section with QR,
// RA and `rcode` set and no records, so stub resolvers that match the question accept it. Empty
// when the query is not a query or its question section does not parse.
inline constexpr std::uint8_t dns_rcode_servfail = 2;
std::optional<Bytes> dns_error_answer(std::span<const std::uint8_t> query, std::uint8_t rcode);

// The UDP packet carrying an answer from the intercepted server address back to the client.
std::optional<Bytes> build_dns_reply(const Endpoint& server, const Endpoint& client,
                                     std::span<const std::uint8_t> message);

}  // namespace tun
