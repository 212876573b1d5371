#include "ssh/transport/packet_writer.hpp"

#include <algorithm>
#include <array>

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

void PacketWriter::write(ByteView head, ByteView body, Bytes& out) {
  const std::size_t payload_size = head.size() + body.size();
  const std::uint8_t padding = padding_for(payload_size, cipher_->block_size(), cipher_->length_in_clear());
  const std::size_t packet_length = 1 + payload_size + padding;
  const std::size_t start = out.size();
  const std::size_t packet_size = 4 + packet_length;
  // Appended piece by piece (no zero-filling of what is overwritten anyway), then sealed in place.
  std::array<std::uint8_t, 5> frame{};
  for (std::size_t i = 0; i < 4; ++i) frame[i] = static_cast<std::uint8_t>(packet_length >> (24 - 8 * i));
  frame[4] = padding;
  std::array<std::uint8_t, 255> pad_bytes;
  crypto::padding_bytes(MutableByteView(pad_bytes.data(), padding));
  std::array<std::uint8_t, crypto::kMaxPacketTagSize> tag_space{};
  out.insert(out.end(), frame.begin(), frame.end());
  out.insert(out.end(), head.begin(), head.end());
  out.insert(out.end(), body.begin(), body.end());
  out.insert(out.end(), pad_bytes.begin(), pad_bytes.begin() + padding);
  out.insert(out.end(), tag_space.begin(), tag_space.begin() + static_cast<std::ptrdiff_t>(cipher_->tag_size()));
  const MutableByteView whole = MutableByteView(out).subspan(start);
  cipher_->seal_into(seq_, whole.first(packet_size), whole.subspan(packet_size));
  ++seq_;  // wraps at 2^32 (RFC 4253 §6.4)
  ++packets_;
}

}  // namespace ssh::transport
