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

void PacketWriter::write(ByteView head, ByteView body, Bytes& out) {
  const std::size_t payload_size = head.size() + body.size();
  const std::uint8_t padding = padding_for(payload_size, cipher_->block_size(), cipher_->length_in_clear());
  const std::size_t packet_length = 1 + payload_size + padding;
  const std::size_t packet_size = 4 + packet_length;
  const std::size_t start = out.size();
  // The body is not copied in: sealing encrypts it straight from `body` into its place. Growing
  // the buffer zero-fills that place first, which costs less than the copy it replaces.
  out.resize(start + packet_size + cipher_->tag_size());
  const MutableByteView whole = MutableByteView(out).subspan(start);
  std::uint8_t* p = whole.data();
  for (std::size_t i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(packet_length >> (24 - 8 * i));
  p[4] = padding;
  std::copy(head.begin(), head.end(), p + 5);
  const std::size_t body_at = 5 + head.size();
  crypto::padding_bytes(whole.subspan(body_at + body.size(), padding));
  cipher_->seal_gather_into(seq_, whole.first(packet_size), body_at, body, whole.subspan(packet_size));
  ++seq_;  // wraps at 2^32 (RFC 4253 §6.4)
  ++packets_;
}

}  // namespace ssh::transport
