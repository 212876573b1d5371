// The transport state machine in memory, against a scripted server built from the same codecs.
#include "ssh/transport/transport.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "ssh/crypto/key_agreement.hpp"
#include "ssh/keys/private_key.hpp"
#include "ssh/transport/kex_exchange.hpp"
#include "ssh/transport/kex_init.hpp"
#include "ssh/transport/key_derivation.hpp"
#include "ssh/transport/message_numbers.hpp"
#include "ssh/transport/packet_reader.hpp"
#include "ssh/transport/packet_writer.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::transport {
namespace {

using namespace std::chrono_literals;
const TimePoint kT0 = TimePoint{} + 1000s;
const std::string kServerVersion = "SSH-2.0-OpenSSH_9.2p1 Debian-2";

Bytes operator+(Bytes a, const Bytes& b) {
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

KexInit server_kexinit(const std::string& kex, bool strict = true) {
  KexInit s;
  s.kex = {kex, "ext-info-s"};
  if (strict) s.kex.push_back(kStrictKexServer);
  s.host_key = {"ssh-ed25519", "rsa-sha2-512", "ecdsa-sha2-nistp256"};
  s.cipher_c2s = s.cipher_s2c = {"aes128-ctr"};
  s.mac_c2s = s.mac_s2c = {"hmac-sha2-256"};
  s.compression_c2s = s.compression_s2c = {"none"};
  return s;
}

std::vector<TransportEvent> events(Transport& t) {
  std::vector<TransportEvent> out;
  while (auto e = t.poll_event()) out.push_back(std::move(*e));
  return out;
}

std::optional<tevent::Disconnected> disconnected(Transport& t) {
  for (auto& e : events(t)) {
    if (auto* d = std::get_if<tevent::Disconnected>(&e)) return *d;
  }
  return std::nullopt;
}

TransportConfig config_with_kex(const std::string& kex) {
  TransportConfig c;
  c.algorithms.kex = {kex};
  c.algorithms.kex.push_back("curve25519-sha256");  // fallback irrelevant here
  return c;
}

TEST(Transport, SendsIdentificationFirstAndKexInitAfterServerVersion) {
  Transport t(TransportConfig{}, kT0);
  Bytes first = t.take_transmit();
  EXPECT_EQ(as_string(first), "SSH-2.0-sshplex_0.1\r\n");
  EXPECT_FALSE(t.has_transmit());
  t.handle_bytes(as_bytes("hello banner\r\n" + kServerVersion + "\r\n"));
  auto ev = events(t);
  ASSERT_EQ(ev.size(), 1u);
  auto* sv = std::get_if<tevent::ServerVersion>(&ev[0]);
  ASSERT_TRUE(sv);
  EXPECT_EQ(sv->version, kServerVersion);
  EXPECT_EQ(sv->banner_lines, std::vector<std::string>{"hello banner"});
  EXPECT_EQ(t.server_version(), kServerVersion);
  const Bytes rest = t.take_transmit();
  EXPECT_EQ(t.bytes_sent(), first.size() + rest.size());
  PacketReader r(1 << 20);
  r.feed(rest);
  auto p = r.next();
  ASSERT_EQ(p.status, PacketReader::Status::packet);
  auto k = parse_kexinit(p.payload);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->kex.back(), "kex-strict-c-v00@openssh.com");
  EXPECT_EQ(t.bytes_received(), 14 + kServerVersion.size() + 2);
}

TEST(Transport, RejectsUnsupportedProtocolVersion) {
  Transport t(TransportConfig{}, kT0);
  t.handle_bytes(as_bytes("SSH-1.5-ancient\r\n"));
  auto d = disconnected(t);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, kProtocolVersionNotSupported);
  EXPECT_FALSE(d->by_peer);
  EXPECT_TRUE(t.is_closed());
}

struct KexStart {
  std::string kex;
  std::uint8_t message;
  std::size_t min_value_size, max_value_size;  // size of Q_C string or e mpint
};

class TransportKexStart : public ::testing::TestWithParam<KexStart> {};

// Fed a server version and KEXINIT, the client answers with its first kex-method message.
TEST_P(TransportKexStart, FirstKexMessage) {
  const auto& c = GetParam();
  Transport t(config_with_kex(c.kex), kT0);
  Server s;
  const Bytes input = s.version_line() + s.packet(encode_kexinit(server_kexinit(c.kex)));
  // Byte at a time: the result must not depend on how the input is split.
  for (auto b : input) t.handle_bytes(ByteView(&b, 1));
  auto sent = s.receive(t);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0][0], msg::kKexInit);
  ASSERT_EQ(sent[1][0], c.message);
  EXPECT_FALSE(t.is_closed());
  EXPECT_TRUE(t.is_kex_in_progress());
  wire::Reader r(ByteView(sent[1]).subspan(1));
  if (c.message == msg::kKexDhGexRequest) {
    std::uint32_t mn = 0, n = 0, mx = 0;
    ASSERT_TRUE(r.u32(mn) && r.u32(n) && r.u32(mx));
    EXPECT_EQ(mn, 2048u);
    EXPECT_EQ(n, 3072u);
    EXPECT_EQ(mx, 8192u);
  } else {
    ByteView value;
    ASSERT_TRUE(r.string(value));
    EXPECT_GE(value.size(), c.min_value_size);
    EXPECT_LE(value.size(), c.max_value_size);
  }
  EXPECT_TRUE(r.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Methods, TransportKexStart,
    ::testing::Values(KexStart{"curve25519-sha256", msg::kKexDhInit, 32, 32},
                      KexStart{"curve25519-sha256@libssh.org", msg::kKexDhInit, 32, 32},
                      KexStart{"ecdh-sha2-nistp256", msg::kKexDhInit, 65, 65},
                      KexStart{"ecdh-sha2-nistp384", msg::kKexDhInit, 97, 97},
                      KexStart{"ecdh-sha2-nistp521", msg::kKexDhInit, 133, 133},
                      KexStart{"diffie-hellman-group14-sha256", msg::kKexDhInit, 200, 257},
                      KexStart{"diffie-hellman-group14-sha1", msg::kKexDhInit, 200, 257},
                      KexStart{"diffie-hellman-group16-sha512", msg::kKexDhInit, 400, 513},
                      KexStart{"diffie-hellman-group18-sha512", msg::kKexDhInit, 900, 1025},
                      KexStart{"diffie-hellman-group-exchange-sha256", msg::kKexDhGexRequest, 0, 0},
                      KexStart{"diffie-hellman-group-exchange-sha1", msg::kKexDhGexRequest, 0, 0}),
    [](const ::testing::TestParamInfo<KexStart>& p) {
      std::string n;
      for (char ch : p.param.kex) n += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      return n;
    });

TEST(Transport, GroupExchangeRejectsSmallGroup) {
  Transport t(config_with_kex("diffie-hellman-group-exchange-sha256"), kT0);
  Server s;
  t.handle_bytes(s.version_line() + s.packet(encode_kexinit(server_kexinit("diffie-hellman-group-exchange-sha256"))));
  s.receive(t);
  Bytes p(128, 0xff);  // a 1024-bit odd number: below the 2048-bit minimum
  const std::uint8_t g[] = {2};
  t.handle_bytes(s.packet(wire::Writer(msg::kKexDhGexGroup).mpint_unsigned(p).mpint_unsigned(g).take()));
  auto d = disconnected(t);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, kKeyExchangeFailed);
}

TEST(Transport, StrictKexRequiresKexInitFirst) {
  Transport t(TransportConfig{}, kT0);
  Server s;
  t.handle_bytes(s.version_line() + s.packets({wire::Writer(msg::kIgnore).string("x").take(),
                                               encode_kexinit(server_kexinit("curve25519-sha256"))}));
  auto d = disconnected(t);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, kProtocolError);
  EXPECT_NE(d->description.find("strict KEX"), std::string::npos);
}

TEST(Transport, WithoutStrictKexIgnoreBeforeKexInitIsFine) {
  Transport t(TransportConfig{}, kT0);
  Server s;
  t.handle_bytes(s.version_line() + s.packets({wire::Writer(msg::kIgnore).string("x").take(),
                                               encode_kexinit(server_kexinit("curve25519-sha256", false)),
                                               wire::Writer(msg::kDebug).boolean(true).string("hi").string("").take()}));
  auto ev = events(t);
  EXPECT_FALSE(t.is_closed());
  bool debug = false;
  for (auto& e : ev) debug = debug || std::holds_alternative<tevent::Debug>(e);
  EXPECT_TRUE(debug);
}

TEST(Transport, StrictKexRejectsIgnoreDuringInitialKex) {
  Transport t(TransportConfig{}, kT0);
  Server s;
  t.handle_bytes(s.version_line() + s.packets({encode_kexinit(server_kexinit("curve25519-sha256")),
                                               wire::Writer(msg::kIgnore).string("x").take()}));
  auto d = disconnected(t);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, kProtocolError);
}

TEST(Transport, WrongGuessPacketIsIgnored) {
  Transport t(TransportConfig{}, kT0);
  Server s;
  auto k = server_kexinit("ecdh-sha2-nistp256", false);
  k.first_kex_packet_follows = true;
  const Bytes bogus = wire::Writer(msg::kKexDhReply).string("garbage").take();
  t.handle_bytes(s.version_line() + s.packets({encode_kexinit(k), bogus}));
  EXPECT_FALSE(t.is_closed()) << "the wrongly guessed packet is discarded";
  t.handle_bytes(s.packet(bogus));
  auto d = disconnected(t);
  ASSERT_TRUE(d) << "the next one is processed";
  EXPECT_EQ(d->reason, kKeyExchangeFailed);
}

TEST(Transport, UpperLayerMessageBeforeKexIsProtocolError) {
  Transport t(TransportConfig{}, kT0);
  Server s;
  t.handle_bytes(s.version_line() + s.packet(wire::Writer(94).u32(0).string("data").take()));
  auto d = disconnected(t);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, kProtocolError);
  EXPECT_FALSE(t.poll_payload());
}

TEST(Transport, UnknownTransportMessageGetsUnimplemented) {
  Transport t(TransportConfig{}, kT0);
  Server s;
  t.handle_bytes(s.version_line() + s.packets({wire::Writer(msg::kIgnore).take(), Bytes{15, 1, 2}}));
  auto sent = s.receive(t);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1], (Bytes{msg::kUnimplemented, 0, 0, 0, 1}));
  EXPECT_FALSE(t.is_closed());
}

TEST(Transport, PeerDisconnect) {
  Transport t(TransportConfig{}, kT0);
  Server s;
  t.handle_bytes(s.version_line() +
                 s.packet(wire::Writer(msg::kDisconnect).u32(11).string("bye").string("").take()));
  auto d = disconnected(t);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->by_peer);
  EXPECT_EQ(d->reason, 11u);
  EXPECT_EQ(d->description, "bye");
  EXPECT_TRUE(t.is_closed());
  EXPECT_FALSE(t.send_payload(Bytes{5}));
}

TEST(Transport, OversizedPacketDisconnects) {
  TransportConfig c;
  c.max_packet_length = 35000;
  Transport t(c, kT0);
  Server s;
  t.handle_bytes(s.version_line() + Bytes{0x00, 0x10, 0x00, 0x00, 4});
  auto d = disconnected(t);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, kProtocolError);
}

TEST(Transport, HandshakeTimeout) {
  TransportConfig c;
  c.handshake_timeout = 5000ms;
  Transport t(c, kT0);
  EXPECT_EQ(t.next_deadline(), kT0 + 5000ms);
  t.handle_timeout(kT0 + 4999ms);
  EXPECT_FALSE(t.is_closed());
  t.handle_timeout(kT0 + 5000ms);
  auto d = disconnected(t);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, kConnectionLost);
  EXPECT_FALSE(t.next_deadline());
}

TEST(Transport, PayloadsQueueBeforeKexAndAreBounded) {
  TransportConfig c;
  c.max_queued_bytes = 100;
  Transport t(c, kT0);
  EXPECT_TRUE(t.send_payload(Bytes(60, 5)));
  EXPECT_FALSE(t.send_payload(Bytes(60, 5)));
  EXPECT_FALSE(t.send_payload(Bytes{msg::kKexInit}));
  EXPECT_FALSE(t.send_payload(Bytes{}));
  EXPECT_EQ(as_string(t.take_transmit()), "SSH-2.0-sshplex_0.1\r\n") << "nothing goes out before NEWKEYS";
}

// ---- a whole key exchange with a scripted curve25519 server and a real ed25519 host key

struct HostKeyFile {
  std::unique_ptr<keys::Signer> signer;
};

std::unique_ptr<keys::Signer> make_host_key() {
  const auto dir = std::filesystem::temp_directory_path() / ("sshplex-transport-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "host_ed25519").string();
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".pub");
  if (std::system(("ssh-keygen -q -t ed25519 -N '' -f " + path + " >/dev/null 2>&1").c_str()) != 0) return nullptr;
  std::ifstream in(path, std::ios::binary);
  const Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove_all(dir);
  return keys::load_private_key(file, "").signer;
}

struct ScriptedKex {
  Server& s;
  Transport& t;
  keys::Signer& host_key;
  Bytes i_c, i_s;
  SessionKeys keys;
  Bytes session_id;

  // Runs the server side from KEXINIT to the KEX reply; returns NEWKEYS still to be sent.
  void exchange(const std::vector<Bytes>& client_msgs, bool first, keys::Signer* sign_with = nullptr) {
    ASSERT_GE(client_msgs.size(), 2u);
    i_c = client_msgs[0];
    ASSERT_EQ(client_msgs[1][0], msg::kKexDhInit);
    wire::Reader r(ByteView(client_msgs[1]).subspan(1));
    ByteView q_c;
    ASSERT_TRUE(r.string(q_c));
    auto agreement = crypto::make_ecdh(crypto::Curve::x25519);
    auto k = agreement->shared_secret(q_c);
    ASSERT_TRUE(k);
    const Bytes q_s = agreement->public_value();
    KexInputs in;
    in.method = *find_kex_method("curve25519-sha256");
    in.host_key_algorithm = "ssh-ed25519";
    in.v_c = s.client_version;
    in.v_s = kServerVersion;
    in.i_c = i_c;
    in.i_s = i_s;
    const SecretBytes k_mpint = wire::SecretWriter().mpint_unsigned(*k).take();
    keys::Signer& signer = sign_with ? *sign_with : host_key;
    const Bytes k_s = signer.public_blob();
    const auto h = KexExchange::exchange_hash(in, k_s, {}, wire::Writer().string(q_c).take(),
                                              wire::Writer().string(ByteView(q_s)).take(), k_mpint);
    if (first) session_id.assign(h.begin(), h.end());
    ASSERT_TRUE(derive_session_keys(crypto::HashAlg::sha256, k_mpint, h, session_id, "aes128-ctr", "hmac-sha2-256",
                                    "aes128-ctr", "hmac-sha2-256", keys));
    const auto sig = signer.sign("ssh-ed25519", h);
    ASSERT_TRUE(sig);
    t.handle_bytes(s.packet(
        wire::Writer(msg::kKexDhReply).string(ByteView(k_s)).string(ByteView(q_s)).string(ByteView(*sig)).take()));
  }

  void server_newkeys(bool strict) {
    t.handle_bytes(s.packet(Bytes{msg::kNewKeys}));
    s.writer.set_cipher(crypto::make_packet_cipher("aes128-ctr", "hmac-sha2-256", true, keys.s2c.key, keys.s2c.iv,
                                                   keys.s2c.mac_key));
    if (strict) s.writer.reset_sequence();
  }
  void install_server_reader(bool strict) {
    s.reader.set_cipher(crypto::make_packet_cipher("aes128-ctr", "hmac-sha2-256", false, keys.c2s.key, keys.c2s.iv,
                                                   keys.c2s.mac_key));
    if (strict) s.reader.reset_sequence();
  }
};

// Receives until NEWKEYS, switching the server's reader right after it.
std::vector<Bytes> receive_through_newkeys(Server& s, Transport& t, ScriptedKex& kex, bool strict) {
  Bytes out = t.take_transmit();
  ByteView rest(out);
  if (!s.version_seen) {
    const auto nl = as_string(rest).find("\r\n");
    s.client_version = std::string(as_string(rest).substr(0, nl));
    rest = rest.subspan(nl + 2);
    s.version_seen = true;
  }
  s.reader.feed(rest);
  std::vector<Bytes> payloads;
  for (;;) {
    auto r = s.reader.next();
    EXPECT_NE(r.status, PacketReader::Status::error) << r.error;
    if (r.status != PacketReader::Status::packet) break;
    payloads.push_back(r.payload);
    if (r.payload == Bytes{msg::kNewKeys}) kex.install_server_reader(strict);
  }
  return payloads;
}

class TransportHandshake : public ::testing::Test {
 protected:
  void SetUp() override {
    host_key_ = make_host_key();
    if (!host_key_) GTEST_SKIP() << "ssh-keygen unavailable";
  }
  std::unique_ptr<keys::Signer> host_key_;
};

TEST_F(TransportHandshake, FullExchangeExtInfoPingRekeyAndHostKeyPinning) {
  TransportConfig c;
  c.rekey.max_time = 600s;
  Transport t(c, kT0);
  Server s;
  ScriptedKex kex{s, t, *host_key_, {}, {}, {}, {}};
  kex.i_s = encode_kexinit(server_kexinit("curve25519-sha256"));
  ASSERT_TRUE(t.send_payload(wire::Writer(msg::kServiceRequest).string("ssh-userauth").take()));
  t.handle_bytes(s.version_line() + s.packet(kex.i_s));
  auto msgs = receive_through_newkeys(s, t, kex, true);
  kex.exchange(msgs, true);
  ASSERT_FALSE(t.is_closed()) << std::get<tevent::Disconnected>(*t.poll_event()).description;

  // The host key is offered for verification; nothing more happens until the verdict.
  auto ev = events(t);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<tevent::ServerVersion>(ev[0]));
  auto* hk = std::get_if<tevent::HostKey>(&ev[1]);
  ASSERT_TRUE(hk);
  EXPECT_EQ(hk->algorithm, "ssh-ed25519");
  EXPECT_EQ(hk->key_blob, host_key_->public_blob());
  kex.server_newkeys(true);
  // Ext-info right after the server's NEWKEYS (RFC 8308 §2.4), under the new keys.
  t.handle_bytes(s.packet(wire::Writer(msg::kExtInfo)
                              .u32(3)
                              .string("server-sig-algs")
                              .string("ssh-ed25519,rsa-sha2-512")
                              .string("unknown@example.com")
                              .string("\x01\x02")
                              .string("ping@openssh.com")
                              .string("0")
                              .take()));
  EXPECT_TRUE(receive_through_newkeys(s, t, kex, true).empty()) << "no NEWKEYS before the verdict";
  EXPECT_FALSE(t.is_established());
  t.host_key_verdict(true);

  ev = events(t);
  ASSERT_EQ(ev.size(), 1u);
  auto* done = std::get_if<tevent::KexComplete>(&ev[0]);
  ASSERT_TRUE(done);
  EXPECT_TRUE(done->initial);
  EXPECT_TRUE(done->algorithms.strict_kex);
  EXPECT_EQ(done->algorithms.cipher_c2s, "aes128-ctr");
  EXPECT_EQ(done->algorithms.mac_s2c, "hmac-sha2-256");
  EXPECT_TRUE(t.is_established());
  EXPECT_EQ(Bytes(t.session_id().begin(), t.session_id().end()), kex.session_id);
  EXPECT_EQ(t.server_sig_algs(), (std::vector<std::string>{"ssh-ed25519", "rsa-sha2-512"}));
  EXPECT_TRUE(t.server_supports_ping());

  // NEWKEYS, then the queued service request under the new keys (strict: sequence reset).
  msgs = receive_through_newkeys(s, t, kex, true);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0], Bytes{msg::kNewKeys});
  EXPECT_EQ(msgs[1], wire::Writer(msg::kServiceRequest).string("ssh-userauth").take());
  EXPECT_EQ(s.reader.sequence(), 1u) << "strict KEX reset the client's sequence number";

  // Upper-layer messages now flow; PING is answered with PONG and not passed up.
  t.handle_bytes(s.packets({wire::Writer(msg::kServiceAccept).string("ssh-userauth").take(),
                            wire::Writer(msg::kPing).string("abc").take()}));
  auto p = t.poll_payload();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->payload[0], msg::kServiceAccept);
  EXPECT_EQ(p->seq, 1u) << "server sequence numbers were reset too";
  EXPECT_FALSE(t.poll_payload());
  msgs = s.receive(t);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0], wire::Writer(msg::kPong).string("abc").take());

  // Time-based re-key: our KEXINIT without the pseudo-algorithms; upper payloads wait.
  EXPECT_EQ(t.next_deadline(), kT0 + 600s);
  t.handle_timeout(kT0 + 600s);
  EXPECT_TRUE(t.is_kex_in_progress());
  EXPECT_TRUE(t.send_payload(Bytes{94, 0, 0, 0, 0}));
  msgs = s.receive(t);
  ASSERT_EQ(msgs.size(), 1u);
  auto ours = parse_kexinit(msgs[0]);
  ASSERT_TRUE(ours);
  EXPECT_EQ(std::count(ours->kex.begin(), ours->kex.end(), "ext-info-c"), 0);
  EXPECT_EQ(std::count(ours->kex.begin(), ours->kex.end(), "kex-strict-c-v00@openssh.com"), 0);
  // Non-strict rules after the first exchange: the server's data before its KEXINIT still flows up.
  t.handle_bytes(s.packet(Bytes{94, 0, 0, 0, 7}));
  EXPECT_TRUE(t.poll_payload());
  const Bytes rekey_i_c = msgs[0];
  kex.i_s = encode_kexinit(server_kexinit("curve25519-sha256"));
  t.handle_bytes(s.packet(kex.i_s));
  auto init = receive_through_newkeys(s, t, kex, true);
  ASSERT_EQ(init.size(), 1u);
  kex.exchange({rekey_i_c, init[0]}, false);
  EXPECT_TRUE(events(t).empty()) << "no host key prompt on re-key";
  msgs = receive_through_newkeys(s, t, kex, true);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0], Bytes{msg::kNewKeys});
  EXPECT_EQ(msgs[1], (Bytes{94, 0, 0, 0, 0})) << "queued payload flushed after our NEWKEYS";
  kex.server_newkeys(true);
  ev = events(t);
  ASSERT_EQ(ev.size(), 1u);
  done = std::get_if<tevent::KexComplete>(&ev[0]);
  ASSERT_TRUE(done);
  EXPECT_FALSE(done->initial);
  EXPECT_EQ(Bytes(t.session_id().begin(), t.session_id().end()), kex.session_id);
  t.handle_bytes(s.packet(Bytes{94, 0, 0, 0, 9}));
  p = t.poll_payload();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->payload, (Bytes{94, 0, 0, 0, 9}));
  EXPECT_FALSE(t.is_closed());
}

TEST_F(TransportHandshake, RejectedHostKeyDisconnects) {
  Transport t(TransportConfig{}, kT0);
  Server s;
  ScriptedKex kex{s, t, *host_key_, {}, {}, {}, {}};
  kex.i_s = encode_kexinit(server_kexinit("curve25519-sha256"));
  t.handle_bytes(s.version_line() + s.packet(kex.i_s));
  kex.exchange(receive_through_newkeys(s, t, kex, true), true);
  ASSERT_TRUE(std::holds_alternative<tevent::ServerVersion>(*t.poll_event()));
  ASSERT_TRUE(std::holds_alternative<tevent::HostKey>(*t.poll_event()));
  t.host_key_verdict(false);
  auto d = disconnected(t);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, kHostKeyNotVerifiable);
  EXPECT_TRUE(t.is_closed());
  // The DISCONNECT went out under the old (null) keys: no NEWKEYS was sent.
  auto msgs = s.receive(t);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0][0], msg::kDisconnect);
}

TEST_F(TransportHandshake, BadSignatureFailsKex) {
  Transport t(TransportConfig{}, kT0);
  Server s;
  auto other = make_host_key();
  ASSERT_TRUE(other);
  ScriptedKex kex{s, t, *host_key_, {}, {}, {}, {}};
  kex.i_s = encode_kexinit(server_kexinit("curve25519-sha256"));
  t.handle_bytes(s.version_line() + s.packet(kex.i_s));
  // Corrupt the exchange: the server hashes a different I_S than it sent.
  kex.i_s.push_back(0);
  kex.exchange(receive_through_newkeys(s, t, kex, true), true);
  auto d = disconnected(t);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, kKeyExchangeFailed);
}

TEST_F(TransportHandshake, HostKeyChangeOnRekeyDisconnects) {
  auto other = make_host_key();
  ASSERT_TRUE(other);
  Transport t(TransportConfig{}, kT0);
  Server s;
  ScriptedKex kex{s, t, *host_key_, {}, {}, {}, {}};
  kex.i_s = encode_kexinit(server_kexinit("curve25519-sha256"));
  t.handle_bytes(s.version_line() + s.packet(kex.i_s));
  kex.exchange(receive_through_newkeys(s, t, kex, true), true);
  t.host_key_verdict(true);
  kex.server_newkeys(true);
  receive_through_newkeys(s, t, kex, true);
  ASSERT_TRUE(t.is_established());
  events(t);
  // The server starts the re-key and signs with another key.
  kex.i_s = encode_kexinit(server_kexinit("curve25519-sha256"));
  t.handle_bytes(s.packet(kex.i_s));
  auto msgs = receive_through_newkeys(s, t, kex, true);
  ASSERT_EQ(msgs.size(), 2u) << "our KEXINIT in answer, then our ECDH init";
  kex.exchange(msgs, false, other.get());
  auto d = disconnected(t);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, kHostKeyNotVerifiable);
}

}  // namespace
}  // namespace ssh::transport
