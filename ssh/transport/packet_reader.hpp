#pragma once
// Incoming side of the binary packet protocol (RFC 4253 §6): buffers bytes, learns each packet's
// length, checks bounds, authenticates and decrypts, and yields payloads one at a time so the
// caller can switch keys between packets (after NEWKEYS).
#include <cstdint>
#include <memory>
#include <string>

#include "ssh/crypto/packet_cipher.hpp"
#include "ssh/wire/bytes.hpp"

namespace ssh::transport {

class PacketReader {
 public:
  explicit PacketReader(std::uint32_t max_packet_length);  // starts with the null cipher

  void set_cipher(std::unique_ptr<crypto::PacketCipher> cipher);

  void feed(ByteView data);

  enum class Status { need_more, packet, error };
  struct Result {
    Status status = Status::need_more;
    std::uint32_t seq = 0;  // of the packet returned
    Bytes payload;
    std::size_t wire_size = 0;  // bytes the packet took on the wire, tag included
    bool mac_error = false;     // for Status::error: authentication failed (vs. malformed)
    std::string error;
  };
  // Decodes the next complete packet from the buffered bytes. After an error the reader stays
  // failed.
  Result next();

  std::uint32_t sequence() const { return seq_; }
  void reset_sequence() { seq_ = 0; }  // strict KEX: after each NEWKEYS (PROTOCOL §1.10)
  std::uint64_t packets() const { return packets_; }
  std::size_t buffered() const { return buf_.size() - start_; }

 private:
  Result fail(std::string error, bool mac_error = false);

  std::unique_ptr<crypto::PacketCipher> cipher_;
  std::uint32_t max_packet_length_;
  Bytes buf_;
  std::size_t start_ = 0;     // first unconsumed byte of buf_
  bool have_length_ = false;  // the current packet's length prefix has been decrypted
  std::uint32_t packet_length_ = 0;
  bool failed_ = false;
  std::uint32_t seq_ = 0;
  std::uint64_t packets_ = 0;
};

}  // namespace ssh::transport
