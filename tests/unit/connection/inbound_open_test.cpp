// Channels the server opens (RFC 4254 §7.2 forwarded-tcpip, OpenSSH PROTOCOL §2.4
// forwarded-streamlocal@openssh.com): reporting, accept, reject, refusals and limits.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "ssh/connection/connection.hpp"
#include "ssh/connection/message_numbers.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"
#include "unit/connection/connection_harness.hpp"

namespace ssh::connection {
namespace {

using namespace test_support;

TEST(ConnectionInboundOpen, ForwardedTcpipOpenIsReportedAndAccepted) {
  Harness h;
  h.ok(forwarded_tcpip_open(31, 5000, 700, "127.0.0.1", 8080, "10.0.0.9", 4711));
  EXPECT_TRUE(h.sent().empty());
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto* req = std::get_if<cevent::OpenRequest>(&ev[0]);
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(req->id, 0u);
  EXPECT_EQ(req->type, "forwarded-tcpip");
  EXPECT_EQ(req->initial_window, 5000u);
  EXPECT_EQ(req->max_packet, 700u);
  const auto open = ct::parse_forwarded_tcpip(req->data);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->connected_address, "127.0.0.1");
  EXPECT_EQ(open->connected_port, 8080u);
  EXPECT_EQ(open->originator_address, "10.0.0.9");
  EXPECT_EQ(open->originator_port, 4711u);
  EXPECT_EQ(h.c.channel(0)->type, "forwarded-tcpip");
  EXPECT_EQ(h.c.open_channel_count(), 1u);

  ASSERT_TRUE(h.c.accept(0));
  wire::Writer expect(msg::kChannelOpenConfirmation);
  expect.u32(31).u32(0).u32(64 * 1024).u32(16 * 1024);
  EXPECT_EQ(h.sent(), std::vector<Bytes>{expect.take()});
  // The caller answered, so no Opened event repeats it.
  EXPECT_TRUE(h.events().empty());
  EXPECT_EQ(h.c.send_capacity(0), 5000u);
  // A second answer for the same id changes nothing.
  EXPECT_FALSE(h.c.accept(0));
  EXPECT_FALSE(h.c.reject(0, msg::kOpenConnectFailed, "x"));
  EXPECT_TRUE(h.sent().empty());
}

TEST(ConnectionInboundOpen, StreamlocalOpenIsReportedAndRejectFreesTheId) {
  Harness h;
  h.ok(streamlocal_open(44, 1000, 1000, "/run/app.sock"));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto* req = std::get_if<cevent::OpenRequest>(&ev[0]);
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(req->type, "forwarded-streamlocal@openssh.com");
  const auto open = ct::parse_forwarded_streamlocal(req->data);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->socket_path, "/run/app.sock");
  ASSERT_TRUE(h.c.reject(req->id, msg::kOpenConnectFailed, "connect refused"));
  EXPECT_EQ(h.sent(), std::vector<Bytes>{open_failure(44, msg::kOpenConnectFailed, "connect refused")});
  EXPECT_TRUE(h.events().empty());
  EXPECT_EQ(h.c.open_channel_count(), 0u);
  EXPECT_EQ(h.c.channel(req->id), nullptr);
  // The id is free again, and answering it twice does nothing.
  EXPECT_FALSE(h.c.accept(req->id));
  EXPECT_FALSE(h.c.reject(req->id, 1, "again"));
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.c.open(ct::kSession, {}), req->id);
}

TEST(ConnectionInboundOpen, EveryChannelTypeIsReportedForTheApplicationToDecide) {
  // The core knows no list of types: x11, agent and unknown types alike reach the application,
  // which accepts what it registered and refuses the rest.
  Harness h;
  ChannelId expected = 0;
  for (std::string_view type : {"x11", "auth-agent@openssh.com", "session", "whatever", "direct-tcpip"}) {
    wire::Writer w(msg::kChannelOpen);
    w.string(type).u32(31).u32(1000).u32(1000).string(std::string_view("extra"));
    h.ok(w.take());
    EXPECT_TRUE(h.sent().empty()) << type;
    auto ev = h.events();
    ASSERT_EQ(ev.size(), 1u) << type;
    const auto& req = std::get<cevent::OpenRequest>(ev[0]);
    EXPECT_EQ(req.type, type);
    EXPECT_EQ(req.id, expected);
    wire::Writer extra;
    extra.string(std::string_view("extra"));
    EXPECT_EQ(req.data, extra.data());
    ASSERT_TRUE(h.c.reject(req.id, msg::kOpenUnknownChannelType, "unknown channel type"));
    EXPECT_EQ(h.sent(), std::vector<Bytes>{open_failure(31, msg::kOpenUnknownChannelType, "unknown channel type")});
  }
  EXPECT_EQ(h.c.open_channel_count(), 0u);
  // Without even the common fields there is no channel to refuse: that stays a protocol error.
  EXPECT_FALSE(h.c.handle(Bytes{msg::kChannelOpen, 0, 0}).ok);
}

TEST(ConnectionInboundOpen, AcceptedForwardedChannelCarriesDataBothWaysAndCloses) {
  Harness h;
  h.ok(forwarded_tcpip_open(9, 3000, 1000, "::", 2222, "192.0.2.1", 55000));
  h.events();
  ASSERT_TRUE(h.c.accept(0));
  h.sent();
  h.events();
  // Our sends obey the peer's window and maximum packet from its CHANNEL_OPEN.
  const Bytes big(5000, 'a');
  EXPECT_EQ(h.c.send(0, big, 0), 3000u);
  auto out = h.sent();
  ASSERT_EQ(out.size(), 3u);
  for (const auto& p : out) {
    wire::Reader r(p);
    std::uint8_t t = 0;
    std::uint32_t recipient = 0;
    ByteView piece;
    ASSERT_TRUE(r.u8(t) && r.u32(recipient) && r.string(piece));
    EXPECT_EQ(t, msg::kChannelData);
    EXPECT_EQ(recipient, 9u);
    EXPECT_EQ(piece.size(), 1000u);
  }
  EXPECT_EQ(h.c.send_capacity(0), 0u);
  h.ok(window_adjust(0, 500));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<cevent::Writable>(ev[0]));
  EXPECT_EQ(h.c.send_capacity(0), 500u);

  // Incoming data counts against the window we granted in the confirmation.
  h.ok(data_msg(0, 16 * 1024));
  ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto* d = std::get_if<cevent::Data>(&ev[0]);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->data.size(), 16u * 1024);
  EXPECT_EQ(h.c.channel(0)->local_window, 48u * 1024);
  h.ok(data_msg(0, 16 * 1024));
  h.events();
  h.c.consume(0, 32 * 1024);
  EXPECT_EQ(h.sent(), std::vector<Bytes>{window_adjust(9, 32 * 1024)});

  // Half-close as for channels we open: peer EOF, our EOF, then CLOSE both ways.
  h.ok(channel_msg(msg::kChannelEof, 0));
  ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<cevent::Eof>(ev[0]));
  EXPECT_EQ(h.c.send(0, as_bytes("tail"), 0), 4u);
  h.c.send_eof(0);
  out = h.sent();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1], channel_msg(msg::kChannelEof, 9));
  EXPECT_EQ(out[2], channel_msg(msg::kChannelClose, 9));
  h.ok(channel_msg(msg::kChannelClose, 0));
  ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<cevent::Closed>(ev[0]));
  EXPECT_EQ(h.c.open_channel_count(), 0u);
}

TEST(ConnectionInboundOpen, PeerClosesAcceptedForwardedChannel) {
  Harness h;
  h.ok(streamlocal_open(3, 100, 100, "/s"));
  h.events();
  ASSERT_TRUE(h.c.accept(0));
  h.sent();
  h.events();
  h.ok(channel_msg(msg::kChannelClose, 0));
  EXPECT_EQ(h.sent(), std::vector<Bytes>{channel_msg(msg::kChannelClose, 3)});
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<cevent::Closed>(ev[0]));
  EXPECT_EQ(h.c.channel(0), nullptr);
}

TEST(ConnectionInboundOpen, UnansweredOpenTakesNoChannelTrafficAndNoLocalData) {
  Harness h;
  h.ok(forwarded_tcpip_open(5, 1000, 1000, "a", 1, "b", 2));
  h.events();
  // The server has no id of ours yet, so messages naming it are violations.
  EXPECT_FALSE(h.c.handle(data_msg(0, 10)).ok);
  Harness h2;
  h2.ok(forwarded_tcpip_open(5, 1000, 1000, "a", 1, "b", 2));
  EXPECT_FALSE(h2.c.handle(confirmation(0, 5, 10, 10)).ok);
  Harness h3;
  h3.ok(forwarded_tcpip_open(5, 1000, 1000, "a", 1, "b", 2));
  EXPECT_FALSE(h3.c.handle(channel_msg(msg::kChannelClose, 0)).ok);
  // Nor can we send on it before accepting.
  Harness h4;
  h4.ok(forwarded_tcpip_open(5, 1000, 1000, "a", 1, "b", 2));
  EXPECT_EQ(h4.c.send_capacity(0), 0u);
  EXPECT_EQ(h4.c.send(0, as_bytes("x"), 0), 0u);
  EXPECT_FALSE(h4.c.request(0, sr::kExec, sr::exec("true"), true));
  EXPECT_TRUE(h4.sent().empty());
}

TEST(ConnectionInboundOpen, EofBeforeAcceptFollowsTheConfirmation) {
  Harness h;
  h.ok(forwarded_tcpip_open(8, 1000, 1000, "a", 1, "b", 2));
  h.c.send_eof(0);
  EXPECT_TRUE(h.sent().empty());
  ASSERT_TRUE(h.c.accept(0));
  auto out = h.sent();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0][0], msg::kChannelOpenConfirmation);
  EXPECT_EQ(out[1], channel_msg(msg::kChannelEof, 8));
}

TEST(ConnectionInboundOpen, CloseBeforeAcceptRejects) {
  Harness h;
  h.ok(forwarded_tcpip_open(8, 1000, 1000, "a", 1, "b", 2));
  h.events();
  h.c.close(0);
  EXPECT_EQ(h.sent(),
            std::vector<Bytes>{open_failure(8, msg::kOpenConnectFailed, "channel closed before it was accepted")});
  EXPECT_TRUE(h.events().empty());
  EXPECT_EQ(h.c.open_channel_count(), 0u);
  EXPECT_FALSE(h.c.accept(0));
}

TEST(ConnectionInboundOpen, AnswersForUnknownOrLocallyOpenedIdsAreIgnored) {
  Harness h;
  EXPECT_FALSE(h.c.accept(0));
  EXPECT_FALSE(h.c.reject(7, 1, "x"));
  auto opening = h.c.open(ct::kSession, {});
  const ChannelId open = h.open(77);
  h.sent();
  EXPECT_FALSE(h.c.accept(*opening));
  EXPECT_FALSE(h.c.reject(*opening, 1, "x"));
  EXPECT_FALSE(h.c.accept(open));
  EXPECT_FALSE(h.c.reject(open, 1, "x"));
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.c.open_channel_count(), 2u);
}

TEST(ConnectionInboundOpen, MalformedOpenDataIsRejectedByItsDecoderNotTheConnection) {
  wire::Writer no_originator_port;
  no_originator_port.string(std::string_view("127.0.0.1")).u32(80).string(std::string_view("10.0.0.1"));
  wire::Writer overlong;
  overlong.u32(1000).raw(as_bytes("short"));
  wire::Writer no_reserved;
  no_reserved.string(std::string_view("/s"));
  for (const Bytes& bad : {Bytes{}, no_originator_port.data(), overlong.data()}) {
    EXPECT_FALSE(ct::parse_forwarded_tcpip(bad));
  }
  for (const Bytes& bad : {Bytes{}, no_reserved.data(), overlong.data()}) {
    EXPECT_FALSE(ct::parse_forwarded_streamlocal(bad));
  }
  EXPECT_FALSE(ct::parse_x11(Bytes{0, 0, 0, 1, 'a'}));
  // Encoders and decoders agree, trailing bytes tolerated.
  Bytes tcpip = ct::forwarded_tcpip({"::1", 22, "192.0.2.7", 65535});
  tcpip.push_back(0xff);
  const auto t = ct::parse_forwarded_tcpip(tcpip);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->connected_address, "::1");
  EXPECT_EQ(t->originator_port, 65535u);
  const auto x = ct::parse_x11(ct::x11({"10.0.0.1", 4242}));
  ASSERT_TRUE(x);
  EXPECT_EQ(x->originator_address, "10.0.0.1");
  EXPECT_EQ(x->originator_port, 4242u);
  // A bad open's channel still reaches the application and costs only itself.
  Harness h;
  const ChannelId id = h.open(50);
  h.ok(forwarded_tcpip_open(12, 1000, 1000, "a", 1, "b", 2));
  const auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  h.ok(data_msg(id, 3));
  EXPECT_EQ(h.events().size(), 1u);
}

TEST(ConnectionInboundOpen, InboundOpensRespectTheChannelLimit) {
  Harness h({64 * 1024, 16 * 1024, 3});
  h.open(1);
  h.ok(forwarded_tcpip_open(20, 1000, 1000, "a", 1, "b", 2));
  h.ok(streamlocal_open(21, 1000, 1000, "/s"));
  EXPECT_EQ(h.events().size(), 2u);
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.c.open_channel_count(), 3u);
  // Unanswered reservations count: the table is full.
  h.ok(forwarded_tcpip_open(22, 1000, 1000, "a", 1, "b", 2));
  EXPECT_EQ(h.sent(), std::vector<Bytes>{open_failure(22, msg::kOpenResourceShortage, "too many channels")});
  EXPECT_TRUE(h.events().empty());
  EXPECT_FALSE(h.c.open(ct::kSession, {}));
  // Rejecting one frees room for the next.
  ASSERT_TRUE(h.c.reject(1, msg::kOpenConnectFailed, "no"));
  h.sent();
  h.ok(forwarded_tcpip_open(23, 1000, 1000, "a", 1, "b", 2));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<cevent::OpenRequest>(ev[0]).id, 1u);
  EXPECT_TRUE(h.sent().empty());
}

TEST(ConnectionInboundOpen, SameSenderChannelTwiceGetsTwoIds) {
  // The peer's ids are its business; ours stay distinct.
  Harness h;
  h.ok(forwarded_tcpip_open(4, 1000, 1000, "a", 1, "b", 2));
  h.ok(forwarded_tcpip_open(4, 1000, 1000, "a", 1, "b", 3));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(std::get<cevent::OpenRequest>(ev[0]).id, 0u);
  EXPECT_EQ(std::get<cevent::OpenRequest>(ev[1]).id, 1u);
  EXPECT_EQ(ct::parse_forwarded_tcpip(std::get<cevent::OpenRequest>(ev[1]).data)->originator_port, 3u);
}

}  // namespace
}  // namespace ssh::connection
