#include "ssh/transport/key_derivation.hpp"

#include "ssh/crypto/packet_cipher.hpp"

namespace ssh::transport {

SecretBytes derive_key(crypto::HashAlg hash, ByteView shared_secret_mpint, ByteView exchange_hash, char letter,
                       ByteView session_id, std::size_t size) {
  SecretBytes out;
  if (size == 0) return out;
  {
    crypto::Hash h(hash);
    h.update(shared_secret_mpint);
    h.update(exchange_hash);
    const auto byte = static_cast<std::uint8_t>(letter);
    h.update(ByteView(&byte, 1));
    h.update(session_id);
    out = h.finish();
  }
  // RFC 4253 §7.2: K2 = HASH(K || H || K1), K3 = HASH(K || H || K1 || K2), ...
  while (out.size() < size) {
    crypto::Hash h(hash);
    h.update(shared_secret_mpint);
    h.update(exchange_hash);
    h.update(ByteView(out));
    const SecretBytes more = h.finish();
    out.insert(out.end(), more.begin(), more.end());
  }
  out.resize(size);
  return out;
}

bool derive_session_keys(crypto::HashAlg hash, ByteView shared_secret_mpint, ByteView exchange_hash,
                         ByteView session_id, const std::string& cipher_c2s, const std::string& mac_c2s,
                         const std::string& cipher_s2c, const std::string& mac_s2c, SessionKeys& out) {
  auto one = [&](const std::string& cipher, const std::string& mac, char iv_letter, char key_letter, char mac_letter,
                 DirectionKeys& keys) {
    const auto ci = crypto::cipher_info(cipher);
    if (!ci) return false;
    std::size_t mac_size = 0;
    if (!ci->aead) {
      const auto mi = crypto::mac_info(mac);
      if (!mi) return false;
      mac_size = mi->key_size;
    }
    keys.iv = derive_key(hash, shared_secret_mpint, exchange_hash, iv_letter, session_id, ci->iv_size);
    keys.key = derive_key(hash, shared_secret_mpint, exchange_hash, key_letter, session_id, ci->key_size);
    keys.mac_key = derive_key(hash, shared_secret_mpint, exchange_hash, mac_letter, session_id, mac_size);
    return true;
  };
  return one(cipher_c2s, mac_c2s, 'A', 'C', 'E', out.c2s) && one(cipher_s2c, mac_s2c, 'B', 'D', 'F', out.s2c);
}

}  // namespace ssh::transport
