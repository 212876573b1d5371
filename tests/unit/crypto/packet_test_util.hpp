#pragma once
// Helpers shared by the packet protection tests: key material and well-formed plaintext packets.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "ssh/crypto/packet_cipher.hpp"

namespace ssh::crypto::test {

struct KeyMaterial {
  Bytes key, iv, mac_key;
};

inline Bytes pattern_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

// Deterministic per seed so a failure reproduces.
inline KeyMaterial make_keys(std::string_view cipher, std::string_view mac, std::uint32_t seed) {
  KeyMaterial k;
  const auto ci = cipher_info(cipher);
  const auto mi = mac_info(mac);
  k.key = pattern_bytes(ci ? ci->key_size : 0, seed);
  k.iv = pattern_bytes(ci ? ci->iv_size : 0, seed + 1);
  k.mac_key = pattern_bytes(ci && !ci->aead && mi ? mi->key_size : 0, seed + 2);
  return k;
}

// RFC 4253 §6: uint32 packet_length | byte padding_length | payload | padding, padded so the
// encrypted part is a multiple of the block size, with at least 4 bytes of padding.
inline Bytes make_packet(std::size_t payload_size, std::size_t block, bool length_in_clear, std::uint32_t seed) {
  const std::size_t covered = 1 + payload_size + (length_in_clear ? 0 : 4);
  std::size_t pad = block - covered % block;
  if (pad < 4) pad += block;
  const std::size_t packet_length = 1 + payload_size + pad;
  Bytes p;
  p.reserve(4 + packet_length + 64);
  for (int shift = 24; shift >= 0; shift -= 8) p.push_back(static_cast<std::uint8_t>(packet_length >> shift));
  p.push_back(static_cast<std::uint8_t>(pad));
  const Bytes body = pattern_bytes(payload_size + pad, seed);
  p.insert(p.end(), body.begin(), body.end());
  return p;
}

inline std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

// Opens one whole received packet whose prefix already went through decrypt_length() and gives
// back the plaintext packet as it was sealed (uint32 length | padding_length | payload | padding),
// rebuilt from open_into()'s outputs; nullopt when open_into() refuses it. A refusal must leave the
// output empty and padding_length zero, and the received bytes untouched.
inline std::optional<Bytes> open_packet(PacketCipher& rx, std::uint32_t seq, ByteView packet) {
  Bytes out = {0xee, 0xee};  // stale contents must be replaced either way
  std::uint8_t padding_length = 0xee;
  if (!rx.open_into(seq, packet, padding_length, out)) {
    EXPECT_TRUE(out.empty()) << "a refused packet left bytes in the output";
    EXPECT_EQ(padding_length, 0) << "a refused packet left its padding length";
    return std::nullopt;
  }
  const std::size_t packet_length = out.size() + 1;
  Bytes plain;
  for (int shift = 24; shift >= 0; shift -= 8) plain.push_back(static_cast<std::uint8_t>(packet_length >> shift));
  plain.push_back(padding_length);
  plain.insert(plain.end(), out.begin(), out.end());
  return plain;
}

}  // namespace ssh::crypto::test
