#pragma once
// SSH_MSG_KEXINIT (RFC 4253 §7.1): building ours, parsing the server's, and negotiating.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ssh/transport/transport.hpp"
#include "ssh/wire/bytes.hpp"

namespace ssh::transport {

// Pseudo-algorithms carried in the kex list (RFC 8308 §2.1, OpenSSH PROTOCOL §1.10).
inline constexpr const char* kExtInfoClient = "ext-info-c";
inline constexpr const char* kStrictKexClient = "kex-strict-c-v00@openssh.com";
inline constexpr const char* kStrictKexServer = "kex-strict-s-v00@openssh.com";

struct KexInit {
  std::array<std::uint8_t, 16> cookie{};
  std::vector<std::string> kex, host_key;
  std::vector<std::string> cipher_c2s, cipher_s2c;
  std::vector<std::string> mac_c2s, mac_s2c;
  std::vector<std::string> compression_c2s, compression_s2c;
  std::vector<std::string> language_c2s, language_s2c;
  bool first_kex_packet_follows = false;
  std::uint32_t reserved = 0;
};

// Our KEXINIT from the preferences. The first key exchange also advertises ext-info-c and
// strict KEX; re-keys must not (PROTOCOL §1.10, RFC 8308 §2.1).
KexInit make_client_kexinit(const AlgorithmPreferences& prefs, bool first_kex);

Bytes encode_kexinit(const KexInit& k);  // the whole payload, message number first
std::optional<KexInit> parse_kexinit(ByteView payload);

struct NegotiationResult {
  std::optional<NegotiatedAlgorithms> algorithms;
  std::string error;  // when algorithms is empty: which list had no match
  // The server sent a guessed kex packet for a kex/host-key pair other than the negotiated one;
  // the next packet must be ignored (RFC 4253 §7).
  bool ignore_guessed_packet = false;
};

// Negotiates per RFC 4253 §7.1. `strict_kex` is set when this is the first exchange and the
// server advertised kex-strict-s-v00@openssh.com.
NegotiationResult negotiate_kexinit(const KexInit& client, const KexInit& server, bool first_kex);

}  // namespace ssh::transport
