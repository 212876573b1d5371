#pragma once
// Protection of SSH binary packets in one direction (RFC 4253 §6), hiding the differences between
// cipher+MAC (encrypt-and-MAC and encrypt-then-MAC), AES-GCM (RFC 5647 as amended by OpenSSH's
// PROTOCOL) and chacha20-poly1305@openssh.com (PROTOCOL.chacha20poly1305).
//
// A packet on the wire is: uint32 packet_length | byte padding_length | payload | padding | tag.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ssh/wire/bytes.hpp"

namespace ssh::crypto {

struct CipherInfo {
  std::size_t key_size;
  std::size_t iv_size;     // 0 when the cipher takes no IV from the key derivation (chacha20)
  std::size_t block_size;  // padding granularity (8 for stream-like ciphers per RFC 4253 §6)
  bool aead;               // carries its own tag; the negotiated MAC is ignored
};
struct MacInfo {
  std::size_t key_size;
  std::size_t tag_size;
  bool encrypt_then_mac;
};

// nullopt for names this build does not implement.
std::optional<CipherInfo> cipher_info(std::string_view name);
std::optional<MacInfo> mac_info(std::string_view name);

// The largest tag any supported protection produces (hmac-sha2-512).
inline constexpr std::size_t kMaxPacketTagSize = 64;

class PacketCipher {
 public:
  virtual ~PacketCipher() = default;

  virtual std::size_t block_size() const = 0;
  virtual std::size_t tag_size() const = 0;
  // True when padding is computed over the packet without the 4-byte length field (RFC 5647 §7.2,
  // PROTOCOL §1.5): EtM MACs and every AEAD mode. That includes chacha20-poly1305, whose length is
  // encrypted but separately from the payload; OpenSSH rejects its packets padded the other way.
  // Do not use this to read the length: decrypt_length() is the only way for every mode.
  virtual bool length_in_clear() const = 0;

  // Encrypts `packet` (uint32 length .. padding, already padded) in place and writes the tag into
  // `tag` (tag_size() bytes). Both usually lie in the output buffer, so nothing is copied.
  void seal_into(std::uint32_t seq, MutableByteView packet, MutableByteView tag) {
    seal_gather_into(seq, packet, packet.size(), {}, tag);
  }
  // The same for a packet whose bytes [body_at, body_at + body.size()) are not in `packet` yet but
  // in `body` (channel data still in the read buffer it arrived in): they are encrypted straight
  // from there into place, so the transmit path copies them only as part of encrypting them.
  // Whatever `packet` holds in that range is overwritten. The range must lie within `packet` after
  // the 4-byte length field; otherwise nothing is sealed (the packet is wiped, as on any failure).
  virtual void seal_gather_into(std::uint32_t seq, MutableByteView packet, std::size_t body_at, ByteView body,
                                MutableByteView tag) = 0;
  // The same for a packet held alone: seals it in place and appends the tag.
  void seal(std::uint32_t seq, Bytes& packet);

  // Opening is two-phase because the length must be learnt before the rest has arrived. Neither
  // phase writes to the received bytes: they may be the caller's read buffer, and decrypting
  // straight out of it into the payload buffer is what spares the receive path its copies.
  // Number of leading bytes needed to learn the length (4, or one cipher block).
  virtual std::size_t length_prefix_size() const = 0;
  // Returns packet_length (excluding the 4-byte length field and the tag). `prefix` holds the
  // first length_prefix_size() bytes as received; the implementation remembers whatever it needs
  // for open_into() (for encrypt-and-MAC CTR: the decrypted first block, since its keystream is
  // used up).
  virtual std::uint32_t decrypt_length(std::uint32_t seq, ByteView prefix) = 0;
  // `packet` is the whole packet as received, untouched: 4 + packet_length bytes followed by
  // tag_size() bytes, its prefix already passed through decrypt_length(). Verifies the tag (in
  // constant time) and decrypts out of place: on success `padding_length` holds the first plaintext
  // byte and `out` exactly the packet_length - 1 bytes after it (payload, then padding), starting at
  // out[0]; whatever `out` held before is overwritten. Returns false on authentication failure (or
  // when decrypt_length() did not succeed first, or the packet cannot hold a padding_length byte);
  // then `out` is left empty (any plaintext written to it wiped first), `padding_length` is 0, and
  // the connection must end.
  // Sealing and opening each need one call per packet in sequence-number order: the CTR stream and
  // the GCM invocation counter advance with every packet.
  [[nodiscard]] virtual bool open_into(std::uint32_t seq, ByteView packet, std::uint8_t& padding_length,
                                       Bytes& out) = 0;
};

// The "none" protection used before the first NEWKEYS.
std::unique_ptr<PacketCipher> make_null_cipher();

// Builds the protection for one direction. `mac_name` is ignored for AEAD ciphers.
// Key material sizes must match cipher_info()/mac_info(). Returns nullptr for unknown names.
std::unique_ptr<PacketCipher> make_packet_cipher(std::string_view cipher_name, std::string_view mac_name, bool encrypt,
                                                 ByteView key, ByteView iv, ByteView mac_key);

}  // namespace ssh::crypto
