#include "ssh/transport/packet_writer.hpp"

#include <algorithm>

#include "ssh/crypto/random.hpp"

namespace ssh::transport {

PacketWriter::PacketWriter() : cipher_(crypto::make_null_cipher()) {}

void PacketWriter::set_cipher(std::unique_ptr<crypto::PacketCipher> cipher) {
  cipher_ = std::move(cipher);
}

std::uint8_t PacketWriter::padding_for(std::size_t payload_size, std::size_t block, bool length_excluded) {
  // RFC 4253 §6: the padded packet is a multiple of max(cipher block, 8), with 4 to 255 bytes of
  // padding.
  block = std::max<std::size_t>(block, 8);
  const std::size_t unpadded = (length_excluded ? 0 : 4) + 1 + payload_size;
  std::size_t padding = block - unpadded % block;
  if (padding < 4) padding += block;
  return static_cast<std::uint8_t>(padding);
}

void PacketWriter::write(ByteView payload, Bytes& out) {
  const std::uint8_t padding = padding_for(payload.size(), cipher_->block_size(), cipher_->length_in_clear());
  const std::size_t packet_length = 1 + payload.size() + padding;
  Bytes packet;
  packet.reserve(4 + packet_length + cipher_->tag_size());
  for (int shift = 24; shift >= 0; shift -= 8) packet.push_back(static_cast<std::uint8_t>(packet_length >> shift));
  packet.push_back(padding);
  packet.insert(packet.end(), payload.begin(), payload.end());
  const std::size_t pad_at = packet.size();
  packet.resize(pad_at + padding);
  crypto::random_bytes(MutableByteView(packet).subspan(pad_at));
  cipher_->seal(seq_, packet);
  ++seq_;  // wraps at 2^32 (RFC 4253 §6.4)
  ++packets_;
  out.insert(out.end(), packet.begin(), packet.end());
}

}  // namespace ssh::transport
