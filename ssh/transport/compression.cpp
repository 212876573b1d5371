#include "ssh/transport/compression.hpp"

#include <algorithm>
#include <limits>

#define ZLIB_CONST
#include <zlib.h>

namespace ssh::transport {
namespace {

// zlib counts in uInt; one packet is far below that, but a view is not bounded by its type.
bool fits_uint(std::size_t n) {
  return n <= std::numeric_limits<uInt>::max();
}

}  // namespace

CompressionStart compression_start(std::string_view name) {
  if (name == kCompressionZlib) return CompressionStart::after_newkeys;
  if (name == kCompressionDelayed) return CompressionStart::after_auth;
  return CompressionStart::never;
}

// ---- Compressor

// zlib keeps a pointer to its z_stream inside its state and checks it on every call: the stream
// lives on the heap and never moves.
struct Compressor::Stream {
  z_stream z{};
  ~Stream() { deflateEnd(&z); }
};

Compressor::Compressor(int level) {
  auto s = std::make_unique<Stream>();
  // deflateInit() is a macro with a C cast; its function form takes the same arguments.
  if (deflateInit_(&s->z, level, ZLIB_VERSION, static_cast<int>(sizeof(z_stream))) != Z_OK) return;
  stream_ = std::move(s);
}

Compressor::~Compressor() = default;

bool Compressor::compress(ByteView head, ByteView body, Bytes& out) {
  if (!stream_ || !fits_uint(head.size()) || !fits_uint(body.size())) return false;
  z_stream& z = stream_->z;
  const std::size_t start = out.size();
  std::size_t produced = 0;
  // Room for the input, a little deflate overhead and the flush marker; grown when deflate fills it.
  std::size_t room = head.size() + body.size() + 64;
  const ByteView pieces[2] = {head, body};
  for (int i = 0; i < 2; ++i) {
    // The header goes in without a flush; the flush after the body ends the packet's data.
    const int flush = i == 0 ? Z_NO_FLUSH : Z_PARTIAL_FLUSH;
    z.next_in = pieces[i].data();
    z.avail_in = static_cast<uInt>(pieces[i].size());
    for (;;) {
      if (out.size() < start + produced + room) out.resize(start + produced + room);
      const std::size_t avail = out.size() - start - produced;
      z.next_out = out.data() + start + produced;
      z.avail_out = static_cast<uInt>(std::min<std::size_t>(avail, std::numeric_limits<uInt>::max()));
      const uInt before = z.avail_out;
      const int status = deflate(&z, flush);
      produced += before - z.avail_out;
      // Z_BUF_ERROR only means no progress was possible (nothing to do): not a failure.
      if (status != Z_OK && status != Z_BUF_ERROR) {
        out.resize(start);
        stream_.reset();
        return false;
      }
      if (flush == Z_NO_FLUSH ? z.avail_in == 0 : z.avail_out != 0) break;
      room *= 2;
    }
  }
  out.resize(start + produced);
  total_in_ += head.size() + body.size();
  total_out_ += produced;
  return true;
}

// ---- Decompressor

struct Decompressor::Stream {
  z_stream z{};
  ~Stream() { inflateEnd(&z); }
};

Decompressor::Decompressor(std::size_t max_output) : max_output_(max_output) {
  auto s = std::make_unique<Stream>();
  if (inflateInit_(&s->z, ZLIB_VERSION, static_cast<int>(sizeof(z_stream))) != Z_OK) {
    failed_ = true;
    return;
  }
  stream_ = std::move(s);
}

Decompressor::~Decompressor() = default;

Decompressor::Status Decompressor::decompress(ByteView in, Bytes& out) {
  out.clear();
  if (failed_ || !stream_ || !fits_uint(in.size())) {
    failed_ = true;
    return Status::corrupt;
  }
  z_stream& z = stream_->z;
  z.next_in = in.data();
  z.avail_in = static_cast<uInt>(in.size());
  // One byte beyond the limit tells "exactly at the limit" from "over it" without inflating more.
  const std::size_t cap = max_output_ + 1;
  std::size_t produced = 0;
  std::size_t size = std::min(cap, std::max<std::size_t>({out.capacity(), 4 * in.size(), 4096}));
  for (;;) {
    // Exactly `size`: resize() alone may double the capacity past the bound.
    if (out.capacity() < size) out.reserve(size);
    if (out.size() < size) out.resize(size);
    z.next_out = out.data() + produced;
    z.avail_out = static_cast<uInt>(size - produced);
    const uInt before = z.avail_out;
    // A sync flush hands out everything decodable from this packet (as OpenSSH inflates).
    const int status = inflate(&z, Z_SYNC_FLUSH);
    produced += before - z.avail_out;
    if (produced > max_output_) {
      failed_ = true;
      out.clear();
      return Status::too_large;
    }
    if (status == Z_OK || status == Z_BUF_ERROR) {
      // Output room left over means the input is used up: the packet is done.
      if (z.avail_out != 0) {
        if (z.avail_in != 0) break;  // stuck with input left: cannot happen with valid data
        out.resize(produced);
        total_in_ += in.size();
        total_out_ += produced;
        return Status::ok;
      }
      if (size < cap) size = std::min(cap, size * 2);
      continue;
    }
    // Z_STREAM_END (the peer may not end its stream), Z_DATA_ERROR, Z_NEED_DICT, Z_MEM_ERROR.
    break;
  }
  failed_ = true;
  out.clear();
  return Status::corrupt;
}

}  // namespace ssh::transport
