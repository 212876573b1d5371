// Feeds arbitrary bytes to the binary packet reader (RFC 4253 §6), with the null cipher and with
// real ciphers under fixed keys. The first byte picks the cipher and how the input is chunked.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ssh/crypto/packet_cipher.hpp"
#include "ssh/crypto/random.hpp"
#include "ssh/transport/packet_reader.hpp"

namespace {

std::unique_ptr<ssh::crypto::PacketCipher> make_cipher(std::uint8_t selector) {
  static const std::pair<const char*, const char*> kModes[] = {
      {"aes128-ctr", "hmac-sha2-256"},
      {"aes256-ctr", "hmac-sha2-512-etm@openssh.com"},
      {"chacha20-poly1305@openssh.com", ""},
      {"aes128-gcm@openssh.com", ""},
  };
  const std::size_t n = selector % (std::size(kModes) + 1);
  if (n == 0) return ssh::crypto::make_null_cipher();
  const auto [cipher, mac] = kModes[n - 1];
  const auto ci = ssh::crypto::cipher_info(cipher);
  const auto mi = ssh::crypto::mac_info(mac);
  if (!ci) return nullptr;
  const ssh::Bytes key(ci->key_size, 0x11), iv(ci->iv_size, 0x22);
  const ssh::Bytes mac_key(ci->aead || !mi ? 0 : mi->key_size, 0x33);
  return ssh::crypto::make_packet_cipher(cipher, mac, false, key, iv, mac_key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
#ifdef SSHPLEX_FUZZING
  ssh::crypto::fuzz_reset_random();
#endif
  if (size < 2) return 0;
  const std::uint8_t selector = data[0];
  const std::size_t chunk = std::size_t{data[1]} + 1;
  ssh::ByteView input(data + 2, size - 2);
  ssh::transport::PacketReader reader(64 * 1024);
  auto cipher = make_cipher(selector);
  if (!cipher) return 0;
  reader.set_cipher(std::move(cipher));
  for (std::size_t off = 0; off < input.size(); off += chunk) {
    reader.feed(input.subspan(off, std::min(chunk, input.size() - off)));
    for (;;) {
      auto r = reader.next();
      if (r.status != ssh::transport::PacketReader::Status::packet) {
        if (r.status == ssh::transport::PacketReader::Status::error) return 0;
        break;
      }
    }
  }
  return 0;
}
