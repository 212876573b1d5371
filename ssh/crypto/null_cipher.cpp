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
  void seal_into(std::uint32_t, MutableByteView, MutableByteView) override {}
  std::size_t length_prefix_size() const override { return 4; }
  std::uint32_t decrypt_length(std::uint32_t, MutableByteView prefix) override {
    return prefix.size() < 4 ? 0 : load_be32(prefix.data());
  }
  bool open(std::uint32_t, MutableByteView packet) override { return packet.size() >= 4; }
};

}  // namespace

std::unique_ptr<PacketCipher> make_null_cipher() {
  return std::make_unique<NullCipher>();
}

}  // namespace ssh::crypto
