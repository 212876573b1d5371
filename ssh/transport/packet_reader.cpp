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
  save_input();
  input_ = data;
}

void PacketReader::save_input() {
  append(input_);
  input_ = {};
}

void PacketReader::append(ByteView data) {
  if (data.empty()) return;
  // Drop consumed bytes before growing, so a long-lived connection does not keep them around.
  if (start_ > 0) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  buf_.insert(buf_.end(), data.begin(), data.end());
}

bool PacketReader::fill_buffer(std::size_t size) {
  const std::size_t have = buf_.size() - start_;
  if (have >= size) return true;
  const std::size_t take = std::min(size - have, input_.size());
  append(input_.first(take));
  input_ = input_.subspan(take);
  return have + take == size;
}

PacketReader::Result PacketReader::fail(std::string error, bool mac_error) {
  failed_ = true;
  // Nothing received is of use any more.
  input_ = {};
  buf_ = Bytes{};
  start_ = 0;
  Result r;
  r.status = Status::error;
  r.error = std::move(error);
  r.mac_error = mac_error;
  return r;
}

std::optional<PacketReader::Result> PacketReader::read_length(ByteView prefix) {
  packet_length_ = cipher_->decrypt_length(seq_, prefix);
  have_length_ = true;
  // RFC 4253 §6.1: bound what a peer can make us buffer. The smallest legal packet holds the
  // padding_length byte and 4 bytes of padding, and must cover the length prefix.
  if (packet_length_ > max_packet_length_) return fail("packet too large");
  if (packet_length_ < 5 || 4 + std::size_t{packet_length_} < prefix.size()) return fail("packet too small");
  const std::size_t block = std::max<std::size_t>(cipher_->block_size(), 8);
  const std::size_t aligned = cipher_->length_in_clear() ? packet_length_ : 4 + std::size_t{packet_length_};
  if (aligned % block != 0) return fail("packet length is not a multiple of the cipher block size");
  return std::nullopt;
}

PacketReader::Result PacketReader::open_packet(ByteView packet) {
  Result r;
  // A recycled buffer: channel data payloads go back to the pool once written to their socket.
  // It receives payload and padding; the padding is cut off below.
  r.payload = wire::acquire_buffer(packet_length_ - 1);
  std::uint8_t padding = 0;
  if (!cipher_->open_into(seq_, packet, padding, r.payload)) return fail("message authentication failed", true);
  if (padding < 4 || std::size_t{padding} + 1 > packet_length_) return fail("invalid padding length");
  r.payload.resize(packet_length_ - 1 - padding);
  r.status = Status::packet;
  r.seq = seq_;
  r.wire_size = packet.size();
  have_length_ = false;
  ++seq_;  // wraps at 2^32 (RFC 4253 §6.4)
  ++packets_;
  return r;
}

PacketReader::Result PacketReader::next() {
  if (failed_) return fail("packet stream already failed");
  return start_ < buf_.size() ? next_from_buffer() : next_from_input();
}

// The common case: the packet lies whole in the caller's bytes and is decrypted straight out of
// them. A packet cut off by the end of the read is saved for next_from_buffer() to complete.
PacketReader::Result PacketReader::next_from_input() {
  const std::size_t prefix = cipher_->length_prefix_size();
  if (!have_length_) {
    if (input_.size() < prefix) {
      save_input();
      return {};
    }
    if (auto error = read_length(input_.first(prefix))) return std::move(*error);
  }
  const std::size_t total = packet_total();
  if (input_.size() < total) {
    save_input();
    return {};
  }
  const ByteView packet = input_.first(total);
  input_ = input_.subspan(total);
  return open_packet(packet);
}

// A packet begun in an earlier read: only its missing bytes are copied from the caller's.
PacketReader::Result PacketReader::next_from_buffer() {
  const std::size_t prefix = cipher_->length_prefix_size();
  if (!have_length_) {
    if (!fill_buffer(prefix)) return {};
    if (auto error = read_length(ByteView(buf_).subspan(start_, prefix))) return std::move(*error);
  }
  const std::size_t total = packet_total();
  if (!fill_buffer(total)) return {};
  Result r = open_packet(ByteView(buf_).subspan(start_, total));
  if (failed_) return r;
  start_ += total;
  if (start_ == buf_.size()) {
    buf_.clear();
    start_ = 0;
  }
  return r;
}

}  // namespace ssh::transport
