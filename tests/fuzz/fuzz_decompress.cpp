// Feeds arbitrary bytes to the inbound side of payload compression (ssh/transport/compression):
// the input is cut into packets, each inflated in turn on one stream as the transport does, under
// the 256 KiB bound. The first byte picks the mode: even splits the rest into packets of
// length-prefixed pieces (2 bytes, big-endian) and inflates them as given; odd deflates those
// pieces with a Compressor first and checks that each inflates back to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ssh/transport/compression.hpp"

namespace {

constexpr std::size_t kMaxPayload = 256 * 1024;

// The next piece: a 2-byte length, then up to that many bytes (fewer at the end of the input).
bool next_piece(ssh::ByteView& rest, ssh::ByteView& piece) {
  if (rest.size() < 2) return false;
  const std::size_t n = (std::size_t{rest[0]} << 8) | rest[1];
  rest = rest.subspan(2);
  piece = rest.first(n < rest.size() ? n : rest.size());
  rest = rest.subspan(piece.size());
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool round_trip = (data[0] & 1) != 0;
  ssh::ByteView rest(data + 1, size - 1);
  ssh::transport::Decompressor inflater(kMaxPayload);
  ssh::transport::Compressor deflater;
  ssh::Bytes plain, packed;
  ssh::ByteView piece;
  while (next_piece(rest, piece)) {
    if (!round_trip) {
      const auto status = inflater.decompress(piece, plain);
      // Nothing beyond the bound is ever handed out, and an error ends the stream.
      if (plain.size() > kMaxPayload) std::abort();
      if (status != ssh::transport::Decompressor::Status::ok) {
        if (!plain.empty() || inflater.ok()) std::abort();
        return 0;
      }
      continue;
    }
    packed.clear();
    // The first byte as a separate header, as the transport hands a message header and its data.
    const ssh::ByteView head = piece.first(piece.empty() ? 0 : 1);
    if (!deflater.compress(head, piece.subspan(head.size()), packed)) std::abort();
    if (inflater.decompress(packed, plain) != ssh::transport::Decompressor::Status::ok) std::abort();
    if (plain.size() != piece.size()) std::abort();
    for (std::size_t i = 0; i < piece.size(); ++i) {
      if (plain[i] != piece[i]) std::abort();
    }
  }
  return 0;
}
