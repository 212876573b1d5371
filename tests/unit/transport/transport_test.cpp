// The transport state machine in memory: version exchange, first kex messages per method, and
// message legality (strict KEX, guesses, phases), against a scripted server.
#include "ssh/transport/transport.hpp"

#include <gtest/gtest.h>

#include <cctype>

#include "ssh/transport/kex_init.hpp"
#include "ssh/transport/message_numbers.hpp"
#include "ssh/transport/packet_reader.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"
#include "unit/transport/scripted_server.hpp"

namespace ssh::transport {
namespace {

using namespace std::chrono_literals;
using namespace ssh::transport::scripted;

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

INSTANTIATE_TEST_SUITE_P(Methods, TransportKexStart,
                         ::testing::Values(KexStart{"curve25519-sha256", msg::kKexDhInit, 32, 32},
                                           KexStart{"curve25519-sha256@libssh.org", msg::kKexDhInit, 32, 32},
                                           KexStart{"ecdh-sha2-nistp256", msg::kKexDhInit, 65, 65},
                                           KexStart{"ecdh-sha2-nistp384", msg::kKexDhInit, 97, 97},
                                           KexStart{"ecdh-sha2-nistp521", msg::kKexDhInit, 133, 133},
                                           KexStart{"diffie-hellman-group14-sha256", msg::kKexDhInit, 200, 257},
                                           KexStart{"diffie-hellman-group14-sha1", msg::kKexDhInit, 200, 257},
                                           KexStart{"diffie-hellman-group16-sha512", msg::kKexDhInit, 400, 513},
                                           KexStart{"diffie-hellman-group18-sha512", msg::kKexDhInit, 900, 1025},
                                           KexStart{"diffie-hellman-group-exchange-sha256", msg::kKexDhGexRequest, 0,
                                                    0},
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
  t.handle_bytes(s.version_line() +
                 s.packets({wire::Writer(msg::kIgnore).string("x").take(),
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
  t.handle_bytes(s.version_line() + s.packet(wire::Writer(msg::kDisconnect).u32(11).string("bye").string("").take()));
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
}  // namespace
}  // namespace ssh::transport
