#pragma once
// A scripted SSH server for the transport unit tests: frames what a test tells it to send and
// decodes what the client transmitted, using the transport's own packet codecs.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "ssh/transport/kex_init.hpp"
#include "ssh/transport/packet_reader.hpp"
#include "ssh/transport/packet_writer.hpp"
#include "ssh/transport/transport.hpp"

namespace ssh::transport::scripted {

using namespace std::chrono_literals;
inline const TimePoint kT0 = TimePoint{} + 1000s;
inline const std::string kServerVersion = "SSH-2.0-OpenSSH_9.2p1 Debian-2";

inline Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A scripted server: frames what the test tells it to send and decodes what the client sent.
struct Server {
  PacketWriter writer;
  PacketReader reader{1 << 20};
  bool version_seen = false;
  std::string client_version;
  std::string partial;

  Bytes version_line() const { return Bytes(kServerVersion.begin(), kServerVersion.end()) + Bytes{'\r', '\n'}; }
  Bytes packet(ByteView payload) {
    Bytes out;
    writer.write(payload, out);
    return out;
  }
  // Several packets in order (the operands of + are evaluated in unspecified order, and the
  // sequence number and cipher stream depend on it).
  Bytes packets(std::initializer_list<Bytes> payloads) {
    Bytes out;
    for (const auto& p : payloads) writer.write(p, out);
    return out;
  }
  // Everything the client transmitted, as payloads.
  std::vector<Bytes> receive(Transport& t) {
    Bytes out = t.take_transmit();
    ByteView rest(out);
    if (!version_seen) {
      const auto text = as_string(rest);
      const auto nl = text.find("\r\n");
      if (nl == std::string_view::npos) return {};
      client_version = std::string(text.substr(0, nl));
      rest = rest.subspan(nl + 2);
      version_seen = true;
    }
    reader.feed(rest);
    std::vector<Bytes> payloads;
    for (;;) {
      auto r = reader.next();
      EXPECT_NE(r.status, PacketReader::Status::error) << r.error;
      if (r.status != PacketReader::Status::packet) break;
      payloads.push_back(std::move(r.payload));
    }
    return payloads;
  }
};

inline KexInit server_kexinit(const std::string& kex, bool strict = true) {
  KexInit s;
  s.kex = {kex, "ext-info-s"};
  if (strict) s.kex.push_back(kStrictKexServer);
  s.host_key = {"ssh-ed25519", "rsa-sha2-512", "ecdsa-sha2-nistp256"};
  s.cipher_c2s = s.cipher_s2c = {"aes128-ctr"};
  s.mac_c2s = s.mac_s2c = {"hmac-sha2-256"};
  s.compression_c2s = s.compression_s2c = {"none"};
  return s;
}

inline std::vector<TransportEvent> events(Transport& t) {
  std::vector<TransportEvent> out;
  while (auto e = t.poll_event()) out.push_back(std::move(*e));
  return out;
}

inline std::optional<tevent::Disconnected> disconnected(Transport& t) {
  for (auto& e : events(t)) {
    if (auto* d = std::get_if<tevent::Disconnected>(&e)) return *d;
  }
  return std::nullopt;
}

inline TransportConfig config_with_kex(const std::string& kex) {
  TransportConfig c;
  c.algorithms.kex = {kex};
  c.algorithms.kex.push_back("curve25519-sha256");  // fallback irrelevant here
  return c;
}

}  // namespace ssh::transport::scripted
