#include "ssh/transport/packet_reader.hpp"

#include <algorithm>

#include "ssh/wire/buffer_pool.hpp"

namespace ssh::transport {

PacketReader::PacketReader(std::uint32_t max_packet_length)
    : cipher_(crypto::make_null_cipher()), max_packet_length_(max_packet_length) {}

void PacketReader::set_cipher(std::unique_ptr<crypto::PacketCipher> cipher) {
  cipher_ = std::move(cipher);
}

void PacketReader::feed(ByteView data) {
  if (failed_) return;
  // Compact before growing so a long-lived connection does not keep consumed bytes around.
  if (start_ > 0 && (start_ == buf_.size() || start_ >= 64 * 1024)) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  buf_.insert(buf_.end(), data.begin(), data.end());
}

PacketReader::Result PacketReader::fail(std::string error, bool mac_error) {
  failed_ = true;
  Result r;
  r.status = Status::error;
  r.error = std::move(error);
  r.mac_error = mac_error;
  return r;
}

PacketReader::Result PacketReader::next() {
  if (failed_) return fail("packet stream already failed");
  const std::size_t available = buf_.size() - start_;
  const std::size_t prefix = cipher_->length_prefix_size();
  if (!have_length_) {
    if (available < prefix) return {};
    packet_length_ = cipher_->decrypt_length(seq_, MutableByteView(buf_).subspan(start_, prefix));
    have_length_ = true;
    // RFC 4253 §6.1: bound what a peer can make us buffer. The smallest legal packet holds the
    // padding_length byte and 4 bytes of padding, and must cover the length prefix.
    if (packet_length_ > max_packet_length_) return fail("packet too large");
    if (packet_length_ < 5 || 4 + std::size_t{packet_length_} < prefix) return fail("packet too small");
    const std::size_t block = std::max<std::size_t>(cipher_->block_size(), 8);
    const std::size_t aligned = cipher_->length_in_clear() ? packet_length_ : 4 + std::size_t{packet_length_};
    if (aligned % block != 0) return fail("packet length is not a multiple of the cipher block size");
  }
  const std::size_t total = 4 + std::size_t{packet_length_} + cipher_->tag_size();
  if (available < total) return {};
  MutableByteView packet = MutableByteView(buf_).subspan(start_, total);
  if (!cipher_->open(seq_, packet)) return fail("message authentication failed", true);
  const std::uint8_t padding = packet[4];
  if (padding < 4 || std::size_t{padding} + 1 > packet_length_) return fail("invalid padding length");
  Result r;
  r.status = Status::packet;
  r.seq = seq_;
  r.wire_size = total;
  const std::size_t payload_size = packet_length_ - 1 - padding;
  // A recycled buffer: channel data payloads go back to the pool once written to their socket.
  r.payload = wire::acquire_buffer(payload_size);
  r.payload.insert(r.payload.end(), packet.begin() + 5, packet.begin() + 5 + static_cast<std::ptrdiff_t>(payload_size));
  start_ += total;
  have_length_ = false;
  ++seq_;  // wraps at 2^32 (RFC 4253 §6.4)
  ++packets_;
  return r;
}

}  // namespace ssh::transport
