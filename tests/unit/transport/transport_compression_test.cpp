// Compression inside the transport, against a scripted curve25519 server that compresses as sshd
// does: zlib@openssh.com starting in both directions from the packet after USERAUTH_SUCCESS (even
// within one read), `zlib` right after NEWKEYS, fresh streams after a re-key, "none" when the server
// has nothing else, and the bound and corruption checks ending the connection cleanly.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "ssh/crypto/key_agreement.hpp"
#include "ssh/keys/private_key.hpp"
#include "ssh/transport/compression.hpp"
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
  const auto dir = std::filesystem::temp_directory_path() / ("sshplex-compress-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "host_ed25519").string();
  if (std::system(("ssh-keygen -q -t ed25519 -N '' -f " + path + " >/dev/null 2>&1").c_str()) != 0) return nullptr;
  std::ifstream in(path, std::ios::binary);
  const Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove_all(dir);
  return keys::load_private_key(file, "").signer;
}

Bytes texty(std::size_t n, unsigned seed) {
  static const char* kWords[] = {"channel ", "window ", "adjust ", "data ", "ssh ", "zlib\n", "openssh ", "packet "};
  std::mt19937 rng(seed);
  Bytes out;
  while (out.size() < n) {
    const std::string_view w = kWords[rng() % 8];
    out.insert(out.end(), w.begin(), w.end());
  }
  out.resize(n);
  return out;
}

Bytes channel_data(std::size_t n, unsigned seed) {
  Bytes p = wire::Writer(94).u32(0).take();
  const Bytes data = texty(n, seed);
  p.insert(p.end(), data.begin(), data.end());
  return p;
}

// A server that compresses as OpenSSH's packet.c: each direction's stream restarts at its NEWKEYS
// (zlib) or once authentication has succeeded (zlib@openssh.com).
struct CompressingServer {
  CompressingServer(keys::Signer& key, std::string c2s_method, std::string s2c_method)
      : host_key(key), c2s(std::move(c2s_method)), s2c(std::move(s2c_method)) {}

  Server s;
  keys::Signer& host_key;
  std::string c2s, s2c;  // the methods this test's offers negotiate to
  bool auth_done = false;
  std::unique_ptr<Compressor> deflater;
  std::unique_ptr<Decompressor> inflater;
  Bytes i_c, i_s;
  SessionKeys keys;
  Bytes session_id;

  static bool runs(const std::string& method, bool auth_done) {
    const auto when = compression_start(method);
    return when == CompressionStart::after_newkeys || (when == CompressionStart::after_auth && auth_done);
  }

  void write(ByteView payload, Bytes& out) {
    if (!deflater) return s.writer.write(payload, out);
    Bytes z;
    ASSERT_TRUE(deflater->compress(payload, {}, z));
    s.writer.write(z, out);
  }
  Bytes packets(std::initializer_list<Bytes> payloads) {
    Bytes out;
    for (const auto& p : payloads) write(p, out);
    return out;
  }
  Bytes packet(ByteView payload) {
    Bytes out;
    write(payload, out);
    return out;
  }

  // What the client sent, inflated; the reader's keys and stream change right after its NEWKEYS.
  std::vector<Bytes> receive(Transport& t) {
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
      Bytes p = std::move(r.payload);
      if (inflater) {
        Bytes plain;
        EXPECT_EQ(inflater->decompress(p, plain), Decompressor::Status::ok) << "client packet " << payloads.size();
        p = std::move(plain);
      }
      if (p == Bytes{msg::kNewKeys}) {
        s.reader.set_cipher(crypto::make_packet_cipher("aes128-ctr", "hmac-sha2-256", false, keys.c2s.key, keys.c2s.iv,
                                                       keys.c2s.mac_key));
        s.reader.reset_sequence();
        inflater = runs(c2s, auth_done) ? std::make_unique<Decompressor>(1 << 20) : nullptr;
      }
      payloads.push_back(std::move(p));
    }
    return payloads;
  }

  // The server's side of curve25519-sha256 from the client's KEXINIT and ECDH init.
  void exchange(Transport& t, const std::vector<Bytes>& client_msgs, bool first) {
    ASSERT_EQ(client_msgs.size(), 2u);
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
    const Bytes k_s = host_key.public_blob();
    const auto h = KexExchange::exchange_hash(in, k_s, {}, wire::Writer().string(q_c).take(),
                                              wire::Writer().string(ByteView(q_s)).take(), k_mpint);
    if (first) session_id.assign(h.begin(), h.end());
    ASSERT_TRUE(derive_session_keys(crypto::HashAlg::sha256, k_mpint, h, session_id, "aes128-ctr", "hmac-sha2-256",
                                    "aes128-ctr", "hmac-sha2-256", keys));
    const auto sig = host_key.sign("ssh-ed25519", h);
    ASSERT_TRUE(sig);
    t.handle_bytes(packet(
        wire::Writer(msg::kKexDhReply).string(ByteView(k_s)).string(ByteView(q_s)).string(ByteView(*sig)).take()));
  }

  void newkeys(Transport& t) {
    t.handle_bytes(packet(Bytes{msg::kNewKeys}));
    s.writer.set_cipher(
        crypto::make_packet_cipher("aes128-ctr", "hmac-sha2-256", true, keys.s2c.key, keys.s2c.iv, keys.s2c.mac_key));
    s.writer.reset_sequence();
    deflater = runs(s2c, auth_done) ? std::make_unique<Compressor>() : nullptr;
  }

  // sshd starts delayed compression right after sending USERAUTH_SUCCESS, both ways.
  Bytes auth_success() {
    Bytes out = packet(Bytes{msg::kUserauthSuccess});
    auth_done = true;
    if (!deflater && runs(s2c, true)) deflater = std::make_unique<Compressor>();
    if (!inflater && runs(c2s, true)) inflater = std::make_unique<Decompressor>(1 << 20);
    return out;
  }
};

KexInit server_offer(std::vector<std::string> compression) {
  KexInit k = server_kexinit("curve25519-sha256");
  k.compression_c2s = k.compression_s2c = std::move(compression);
  return k;
}

class TransportCompression : public ::testing::Test {
 protected:
  void SetUp() override {
    host_key_ = make_host_key();
    if (!host_key_) GTEST_SKIP() << "ssh-keygen unavailable";
  }

  // Runs the first key exchange and the service request; returns the KexComplete algorithms.
  NegotiatedAlgorithms handshake(Transport& t, CompressingServer& srv, const KexInit& offer) {
    srv.i_s = encode_kexinit(offer);
    EXPECT_TRUE(t.send_payload(wire::Writer(msg::kServiceRequest).string("ssh-userauth").take()));
    t.handle_bytes(srv.s.version_line() + srv.packet(srv.i_s));
    srv.exchange(t, srv.receive(t), true);
    t.host_key_verdict(true);
    srv.newkeys(t);
    const auto msgs = srv.receive(t);
    EXPECT_EQ(msgs.size(), 2u);
    if (msgs.size() == 2) {
      EXPECT_EQ(msgs[0], Bytes{msg::kNewKeys});
      EXPECT_EQ(msgs[1], wire::Writer(msg::kServiceRequest).string("ssh-userauth").take());
    }
    NegotiatedAlgorithms out;
    for (auto& e : events(t)) {
      if (auto* done = std::get_if<tevent::KexComplete>(&e)) out = done->algorithms;
      if (auto* d = std::get_if<tevent::Disconnected>(&e)) ADD_FAILURE() << d->description;
    }
    return out;
  }

  // A re-key started by the client while compression runs: every message of it goes through the
  // streams of the keys being replaced, and both directions restart after their NEWKEYS.
  void rekey(Transport& t, CompressingServer& srv) {
    t.request_rekey();
    auto msgs = srv.receive(t);
    ASSERT_EQ(msgs.size(), 1u);
    ASSERT_EQ(msgs[0][0], msg::kKexInit);
    const Bytes i_c = msgs[0];
    srv.i_s = encode_kexinit(server_offer({"none", "zlib@openssh.com", "zlib"}));
    t.handle_bytes(srv.packet(srv.i_s));
    msgs = srv.receive(t);
    ASSERT_EQ(msgs.size(), 1u);
    srv.exchange(t, {i_c, msgs[0]}, false);
    msgs = srv.receive(t);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0], Bytes{msg::kNewKeys});
    srv.newkeys(t);
    bool completed = false;
    for (auto& e : events(t)) completed |= std::holds_alternative<tevent::KexComplete>(e);
    EXPECT_TRUE(completed);
  }

  std::unique_ptr<keys::Signer> host_key_;
};

TransportConfig compressing_config() {
  TransportConfig c;
  c.algorithms.compression = compression_algorithm_list(true);
  return c;
}

TEST_F(TransportCompression, DelayedStartsAfterUserauthSuccessAndRestartsOnRekey) {
  Transport t(compressing_config(), kT0);
  CompressingServer srv(*host_key_, "zlib@openssh.com", "zlib@openssh.com");
  const auto algs = handshake(t, srv, server_offer({"none", "zlib@openssh.com"}));
  EXPECT_EQ(algs.compression_c2s, "zlib@openssh.com");
  EXPECT_EQ(algs.compression_s2c, "zlib@openssh.com");
  EXPECT_FALSE(t.compression().out_active) << "not before authentication";
  EXPECT_FALSE(t.compression().in_active);

  // An auth request goes out plain.
  ASSERT_TRUE(t.send_payload(wire::Writer(50).string("root").string("ssh-connection").string("none").take()));
  auto msgs = srv.receive(t);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0][0], 50);

  // One read: SERVICE_ACCEPT and USERAUTH_SUCCESS plain, then a compressed packet right behind.
  const Bytes data = channel_data(20000, 1);
  // (Statements, not one expression: the operands of + are evaluated in no set order.)
  Bytes read = srv.packet(wire::Writer(msg::kServiceAccept).string("ssh-userauth").take());
  read = read + srv.auth_success();
  read = read + srv.packet(data);
  t.handle_bytes(read);
  ASSERT_FALSE(t.is_closed()) << (disconnected(t) ? disconnected(t)->description : "");
  auto p = t.poll_payload();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->payload[0], msg::kServiceAccept);
  p = t.poll_payload();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->payload, Bytes{msg::kUserauthSuccess});
  p = t.poll_payload();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->payload, data);
  auto st = t.compression();
  EXPECT_TRUE(st.out_active);
  EXPECT_TRUE(st.in_active);
  EXPECT_EQ(st.in_raw, data.size());
  EXPECT_LT(st.in_compressed * 4, st.in_raw) << "text compresses";
  EXPECT_LT(t.bytes_received(), 12000u) << "and the wire carried the compressed form";

  // Our packets are compressed from now on, through both send paths.
  const Bytes mine = channel_data(30000, 2);
  ASSERT_TRUE(t.send_payload(mine));
  ASSERT_TRUE(t.send_payload(ByteView(mine).first(9), ByteView(mine).subspan(9)));
  const std::size_t wire_size = t.pending_transmit_bytes();
  msgs = srv.receive(t);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0], mine);
  EXPECT_EQ(msgs[1], mine);
  EXPECT_LT(wire_size, mine.size() / 4);
  st = t.compression();
  EXPECT_EQ(st.out_raw, 2 * mine.size());

  // Re-key: fresh streams on both sides after each NEWKEYS; data flows on in both directions.
  rekey(t, srv);
  ASSERT_FALSE(t.is_closed()) << (disconnected(t) ? disconnected(t)->description : "");
  EXPECT_TRUE(t.compression().out_active);
  EXPECT_TRUE(t.compression().in_active);
  for (unsigned i = 0; i < 20; ++i) {
    const Bytes down = channel_data(1000 + i * 1500, 10 + i);
    t.handle_bytes(srv.packet(down));
    p = t.poll_payload();
    ASSERT_TRUE(p) << i;
    EXPECT_EQ(p->payload, down);
    const Bytes up = channel_data(500 + i * 1700, 40 + i);
    ASSERT_TRUE(t.send_payload(up));
    msgs = srv.receive(t);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0], up);
  }
  // A second re-key, started by the server this time.
  srv.i_s = encode_kexinit(server_offer({"none", "zlib@openssh.com"}));
  t.handle_bytes(srv.packet(srv.i_s));
  msgs = srv.receive(t);
  ASSERT_EQ(msgs.size(), 2u) << "our KEXINIT in answer, then our ECDH init";
  srv.exchange(t, msgs, false);
  msgs = srv.receive(t);
  ASSERT_EQ(msgs.size(), 1u);
  srv.newkeys(t);
  const Bytes last = channel_data(9000, 99);
  t.handle_bytes(srv.packet(last));
  ASSERT_TRUE(t.send_payload(last));
  p = t.poll_payload();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->payload, last);
  msgs = srv.receive(t);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0], last);
  EXPECT_FALSE(t.is_closed());
}

TEST_F(TransportCompression, ZlibStartsRightAfterNewkeys) {
  Transport t(compressing_config(), kT0);
  CompressingServer srv(*host_key_, "zlib", "zlib");
  // A server without the delayed method: the client's second choice.
  const auto algs = handshake(t, srv, server_offer({"zlib", "none"}));
  EXPECT_EQ(algs.compression_c2s, "zlib");
  EXPECT_EQ(algs.compression_s2c, "zlib");
  // handshake() already read the service request through the server's inflater.
  EXPECT_TRUE(t.compression().out_active);
  EXPECT_TRUE(t.compression().in_active);
  t.handle_bytes(srv.packet(wire::Writer(msg::kServiceAccept).string("ssh-userauth").take()));
  auto p = t.poll_payload();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->payload[0], msg::kServiceAccept);
  // USERAUTH_SUCCESS changes nothing for `zlib`: the streams run on.
  Bytes read = srv.auth_success();
  read = read + srv.packet(channel_data(5000, 3));
  t.handle_bytes(read);
  ASSERT_TRUE(t.poll_payload());
  p = t.poll_payload();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->payload, channel_data(5000, 3));
  ASSERT_TRUE(t.send_payload(channel_data(7000, 4)));
  const auto msgs = srv.receive(t);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0], channel_data(7000, 4));
}

TEST_F(TransportCompression, NoneWhenTheServerOffersOnlyNone) {
  Transport t(compressing_config(), kT0);
  CompressingServer srv(*host_key_, "none", "none");
  const auto algs = handshake(t, srv, server_offer({"none"}));
  EXPECT_EQ(algs.compression_c2s, "none");
  EXPECT_EQ(algs.compression_s2c, "none");
  Bytes read = srv.auth_success();
  read = read + srv.packet(channel_data(3000, 5));
  t.handle_bytes(read);
  ASSERT_TRUE(t.poll_payload());
  auto p = t.poll_payload();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->payload, channel_data(3000, 5));
  EXPECT_FALSE(t.compression().out_active);
  EXPECT_FALSE(t.compression().in_active);
  ASSERT_TRUE(t.send_payload(channel_data(3000, 6)));
  EXPECT_GT(t.pending_transmit_bytes(), 3000u) << "sent as is";
  EXPECT_EQ(srv.receive(t).at(0), channel_data(3000, 6));
}

TEST_F(TransportCompression, WithoutTheOptionNothingIsCompressed) {
  Transport t(TransportConfig{}, kT0);
  CompressingServer srv(*host_key_, "none", "none");
  const auto algs = handshake(t, srv, server_offer({"zlib@openssh.com", "none"}));
  EXPECT_EQ(algs.compression_c2s, "none");
  t.handle_bytes(srv.auth_success());
  EXPECT_FALSE(t.compression().out_active);
  EXPECT_FALSE(t.compression().in_active);
}

TEST_F(TransportCompression, InflationBombEndsTheConnection) {
  Transport t(compressing_config(), kT0);
  CompressingServer srv(*host_key_, "zlib@openssh.com", "zlib@openssh.com");
  handshake(t, srv, server_offer({"none", "zlib@openssh.com"}));
  t.handle_bytes(srv.auth_success());
  ASSERT_TRUE(t.poll_payload());
  // 1 MiB of zeros: a few hundred bytes on the wire, four times the 256 KiB limit once inflated.
  Bytes bomb = Bytes{94, 0, 0, 0, 0};
  bomb.resize(1024 * 1024);
  const Bytes wire = srv.packet(bomb);
  ASSERT_LT(wire.size(), 2000u);
  t.handle_bytes(wire);
  const auto d = disconnected(t);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, kProtocolError);
  EXPECT_NE(d->description.find("decompressed payload exceeds 262144 bytes"), std::string::npos) << d->description;
  EXPECT_FALSE(t.poll_payload());
  EXPECT_TRUE(t.is_closed());
}

TEST_F(TransportCompression, CorruptCompressedDataEndsTheConnection) {
  Transport t(compressing_config(), kT0);
  CompressingServer srv(*host_key_, "zlib@openssh.com", "zlib@openssh.com");
  handshake(t, srv, server_offer({"none", "zlib@openssh.com"}));
  t.handle_bytes(srv.auth_success());
  ASSERT_TRUE(t.poll_payload());
  // Valid packet framing around bytes that are not a deflate stream.
  const Bytes garbage = {0xff, 0xff, 0xff, 0xff, 0x13, 0x37, 0x00, 0x42};
  t.handle_bytes(srv.s.packet(garbage));
  const auto d = disconnected(t);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, kProtocolError);
  EXPECT_NE(d->description.find("corrupt compressed data"), std::string::npos) << d->description;
  EXPECT_FALSE(t.poll_payload());
}

}  // namespace
}  // namespace ssh::transport
