// Feeds arbitrary bytes to the binary packet reader (RFC 4253 §6), with the null cipher and with
// real ciphers under fixed keys. The first byte picks the cipher (its value mod 5) and how the input
// is fed (the rest of it); the second sizes the pieces.
//
// Feed modes: 0 fixed-size pieces; 1 pieces of random size; 2 random pieces, decoding at most one
// packet per piece and then saving the rest as a caller that pauses does; 3 random pieces fed two
// at a time before decoding. Every piece lives in its own heap buffer that is scribbled over and
// freed as soon as the reader's contract lets the caller reuse it, so a view kept too long is
// caught (by ASan, or by the garbage it reads).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ssh/crypto/packet_cipher.hpp"
#include "ssh/crypto/random.hpp"
#include "ssh/transport/packet_reader.hpp"

namespace {

using ssh::transport::PacketReader;

constexpr std::size_t kCipherModes = 5;

std::unique_ptr<ssh::crypto::PacketCipher> make_cipher(std::size_t n) {
  static const std::pair<const char*, const char*> kModes[] = {
      {"aes128-ctr", "hmac-sha2-256"},
      {"aes256-ctr", "hmac-sha2-512-etm@openssh.com"},
      {"chacha20-poly1305@openssh.com", ""},
      {"aes128-gcm@openssh.com", ""},
  };
  if (n == 0) return ssh::crypto::make_null_cipher();
  const auto [cipher, mac] = kModes[n - 1];
  const auto ci = ssh::crypto::cipher_info(cipher);
  const auto mi = ssh::crypto::mac_info(mac);
  if (!ci) return nullptr;
  const ssh::Bytes key(ci->key_size, 0x11), iv(ci->iv_size, 0x22);
  const ssh::Bytes mac_key(ci->aead || !mi ? 0 : mi->key_size, 0x33);
  return ssh::crypto::make_packet_cipher(cipher, mac, false, key, iv, mac_key);
}

// A small deterministic generator for piece sizes (1 .. 2 * scale), seeded from the input.
struct PieceSizes {
  std::uint32_t state;
  std::size_t scale;
  bool random;
  std::size_t next() {
    if (!random) return scale;
    state = state * 1103515245U + 12345U;
    return 1 + (state >> 16) % (2 * scale);
  }
};

// Decodes until need_more or error (or `limit` packets); false once the stream failed.
bool drain(PacketReader& reader, std::size_t limit) {
  for (std::size_t i = 0; i < limit; ++i) {
    auto r = reader.next();
    if (r.status == PacketReader::Status::error) return false;
    if (r.status == PacketReader::Status::need_more) return true;
  }
  return true;
}

std::unique_ptr<ssh::Bytes> copy_piece(ssh::ByteView input, std::size_t& off, std::size_t size) {
  size = std::min(size, input.size() - off);
  auto piece = std::make_unique<ssh::Bytes>(input.begin() + static_cast<std::ptrdiff_t>(off),
                                            input.begin() + static_cast<std::ptrdiff_t>(off + size));
  off += size;
  return piece;
}

void discard(std::unique_ptr<ssh::Bytes>& piece) {
  if (!piece) return;
  std::fill(piece->begin(), piece->end(), std::uint8_t{0xa5});
  piece.reset();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
#ifdef SSHPLEX_FUZZING
  ssh::crypto::fuzz_reset_random();
#endif
  if (size < 2) return 0;
  const std::size_t cipher_mode = data[0] % kCipherModes;
  const std::size_t feed_mode = data[0] / kCipherModes % 4;
  PieceSizes sizes{data[1], std::size_t{data[1]} + 1, feed_mode != 0};
  const ssh::ByteView input(data + 2, size - 2);
  PacketReader reader(64 * 1024);
  auto cipher = make_cipher(cipher_mode);
  if (!cipher) return 0;
  reader.set_cipher(std::move(cipher));
  std::size_t off = 0;
  while (off < input.size()) {
    auto piece = copy_piece(input, off, sizes.next());
    reader.feed(*piece);
    bool ok = true;
    switch (feed_mode) {
      case 2:
        ok = drain(reader, 1);
        reader.save_input();
        break;
      case 3: {
        // The first piece must outlive the second feed; both may go once that has happened.
        auto second = copy_piece(input, off, sizes.next());
        reader.feed(*second);
        discard(piece);
        ok = drain(reader, SIZE_MAX);
        discard(second);
        break;
      }
      default:
        ok = drain(reader, SIZE_MAX);
        break;
    }
    discard(piece);
    if (!ok) return 0;
  }
  // Whatever was saved decodes without any more input.
  drain(reader, SIZE_MAX);
  return 0;
}
