// Names of the packet protections this build implements (RFC 4253 §6.3/§6.4, RFC 4344 §4,
// RFC 6668, OpenSSH PROTOCOL §1.5/§1.6, PROTOCOL.chacha20poly1305) and the factory behind them.
#include <algorithm>
#include <array>

#include "ssh/crypto/packet_cipher.hpp"
#include "ssh/crypto/packet_cipher_impl.hpp"
#include "ssh/wire/bytes.hpp"

namespace ssh::crypto {
namespace {

enum class Kind { aes_ctr, aes_gcm, chacha20_poly1305 };

struct CipherEntry {
  std::string_view name;
  Kind kind;
  CipherInfo info;
};

// "none" is deliberately absent: it is never negotiable, only make_null_cipher() provides it.
constexpr std::array<CipherEntry, 6> kCiphers{{
    {"chacha20-poly1305@openssh.com", Kind::chacha20_poly1305, {64, 0, 8, true}},
    {"aes128-gcm@openssh.com", Kind::aes_gcm, {16, 12, 16, true}},
    {"aes256-gcm@openssh.com", Kind::aes_gcm, {32, 12, 16, true}},
    {"aes128-ctr", Kind::aes_ctr, {16, 16, 16, false}},
    {"aes192-ctr", Kind::aes_ctr, {24, 16, 16, false}},
    {"aes256-ctr", Kind::aes_ctr, {32, 16, 16, false}},
}};

struct MacEntry {
  std::string_view name;
  HashAlg hash;
  MacInfo info;
};

// RFC 6668 / RFC 4253 §6.4: HMAC keys are as long as the digest output.
constexpr std::array<MacEntry, 6> kMacs{{
    {"hmac-sha2-256-etm@openssh.com", HashAlg::sha256, {32, 32, true}},
    {"hmac-sha2-512-etm@openssh.com", HashAlg::sha512, {64, 64, true}},
    {"hmac-sha1-etm@openssh.com", HashAlg::sha1, {20, 20, true}},
    {"hmac-sha2-256", HashAlg::sha256, {32, 32, false}},
    {"hmac-sha2-512", HashAlg::sha512, {64, 64, false}},
    {"hmac-sha1", HashAlg::sha1, {20, 20, false}},
}};

const CipherEntry* find_cipher(std::string_view name) {
  for (const auto& e : kCiphers)
    if (e.name == name) return &e;
  return nullptr;
}

const MacEntry* find_mac(std::string_view name) {
  for (const auto& e : kMacs)
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace

std::optional<CipherInfo> cipher_info(std::string_view name) {
  const CipherEntry* e = find_cipher(name);
  if (e == nullptr) return std::nullopt;
  return e->info;
}

std::optional<MacInfo> mac_info(std::string_view name) {
  const MacEntry* e = find_mac(name);
  if (e == nullptr) return std::nullopt;
  return e->info;
}

std::unique_ptr<PacketCipher> make_packet_cipher(std::string_view cipher_name, std::string_view mac_name, bool encrypt,
                                                 ByteView key, ByteView iv, ByteView mac_key) {
  const CipherEntry* c = find_cipher(cipher_name);
  if (c == nullptr || key.size() != c->info.key_size || iv.size() != c->info.iv_size) return nullptr;
  switch (c->kind) {
    case Kind::chacha20_poly1305:
      return packet_detail::make_chacha20_poly1305(key, encrypt);
    case Kind::aes_gcm:
      return packet_detail::make_aes_gcm(key, iv, encrypt);
    case Kind::aes_ctr: {
      const MacEntry* m = find_mac(mac_name);
      if (m == nullptr || mac_key.size() != m->info.key_size) return nullptr;
      return packet_detail::make_aes_ctr_hmac(key, iv, m->hash, m->info.encrypt_then_mac, encrypt, mac_key);
    }
  }
  return nullptr;
}

void PacketCipher::seal(std::uint32_t seq, Bytes& packet) {
  const std::size_t size = packet.size();
  packet.insert(packet.end(), tag_size(), std::uint8_t{0});
  const MutableByteView whole(packet);
  seal_into(seq, whole.first(size), whole.subspan(size));
}

namespace packet_detail {

void seal_failed(MutableByteView packet, MutableByteView tag) {
  wipe(packet.data(), packet.size());
  std::fill(tag.begin(), tag.end(), std::uint8_t{0});
}

}  // namespace packet_detail

}  // namespace ssh::crypto
