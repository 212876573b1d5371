#include "tun/checksum.hpp"

#include <cstddef>

#include "tun/byte_order.hpp"

namespace tun {

std::uint16_t add(std::uint16_t a, std::uint16_t b) {
  const std::uint32_t s = std::uint32_t{a} + b;
  return static_cast<std::uint16_t>((s & 0xffff) + (s >> 16));
}

std::uint16_t sum(ByteSpan data, std::uint16_t initial) {
  // 64-bit accumulator: no carry is lost before the final fold for any packet size we can hold.
  std::uint64_t acc = initial;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) acc += load16(data.data() + i);
  if (i < data.size()) acc += std::uint64_t{data[i]} << 8;
  while ((acc >> 16) != 0) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}

std::uint16_t internet_checksum(ByteSpan data) {
  return static_cast<std::uint16_t>(~sum(data));
}

bool verifies(ByteSpan data, std::uint16_t initial) {
  return sum(data, initial) == 0xffff;
}

std::uint16_t update16(std::uint16_t checksum, std::uint16_t old_word, std::uint16_t new_word) {
  const std::uint16_t s =
      add(add(static_cast<std::uint16_t>(~checksum), static_cast<std::uint16_t>(~old_word)), new_word);
  return static_cast<std::uint16_t>(~s);
}

std::uint16_t update32(std::uint16_t checksum, std::uint32_t old_value, std::uint32_t new_value) {
  checksum =
      update16(checksum, static_cast<std::uint16_t>(old_value >> 16), static_cast<std::uint16_t>(new_value >> 16));
  return update16(checksum, static_cast<std::uint16_t>(old_value), static_cast<std::uint16_t>(new_value));
}

std::uint16_t update_bytes(std::uint16_t checksum, ByteSpan old_bytes, ByteSpan new_bytes) {
  for (std::size_t i = 0; i + 1 < old_bytes.size() && i + 1 < new_bytes.size(); i += 2) {
    checksum = update16(checksum, load16(old_bytes.data() + i), load16(new_bytes.data() + i));
  }
  return checksum;
}

std::uint16_t pseudo_header_sum(const IpAddress& source, const IpAddress& destination, std::uint8_t protocol,
                                std::uint32_t length) {
  std::uint16_t s = sum(source.view());
  s = sum(destination.view(), s);
  s = add(s, protocol);
  s = add(s, static_cast<std::uint16_t>(length >> 16));
  return add(s, static_cast<std::uint16_t>(length));
}

}  // namespace tun
