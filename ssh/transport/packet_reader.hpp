#pragma once
// Incoming side of the binary packet protocol (RFC 4253 §6): learns each packet's length, checks
// bounds, authenticates and decrypts, and yields payloads one at a time so the caller can switch
// keys between packets (after NEWKEYS).
//
// Received bytes are not copied on the way in: each packet is decrypted straight from the bytes
// the caller fed into its payload buffer. Only what cannot be decoded yet (an incomplete packet at
// the end of a read) is copied into the reader's own buffer, and a packet begun there is completed
// with just its missing bytes before decoding carries on from the caller's bytes again.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "ssh/crypto/packet_cipher.hpp"
#include "ssh/wire/bytes.hpp"

namespace ssh::transport {

class PacketReader {
 public:
  explicit PacketReader(std::uint32_t max_packet_length);  // starts with the null cipher

  void set_cipher(std::unique_ptr<crypto::PacketCipher> cipher);

  // Hands over bytes as received, without copying them. Contract: `data` must stay valid and
  // unchanged until next() has returned need_more or error, or until save_input() (or the next
  // feed()) was called, whichever comes first. At each of those points whatever is left of it is
  // copied into the reader, and the caller may reuse its buffer.
  void feed(ByteView data);
  // A temporary would be gone before next() reads it.
  void feed(const Bytes&& data) = delete;
  // Copies the unread rest of the fed bytes into the reader. For a caller that stops calling
  // next() before need_more (e.g. while a host key verdict is pending) and is about to let its
  // buffer go. Cheap when nothing is left.
  void save_input();

  enum class Status { need_more, packet, error };
  struct Result {
    Status status = Status::need_more;
    std::uint32_t seq = 0;      // of the packet returned
    Bytes payload;              // a pooled buffer (wire::acquire_buffer): worth a release_buffer() when done
    std::size_t wire_size = 0;  // bytes the packet took on the wire, tag included
    bool mac_error = false;     // for Status::error: authentication failed (vs. malformed)
    std::string error;
  };
  // Decodes the next complete packet. After an error the reader stays failed.
  Result next();

  std::uint32_t sequence() const { return seq_; }
  void reset_sequence() { seq_ = 0; }  // strict KEX: after each NEWKEYS (PROTOCOL §1.10)
  std::uint64_t packets() const { return packets_; }
  // Bytes received and not yet decoded, whether still in the caller's buffer or saved.
  std::size_t buffered() const { return buf_.size() - start_ + input_.size(); }

 private:
  Result fail(std::string error, bool mac_error = false);
  Result next_from_buffer();
  Result next_from_input();
  // Decrypts and checks the current packet's length; an error result when it is out of bounds.
  std::optional<Result> read_length(ByteView prefix);
  std::size_t packet_total() const { return 4 + std::size_t{packet_length_} + cipher_->tag_size(); }
  // Authenticates and decrypts one whole packet (as received) into a fresh payload.
  Result open_packet(ByteView packet);
  // Moves bytes from input_ into buf_ until the buffered packet has `size` bytes; false when the
  // input ran out first.
  bool fill_buffer(std::size_t size);
  void append(ByteView data);

  std::unique_ptr<crypto::PacketCipher> cipher_;
  std::uint32_t max_packet_length_;
  ByteView input_;            // the caller's bytes not yet consumed (see feed())
  Bytes buf_;                 // saved bytes: at most a partial packet, unless save_input() kept more
  std::size_t start_ = 0;     // first unconsumed byte of buf_
  bool have_length_ = false;  // the current packet's length prefix has been decrypted
  std::uint32_t packet_length_ = 0;
  bool failed_ = false;
  std::uint32_t seq_ = 0;
  std::uint64_t packets_ = 0;
};

}  // namespace ssh::transport
