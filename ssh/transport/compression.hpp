#pragma once
// Payload compression of the binary packet protocol (RFC 4253 §6.2): zlib, and OpenSSH's delayed
// zlib@openssh.com (PROTOCOL §2.2), which starts only once user authentication has succeeded.
// Each packet's payload is deflated with a partial flush so the peer can inflate every packet on
// its own while the stream (and its dictionary) runs on from packet to packet. The only zlib user
// in the project; zlib does no I/O, so this stays sans-IO.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ssh/wire/bytes.hpp"

namespace ssh::transport {

inline constexpr const char* kCompressionNone = "none";
inline constexpr const char* kCompressionZlib = "zlib";
inline constexpr const char* kCompressionDelayed = "zlib@openssh.com";

// ssh's deflate level (OpenSSH packet.c starts every stream at 6; CompressionLevel is gone).
inline constexpr int kCompressionLevel = 6;

// When a negotiated method starts compressing: `zlib` from the packet after NEWKEYS, the delayed
// method from the packet after SSH_MSG_USERAUTH_SUCCESS (or after NEWKEYS once that has passed).
enum class CompressionStart { never, after_newkeys, after_auth };
CompressionStart compression_start(std::string_view name);

// One outgoing deflate stream.
class Compressor {
 public:
  explicit Compressor(int level = kCompressionLevel);
  ~Compressor();
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  bool ok() const { return stream_ != nullptr; }
  // Appends the compressed form of the payload `head` + `body` to `out`, flushed (Z_PARTIAL_FLUSH)
  // so the packet is decodable on its own. False on a zlib failure; the stream is unusable then.
  bool compress(ByteView head, ByteView body, Bytes& out);
  std::uint64_t total_in() const { return total_in_; }
  std::uint64_t total_out() const { return total_out_; }

 private:
  struct Stream;
  std::unique_ptr<Stream> stream_;
  std::uint64_t total_in_ = 0, total_out_ = 0;
};

// One incoming inflate stream. A packet's payload may not inflate to more than `max_output`
// bytes: output stops growing there, so a small packet cannot make us allocate without bound.
class Decompressor {
 public:
  explicit Decompressor(std::size_t max_output);
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  bool ok() const { return stream_ != nullptr && !failed_; }
  enum class Status { ok, too_large, corrupt };
  // Inflates one packet's payload, replacing the contents of `out` (whose capacity is reused).
  // After an error the stream is failed and every later call fails too.
  Status decompress(ByteView in, Bytes& out);
  std::uint64_t total_in() const { return total_in_; }
  std::uint64_t total_out() const { return total_out_; }

 private:
  struct Stream;
  std::unique_ptr<Stream> stream_;
  std::size_t max_output_;
  bool failed_ = false;
  std::uint64_t total_in_ = 0, total_out_ = 0;
};

}  // namespace ssh::transport
