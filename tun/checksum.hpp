#pragma once
// The Internet checksum (RFC 1071) and its incremental update (RFC 1624 eqn. 3), the pseudo-header
// sums of TCP and UDP over IPv4 (RFC 793 §3.1, RFC 768) and IPv6 (RFC 8200 §8.1).
//
// A "sum" here is the folded 16-bit one's complement sum of big-endian words; a checksum is its
// complement. Sums compose with add(), so a header, a pseudo-header and a payload can be summed apart.
#include <cstdint>
#include <span>

#include "tun/address.hpp"

namespace tun {

using ByteSpan = std::span<const std::uint8_t>;

// One's complement addition of two 16-bit sums (end-around carry).
std::uint16_t add(std::uint16_t a, std::uint16_t b);
// The one's complement sum of `data` as big-endian 16-bit words, an odd last byte padded with zero
// (RFC 1071 §4.1), added to `initial`. Only valid for data starting at an even offset of the
// checksummed whole, which is where every header and payload we sum starts.
std::uint16_t sum(ByteSpan data, std::uint16_t initial = 0);
// ~sum(data): the value to store in a checksum field (RFC 1071 §1).
std::uint16_t internet_checksum(ByteSpan data);
// True when the data, its checksum field included, sums to all ones.
bool verifies(ByteSpan data, std::uint16_t initial = 0);

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one changed 16-bit word.
std::uint16_t update16(std::uint16_t checksum, std::uint16_t old_word, std::uint16_t new_word);
// The same for a changed 32-bit word (an IPv4 address) and for any even-sized run of words (an IPv6
// address): the update is applied word by word.
std::uint16_t update32(std::uint16_t checksum, std::uint32_t old_value, std::uint32_t new_value);
std::uint16_t update_bytes(std::uint16_t checksum, ByteSpan old_bytes, ByteSpan new_bytes);

// The pseudo-header sum: source, destination, protocol (next header) and upper-layer length.
// IPv4 (RFC 793 §3.1): zero, protocol, 16-bit length. IPv6 (RFC 8200 §8.1): 32-bit length, three zero
// bytes, next header; the two sum to the same words for lengths below 65536.
std::uint16_t pseudo_header_sum(const IpAddress& source, const IpAddress& destination, std::uint8_t protocol,
                                std::uint32_t length);

}  // namespace tun
