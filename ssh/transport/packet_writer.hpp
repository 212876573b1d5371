#pragma once
// Outgoing side of the binary packet protocol (RFC 4253 §6): padding, sequence numbers and the
// protection installed by the latest NEWKEYS.
#include <cstdint>
#include <memory>

#include "ssh/crypto/packet_cipher.hpp"
#include "ssh/wire/bytes.hpp"

namespace ssh::transport {

class PacketWriter {
 public:
  PacketWriter();  // starts with the null cipher

  // Padding aligns the packet without its length field when the cipher says so (EtM MACs and
  // AEAD modes: PacketCipher::length_in_clear()).
  void set_cipher(std::unique_ptr<crypto::PacketCipher> cipher);

  // Frames, pads with random bytes, protects and appends one packet to `out`.
  void write(ByteView payload, Bytes& out) { write(payload, {}, out); }
  // The same for a payload given in two pieces (a message header and the data it carries), built
  // straight in `out`: channel data is encrypted from `body` into place, never copied on its own.
  void write(ByteView head, ByteView body, Bytes& out);

  std::uint32_t sequence() const { return seq_; }
  void reset_sequence() { seq_ = 0; }  // strict KEX: after each NEWKEYS (PROTOCOL §1.10)
  std::uint64_t packets() const { return packets_; }

  // The padding for a payload of `payload_size`: at least 4 bytes, aligning to `block`.
  static std::uint8_t padding_for(std::size_t payload_size, std::size_t block, bool length_excluded);

 private:
  std::unique_ptr<crypto::PacketCipher> cipher_;
  std::uint32_t seq_ = 0;
  std::uint64_t packets_ = 0;
};

}  // namespace ssh::transport
