#include "ssh/transport/kex_init.hpp"

#include <algorithm>

#include "ssh/crypto/packet_cipher.hpp"
#include "ssh/crypto/random.hpp"
#include "ssh/transport/message_numbers.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::transport {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

}  // namespace

KexInit make_client_kexinit(const AlgorithmPreferences& prefs, bool first_kex) {
  KexInit k;
  crypto::random_bytes(MutableByteView(k.cookie));
  k.kex = prefs.kex;
  if (first_kex) {
    k.kex.emplace_back(kExtInfoClient);
    k.kex.emplace_back(kStrictKexClient);
  }
  k.host_key = prefs.host_key;
  k.cipher_c2s = k.cipher_s2c = prefs.ciphers;
  k.mac_c2s = k.mac_s2c = prefs.macs;
  k.compression_c2s = k.compression_s2c = prefs.compression;
  return k;
}

Bytes encode_kexinit(const KexInit& k) {
  wire::Writer w(msg::kKexInit);
  w.raw(ByteView(k.cookie));
  for (const auto* list : {&k.kex, &k.host_key, &k.cipher_c2s, &k.cipher_s2c, &k.mac_c2s, &k.mac_s2c,
                           &k.compression_c2s, &k.compression_s2c, &k.language_c2s, &k.language_s2c}) {
    w.name_list(*list);
  }
  w.boolean(k.first_kex_packet_follows);
  w.u32(k.reserved);
  return w.take();
}

std::optional<KexInit> parse_kexinit(ByteView payload) {
  wire::Reader r(payload);
  std::uint8_t type = 0;
  ByteView cookie;
  if (!r.u8(type) || type != msg::kKexInit || !r.bytes(16, cookie)) return std::nullopt;
  KexInit k;
  std::copy(cookie.begin(), cookie.end(), k.cookie.begin());
  for (auto* list : {&k.kex, &k.host_key, &k.cipher_c2s, &k.cipher_s2c, &k.mac_c2s, &k.mac_s2c, &k.compression_c2s,
                     &k.compression_s2c, &k.language_c2s, &k.language_s2c}) {
    if (!r.name_list(*list)) return std::nullopt;
  }
  // Trailing bytes after the reserved field are allowed for future extension (RFC 4253 §7.1).
  if (!r.boolean(k.first_kex_packet_follows) || !r.u32(k.reserved)) return std::nullopt;
  return k;
}

NegotiationResult negotiate_kexinit(const KexInit& client, const KexInit& server, bool first_kex) {
  NegotiationResult result;
  NegotiatedAlgorithms a;
  auto pick = [&](const std::vector<std::string>& c, const std::vector<std::string>& s, const char* what,
                  std::string& out) {
    auto chosen = negotiate(c, s);
    if (!chosen) {
      result.error = std::string("no common ") + what;
      return false;
    }
    out = *chosen;
    return true;
  };
  // The pseudo-algorithms are never negotiated as a kex method.
  std::vector<std::string> client_kex;
  for (const auto& n : client.kex) {
    if (n != kExtInfoClient && n != kStrictKexClient) client_kex.push_back(n);
  }
  if (!pick(client_kex, server.kex, "key exchange algorithm", a.kex)) return result;
  if (!pick(client.host_key, server.host_key, "host key algorithm", a.host_key)) return result;
  if (!pick(client.cipher_c2s, server.cipher_c2s, "client-to-server cipher", a.cipher_c2s)) return result;
  if (!pick(client.cipher_s2c, server.cipher_s2c, "server-to-client cipher", a.cipher_s2c)) return result;
  // AEAD ciphers ignore the MAC lists; no common MAC is needed then (PROTOCOL §1.6).
  auto mac_for = [&](const std::string& cipher, const std::vector<std::string>& c, const std::vector<std::string>& s,
                     const char* what, std::string& out) {
    const auto info = crypto::cipher_info(cipher);
    if (info && info->aead) {
      out.clear();
      return true;
    }
    return pick(c, s, what, out);
  };
  if (!mac_for(a.cipher_c2s, client.mac_c2s, server.mac_c2s, "client-to-server MAC", a.mac_c2s)) return result;
  if (!mac_for(a.cipher_s2c, client.mac_s2c, server.mac_s2c, "server-to-client MAC", a.mac_s2c)) return result;
  // Per direction, the client's first method the server also lists (RFC 4253 §7.1).
  if (!pick(client.compression_c2s, server.compression_c2s, "client-to-server compression", a.compression_c2s) ||
      !pick(client.compression_s2c, server.compression_s2c, "server-to-client compression", a.compression_s2c)) {
    return result;
  }
  a.strict_kex = first_kex && contains(server.kex, kStrictKexServer);
  // RFC 4253 §7: a guess is right only when both sides' preferred kex and host key algorithms
  // agree; otherwise the guessed packet is discarded.
  if (server.first_kex_packet_follows) {
    const bool right = !server.kex.empty() && !server.host_key.empty() && !client_kex.empty() &&
                       !client.host_key.empty() && server.kex.front() == client_kex.front() &&
                       server.host_key.front() == client.host_key.front();
    result.ignore_guessed_packet = !right;
  }
  result.algorithms = std::move(a);
  return result;
}

}  // namespace ssh::transport
