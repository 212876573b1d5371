// A whole key exchange in memory against a scripted curve25519 server with a real ed25519 host
// key (made by ssh-keygen): host key verdict, ext-info, ping, strict sequence resets, re-keying
// and host key pinning.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
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
#include "ssh/transport/transport.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"
#include "unit/transport/scripted_server.hpp"

namespace ssh::transport {
namespace {

using namespace std::chrono_literals;
using namespace ssh::transport::scripted;

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
    s.writer.set_cipher(
        crypto::make_packet_cipher("aes128-ctr", "hmac-sha2-256", true, keys.s2c.key, keys.s2c.iv, keys.s2c.mac_key));
    if (strict) s.writer.reset_sequence();
  }
  void install_server_reader(bool strict) {
    s.reader.set_cipher(
        crypto::make_packet_cipher("aes128-ctr", "hmac-sha2-256", false, keys.c2s.key, keys.c2s.iv, keys.c2s.mac_key));
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
  // The first exchange (curve25519-sha256, strict KEX) through to both NEWKEYS; the script goes on
  // for a re-key.
  ScriptedKex establish(Transport& t, Server& s) {
    ScriptedKex kex{s, t, *host_key_, {}, {}, {}, {}};
    kex.i_s = encode_kexinit(server_kexinit("curve25519-sha256"));
    t.handle_bytes(s.version_line() + s.packet(kex.i_s));
    kex.exchange(receive_through_newkeys(s, t, kex, true), true);
    t.host_key_verdict(true);
    kex.server_newkeys(true);
    receive_through_newkeys(s, t, kex, true);
    return kex;
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
  ScriptedKex kex = establish(t, s);
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

TEST_F(TransportHandshake, RekeyAfterPacketLimitAndQueueBound) {
  TransportConfig c;
  c.rekey.max_packets = 4;
  c.max_queued_bytes = 1000;
  Transport t(c, kT0);
  Server s;
  establish(t, s);
  ASSERT_TRUE(t.is_established());
  EXPECT_FALSE(t.is_kex_in_progress());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(t.send_payload(Bytes{94, 0, 0, 0, 1}));
  EXPECT_FALSE(t.is_kex_in_progress());
  EXPECT_TRUE(t.send_payload(Bytes{94, 0, 0, 0, 1}));
  EXPECT_TRUE(t.is_kex_in_progress()) << "the fourth packet reached max_packets";
  auto msgs = s.receive(t);
  ASSERT_EQ(msgs.size(), 5u);
  EXPECT_EQ(msgs[4][0], msg::kKexInit);
  // While the re-key runs, payloads queue up to max_queued_bytes.
  EXPECT_TRUE(t.send_payload(Bytes(600, 94)));
  EXPECT_FALSE(t.send_payload(Bytes(600, 94)));
  EXPECT_TRUE(s.receive(t).empty());
  // A server that never answers the re-key is given up on after handshake_timeout.
  ASSERT_TRUE(t.next_deadline());
  EXPECT_EQ(*t.next_deadline(), kT0 + c.handshake_timeout);
  t.handle_timeout(kT0 + c.handshake_timeout);
  auto d = disconnected(t);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, kConnectionLost);
}

// A re-key that traffic starts an hour after the last timeout gets its whole handshake_timeout
// from the time it starts (it once took it from the last timer, so it failed at once).
TEST_F(TransportHandshake, RekeyByVolumeLongAfterTheLastTimerGetsItsWholeDeadline) {
  TransportConfig c;
  c.rekey.max_packets = 2;
  Transport t(c, kT0);
  Server s;
  establish(t, s);
  ASSERT_TRUE(t.is_established());

  const TimePoint later = kT0 + std::chrono::hours(1);
  t.advance_time(later);
  EXPECT_TRUE(t.send_payload(Bytes{94, 0, 0, 0, 1}));
  EXPECT_TRUE(t.send_payload(Bytes{94, 0, 0, 0, 1}));
  ASSERT_TRUE(t.is_kex_in_progress());
  ASSERT_TRUE(t.next_deadline());
  EXPECT_EQ(*t.next_deadline(), later + c.handshake_timeout);
  t.handle_timeout(later + c.handshake_timeout / 2);
  EXPECT_FALSE(disconnected(t)) << "the re-key was given up on before its time";
  EXPECT_TRUE(t.is_kex_in_progress());
  t.handle_timeout(later + c.handshake_timeout);
  auto d = disconnected(t);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, kConnectionLost);
}

TEST_F(TransportHandshake, TamperedPacketAfterNewKeysIsMacError) {
  Transport t(TransportConfig{}, kT0);
  Server s;
  establish(t, s);
  ASSERT_TRUE(t.is_established());
  events(t);
  Bytes bad = s.packet(Bytes{94, 0, 0, 0, 1, 0, 0, 0, 0});
  bad[bad.size() / 2] ^= 0x80;
  t.handle_bytes(bad);
  auto d = disconnected(t);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, kMacError);
  EXPECT_FALSE(t.poll_payload());
}

}  // namespace
}  // namespace ssh::transport
