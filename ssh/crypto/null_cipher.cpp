#include <algorithm>

#include "ssh/crypto/packet_cipher.hpp"
#include "ssh/crypto/packet_cipher_impl.hpp"

namespace ssh::crypto {
namespace {

using packet_detail::load_be32;

// RFC 4253 §6: before the first NEWKEYS packets travel with cipher "none" and MAC "none"; padding
// still aligns the whole packet (length field included) to 8 bytes.
class NullCipher final : public PacketCipher {
 public:
  std::size_t block_size() const override { return 8; }
  std::size_t tag_size() const override { return 0; }
  bool length_in_clear() const override { return false; }
  // No protection: sealing only puts the body in its place.
  void seal_gather_into(std::uint32_t, MutableByteView packet, std::size_t body_at, ByteView body,
                        MutableByteView tag) override {
    if (!packet_detail::gather_fits(packet, body_at, body)) {
      packet_detail::seal_failed(packet, tag);
      return;
    }
    std::copy(body.begin(), body.end(), packet.begin() + static_cast<std::ptrdiff_t>(body_at));
  }
  std::size_t length_prefix_size() const override { return 4; }
  std::uint32_t decrypt_length(std::uint32_t, ByteView prefix) override {
    return prefix.size() < 4 ? 0 : load_be32(prefix.data());
  }
  // Nothing to verify or decrypt: copying into `out` is the whole job (the packet's one copy).
  bool open_into(std::uint32_t, ByteView packet, std::uint8_t& padding_length, Bytes& out) override {
    if (packet.size() < 5) return packet_detail::open_failed(padding_length, out);
    padding_length = packet[4];
    out.assign(packet.begin() + 5, packet.end());
    return true;
  }
};

}  // namespace

std::unique_ptr<PacketCipher> make_null_cipher() {
  return std::make_unique<NullCipher>();
}

}  // namespace ssh::crypto
