#include "ssh/connection/connection.hpp"

#include <gtest/gtest.h>

#include "ssh/connection/message_numbers.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::connection {
namespace {

Bytes confirmation(ChannelId id, std::uint32_t remote, std::uint32_t window, std::uint32_t max_packet) {
  wire::Writer w(msg::kChannelOpenConfirmation);
  w.u32(id).u32(remote).u32(window).u32(max_packet);
  return w.take();
}

Bytes channel_msg(std::uint8_t type, ChannelId id) {
  wire::Writer w(type);
  w.u32(id);
  return w.take();
}

Bytes data_msg(ChannelId id, std::size_t n, std::uint8_t fill = 'x') {
  wire::Writer w(msg::kChannelData);
  w.string(Bytes(n, fill));
  Bytes body = w.take();
  wire::Writer out(msg::kChannelData);
  out.u32(id).raw(ByteView(body).subspan(1));
  return out.take();
}

Bytes window_adjust(ChannelId id, std::uint32_t n) {
  wire::Writer w(msg::kChannelWindowAdjust);
  w.u32(id).u32(n);
  return w.take();
}

Bytes channel_request(ChannelId id, std::string_view name, bool want_reply, ByteView extra = {}) {
  wire::Writer w(msg::kChannelRequest);
  w.u32(id).string(name).boolean(want_reply).raw(extra);
  return w.take();
}

Bytes forwarded_tcpip_open(std::uint32_t sender, std::uint32_t window, std::uint32_t max_packet,
                           std::string_view connected, std::uint32_t connected_port, std::string_view originator,
                           std::uint32_t originator_port) {
  wire::Writer w(msg::kChannelOpen);
  w.string(std::string_view("forwarded-tcpip")).u32(sender).u32(window).u32(max_packet);
  w.string(connected).u32(connected_port).string(originator).u32(originator_port);
  return w.take();
}

Bytes streamlocal_open(std::uint32_t sender, std::uint32_t window, std::uint32_t max_packet, std::string_view path) {
  wire::Writer w(msg::kChannelOpen);
  w.string(std::string_view("forwarded-streamlocal@openssh.com")).u32(sender).u32(window).u32(max_packet);
  w.string(path).string(std::string_view(""));
  return w.take();
}

Bytes open_failure(std::uint32_t recipient, std::uint32_t reason, std::string_view description) {
  wire::Writer w(msg::kChannelOpenFailure);
  w.u32(recipient).u32(reason).string(description).string(std::string_view(""));
  return w.take();
}

struct Harness {
  explicit Harness(ConnectionConfig cfg = {64 * 1024, 16 * 1024, 8}) : c(cfg) {}

  std::vector<Bytes> sent() {
    std::vector<Bytes> out;
    while (auto p = c.poll_send()) out.push_back(std::move(*p));
    return out;
  }
  std::vector<ConnectionEvent> events() {
    std::vector<ConnectionEvent> out;
    while (auto e = c.poll_event()) out.push_back(std::move(*e));
    return out;
  }
  void ok(const Bytes& payload) {
    const auto r = c.handle(payload);
    ASSERT_TRUE(r.ok) << r.error;
  }
  ChannelId open(std::uint32_t remote = 100, std::uint32_t window = 1 << 20, std::uint32_t max_packet = 32768) {
    auto id = c.open_session();
    EXPECT_TRUE(id);
    sent();
    ok(confirmation(*id, remote, window, max_packet));
    events();
    return *id;
  }

  Connection c;
};

TEST(Connection, OpenSessionEncodingAndConfirmation) {
  Harness h;
  auto id = h.c.open_session();
  ASSERT_EQ(id, 0u);
  auto out = h.sent();
  ASSERT_EQ(out.size(), 1u);
  wire::Writer expect(msg::kChannelOpen);
  expect.string(std::string_view("session")).u32(0).u32(64 * 1024).u32(16 * 1024);
  EXPECT_EQ(out[0], expect.data());
  EXPECT_EQ(h.c.send_capacity(0), 0u);  // not open yet
  h.ok(confirmation(0, 77, 1000, 500));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<cevent::Opened>(ev[0]).id, 0u);
  EXPECT_EQ(h.c.send_capacity(0), 1000u);
  EXPECT_EQ(h.c.channel(0)->remote_id, 77u);
}

TEST(Connection, DirectTcpipAndStreamlocalEncoding) {
  Harness h;
  auto a = h.c.open_direct_tcpip("example.org", 443, "127.0.0.1", 5555);
  auto b = h.c.open_direct_streamlocal("/run/app.sock");
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  auto out = h.sent();
  ASSERT_EQ(out.size(), 2u);
  wire::Writer tcp(msg::kChannelOpen);
  tcp.string(std::string_view("direct-tcpip")).u32(*a).u32(64 * 1024).u32(16 * 1024);
  tcp.string(std::string_view("example.org")).u32(443).string(std::string_view("127.0.0.1")).u32(5555);
  EXPECT_EQ(out[0], tcp.data());
  wire::Writer unix_open(msg::kChannelOpen);
  unix_open.string(std::string_view("direct-streamlocal@openssh.com")).u32(*b).u32(64 * 1024).u32(16 * 1024);
  unix_open.string(std::string_view("/run/app.sock")).string(std::string_view("")).u32(0);
  EXPECT_EQ(out[1], unix_open.data());
}

TEST(Connection, OpenFailureReleasesIdForReuse) {
  Harness h;
  auto a = h.c.open_session();
  auto b = h.c.open_session();
  ASSERT_EQ(*a, 0u);
  ASSERT_EQ(*b, 1u);
  wire::Writer f(msg::kChannelOpenFailure);
  f.u32(0).u32(2).string(std::string_view("connect failed")).string(std::string_view(""));
  h.ok(f.take());
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto& failed = std::get<cevent::OpenFailed>(ev[0]);
  EXPECT_EQ(failed.id, 0u);
  EXPECT_EQ(failed.reason, 2u);
  EXPECT_EQ(failed.description, "connect failed");
  EXPECT_EQ(h.c.open_channel_count(), 1u);
  EXPECT_EQ(h.c.open_session(), 0u);  // lowest free id reused
  EXPECT_EQ(h.c.open_session(), 2u);
}

TEST(Connection, ChannelLimit) {
  Harness h(ConnectionConfig{64 * 1024, 16 * 1024, 2});
  EXPECT_TRUE(h.c.open_session());
  EXPECT_TRUE(h.c.open_session());
  EXPECT_FALSE(h.c.open_session());
  EXPECT_FALSE(h.c.open_direct_tcpip("h", 1, "o", 2));
}

TEST(Connection, ConfirmationForUnknownOrOpenChannelIsError) {
  Harness h;
  EXPECT_FALSE(h.c.handle(confirmation(5, 1, 1, 1)).ok);
  auto id = h.open();
  EXPECT_FALSE(h.c.handle(confirmation(id, 1, 1, 1)).ok);  // already open
  EXPECT_FALSE(h.c.handle(data_msg(9, 1)).ok);
}

TEST(Connection, SendSplitsByMaxPacketAndObeysWindow) {
  Harness h;
  auto id = h.open(100, 2500, 1000);
  Bytes data(4000, 'a');
  EXPECT_EQ(h.c.send(id, data, 0), 2500u);
  auto out = h.sent();
  ASSERT_EQ(out.size(), 3u);
  std::size_t total = 0;
  for (const auto& p : out) {
    wire::Reader r(p);
    std::uint8_t type = 0;
    std::uint32_t rid = 0;
    ByteView d;
    ASSERT_TRUE(r.u8(type) && r.u32(rid) && r.string(d) && r.empty());
    EXPECT_EQ(type, msg::kChannelData);
    EXPECT_EQ(rid, 100u);
    EXPECT_LE(d.size(), 1000u);
    total += d.size();
  }
  EXPECT_EQ(total, 2500u);
  EXPECT_EQ(h.c.send_capacity(id), 0u);
  EXPECT_EQ(h.c.send(id, data, 0), 0u);
  // Window reopens: the limited channel becomes writable once.
  h.ok(window_adjust(id, 700));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<cevent::Writable>(ev[0]).id, id);
  EXPECT_EQ(h.c.send_capacity(id), 700u);
  EXPECT_EQ(h.c.send(id, ByteView(data).first(100), 0), 100u);
  h.ok(window_adjust(id, 10));
  EXPECT_TRUE(h.events().empty());  // last send was not limited
}

TEST(Connection, SendLimitCapsAndMarksChannelLimited) {
  Harness h;
  auto id = h.open(100, 10000, 1000);
  Bytes data(3000, 'b');
  EXPECT_EQ(h.c.send(id, data, 0, 1500), 1500u);
  EXPECT_EQ(h.sent().size(), 2u);
  EXPECT_EQ(h.c.send_capacity(id), 8500u);
  h.ok(window_adjust(id, 1));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<cevent::Writable>(ev[0]));
}

TEST(Connection, ExtendedDataSendEncoding) {
  Harness h;
  auto id = h.open(5);
  EXPECT_EQ(h.c.send(id, as_bytes("err"), 1), 3u);
  auto out = h.sent();
  ASSERT_EQ(out.size(), 1u);
  wire::Writer expect(msg::kChannelExtendedData);
  expect.u32(5).u32(1).string(std::string_view("err"));
  EXPECT_EQ(out[0], expect.data());
}

TEST(Connection, WindowAdjustOverflowIsError) {
  Harness h;
  auto id = h.open(1, 0xfffffff0u);
  EXPECT_FALSE(h.c.handle(window_adjust(id, 0x20)).ok);
}

TEST(Connection, ReceiveDataAndBatchedWindowAdjust) {
  Harness h;  // window 64 KiB, max packet 16 KiB
  auto id = h.open(42);
  for (int i = 0; i < 3; ++i) h.ok(data_msg(id, 10000));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(std::get<cevent::Data>(ev[0]).data.size(), 10000u);
  EXPECT_EQ(std::get<cevent::Data>(ev[0]).extended_type, 0u);
  h.c.consume(id, 20000);
  EXPECT_TRUE(h.sent().empty());  // below half the window: batched
  h.c.consume(id, 10000);         // 30000 < 32768 still
  EXPECT_TRUE(h.sent().empty());
  h.ok(data_msg(id, 5000));
  h.events();
  h.c.consume(id, 5000);  // 35000 >= 32768
  auto out = h.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], window_adjust(42, 35000));
  EXPECT_EQ(h.c.channel(id)->local_window, 64u * 1024u);
  // Consuming more than was delivered grants nothing extra.
  h.c.consume(id, 1000000);
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.c.channel(id)->consumed, 0u);
}

TEST(Connection, PeerExceedingWindowIsError) {
  Harness h;  // window 64 KiB
  auto id = h.open();
  for (int i = 0; i < 4; ++i) h.ok(data_msg(id, 16 * 1024));  // exactly the window
  EXPECT_FALSE(h.c.handle(data_msg(id, 1)).ok);
}

TEST(Connection, PeerExceedingMaxPacketIsError) {
  Harness h;
  auto id = h.open();
  EXPECT_FALSE(h.c.handle(data_msg(id, 16 * 1024 + 1)).ok);
}

TEST(Connection, ExtendedDataCountsAgainstWindow) {
  Harness h;
  auto id = h.open();
  wire::Writer w(msg::kChannelExtendedData);
  w.u32(id).u32(1).string(Bytes(16 * 1024, 'e'));
  for (int i = 0; i < 4; ++i) h.ok(w.data());
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(std::get<cevent::Data>(ev[0]).extended_type, 1u);
  EXPECT_FALSE(h.c.handle(data_msg(id, 1)).ok);
}

TEST(Connection, LocalEofThenPeerEofAndCloseSequence) {
  Harness h;
  auto id = h.open(9);
  h.c.send_eof(id);
  EXPECT_EQ(h.sent(), std::vector<Bytes>{channel_msg(msg::kChannelEof, 9)});
  EXPECT_EQ(h.c.send(id, as_bytes("late"), 0), 0u);  // no data after our EOF
  h.c.send_eof(id);
  EXPECT_TRUE(h.sent().empty());
  h.ok(data_msg(id, 10));  // peer may still send
  h.ok(channel_msg(msg::kChannelEof, id));
  // Both EOFs: we close.
  EXPECT_EQ(h.sent(), std::vector<Bytes>{channel_msg(msg::kChannelClose, 9)});
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<cevent::Data>(ev[0]));
  EXPECT_TRUE(std::holds_alternative<cevent::Eof>(ev[1]));
  EXPECT_EQ(h.c.open_channel_count(), 1u);
  h.ok(channel_msg(msg::kChannelClose, id));
  ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<cevent::Closed>(ev[0]).id, id);
  EXPECT_EQ(h.c.open_channel_count(), 0u);
  EXPECT_TRUE(h.sent().empty());
  // The channel is gone: further messages for it are errors.
  EXPECT_FALSE(h.c.handle(channel_msg(msg::kChannelEof, id)).ok);
}

TEST(Connection, PeerClosesFirst) {
  Harness h;
  auto id = h.open(3);
  h.ok(channel_msg(msg::kChannelEof, id));
  EXPECT_TRUE(h.sent().empty());  // their EOF alone does not close
  h.ok(channel_msg(msg::kChannelClose, id));
  EXPECT_EQ(h.sent(), std::vector<Bytes>{channel_msg(msg::kChannelClose, 3)});
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<cevent::Eof>(ev[0]));
  EXPECT_TRUE(std::holds_alternative<cevent::Closed>(ev[1]));
  // Commands on the freed id are no-ops.
  h.c.send_eof(id);
  h.c.close(id);
  EXPECT_EQ(h.c.send(id, as_bytes("x"), 0), 0u);
  EXPECT_TRUE(h.sent().empty());
}

TEST(Connection, WeCloseFirstAndIgnoreDataRacingOurClose) {
  Harness h;
  auto id = h.open(4);
  h.c.close(id);
  EXPECT_EQ(h.sent(), std::vector<Bytes>{channel_msg(msg::kChannelClose, 4)});
  h.c.close(id);
  h.c.send_eof(id);
  EXPECT_TRUE(h.sent().empty());
  h.ok(data_msg(id, 100));
  h.ok(channel_request(id, "keepalive@openssh.com", true));
  EXPECT_TRUE(h.sent().empty());  // nothing may follow our CLOSE
  EXPECT_TRUE(h.events().empty());
  h.ok(channel_msg(msg::kChannelClose, id));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<cevent::Closed>(ev[0]));
  EXPECT_TRUE(h.sent().empty());
}

TEST(Connection, DataAfterPeerEofIsDropped) {
  Harness h;
  auto id = h.open();
  h.ok(channel_msg(msg::kChannelEof, id));
  h.events();
  h.ok(data_msg(id, 10));
  EXPECT_TRUE(h.events().empty());
}

TEST(Connection, CloseBeforeConfirmationIsSentOnConfirmation) {
  Harness h;
  auto id = h.c.open_session();
  h.sent();
  h.c.close(*id);
  EXPECT_TRUE(h.sent().empty());
  h.ok(confirmation(*id, 55, 100, 100));
  EXPECT_EQ(h.sent(), std::vector<Bytes>{channel_msg(msg::kChannelClose, 55)});
  h.ok(channel_msg(msg::kChannelClose, *id));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<cevent::Opened>(ev[0]));
  EXPECT_TRUE(std::holds_alternative<cevent::Closed>(ev[1]));
}

TEST(Connection, IdReusedOnlyAfterClosed) {
  Harness h;
  auto a = h.open(1);
  auto b = h.open(2);
  h.c.close(a);
  h.sent();
  EXPECT_EQ(h.c.open_session(), 2u);  // 0 is still closing
  h.ok(channel_msg(msg::kChannelClose, a));
  EXPECT_EQ(h.c.open_session(), 0u);
  EXPECT_EQ(b, 1u);
}

TEST(Connection, ExecRepliesInOrder) {
  Harness h;
  auto id = h.open(8);
  ASSERT_TRUE(h.c.exec(id, "echo hi", true));
  ASSERT_TRUE(h.c.subsystem(id, "sftp", true));
  ASSERT_TRUE(h.c.exec(id, "nowait", false));
  auto out = h.sent();
  ASSERT_EQ(out.size(), 3u);
  wire::Writer e(msg::kChannelRequest);
  e.u32(8).string(std::string_view("exec")).boolean(true).string(std::string_view("echo hi"));
  EXPECT_EQ(out[0], e.data());
  h.ok(channel_msg(msg::kChannelSuccess, id));
  h.ok(channel_msg(msg::kChannelFailure, id));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_TRUE(std::get<cevent::RequestResult>(ev[0]).success);
  EXPECT_FALSE(std::get<cevent::RequestResult>(ev[1]).success);
  // A third reply has no request behind it.
  EXPECT_FALSE(h.c.handle(channel_msg(msg::kChannelSuccess, id)).ok);
}

TEST(Connection, ExitStatusAndSignal) {
  Harness h;
  auto id = h.open();
  h.ok(channel_request(id, "exit-status", false, Bytes{0, 0, 0, 3}));
  wire::Writer sig;
  sig.string(std::string_view("TERM")).boolean(false).string(std::string_view("")).string(std::string_view(""));
  h.ok(channel_request(id, "exit-signal", false, sig.data()));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 2u);
  auto& st = std::get<cevent::Exit>(ev[0]);
  EXPECT_EQ(st.status, 3u);
  auto& sg = std::get<cevent::Exit>(ev[1]);
  EXPECT_FALSE(sg.status);
  EXPECT_EQ(sg.signal, "TERM");
  EXPECT_FALSE(h.c.handle(channel_request(id, "exit-status", false, Bytes{0, 0})).ok);
}

TEST(Connection, UnknownChannelRequestWithReplyGetsFailure) {
  Harness h;
  auto id = h.open(12);
  h.ok(channel_request(id, "keepalive@openssh.com", true));
  h.ok(channel_request(id, "x-unknown", false));
  h.ok(channel_request(id, "x-unknown", true, Bytes{1, 2, 3}));
  EXPECT_EQ(h.sent(),
            (std::vector<Bytes>{channel_msg(msg::kChannelFailure, 12), channel_msg(msg::kChannelFailure, 12)}));
  EXPECT_TRUE(h.events().empty());
}

TEST(Connection, ForwardedTcpipOpenIsReportedAndAccepted) {
  Harness h;
  h.ok(forwarded_tcpip_open(31, 5000, 700, "127.0.0.1", 8080, "10.0.0.9", 4711));
  EXPECT_TRUE(h.sent().empty());
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto* req = std::get_if<cevent::OpenRequest>(&ev[0]);
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(req->id, 0u);
  EXPECT_EQ(req->type, "forwarded-tcpip");
  EXPECT_EQ(req->connected_address, "127.0.0.1");
  EXPECT_EQ(req->connected_port, 8080u);
  EXPECT_EQ(req->originator_address, "10.0.0.9");
  EXPECT_EQ(req->originator_port, 4711u);
  EXPECT_TRUE(req->socket_path.empty());
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

TEST(Connection, StreamlocalOpenIsReportedAndRejectFreesTheId) {
  Harness h;
  h.ok(streamlocal_open(44, 1000, 1000, "/run/app.sock"));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto* req = std::get_if<cevent::OpenRequest>(&ev[0]);
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(req->type, "forwarded-streamlocal@openssh.com");
  EXPECT_EQ(req->socket_path, "/run/app.sock");
  EXPECT_TRUE(req->connected_address.empty());
  EXPECT_EQ(req->connected_port, 0u);
  ASSERT_TRUE(h.c.reject(req->id, msg::kOpenConnectFailed, "connect refused"));
  EXPECT_EQ(h.sent(), std::vector<Bytes>{open_failure(44, msg::kOpenConnectFailed, "connect refused")});
  EXPECT_TRUE(h.events().empty());
  EXPECT_EQ(h.c.open_channel_count(), 0u);
  EXPECT_EQ(h.c.channel(req->id), nullptr);
  // The id is free again, and answering it twice does nothing.
  EXPECT_FALSE(h.c.accept(req->id));
  EXPECT_FALSE(h.c.reject(req->id, 1, "again"));
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.c.open_session(), req->id);
}

TEST(Connection, UnrequestedChannelTypesAreRefusedAsUnknown) {
  Harness h;
  for (std::string_view type : {"x11", "auth-agent@openssh.com", "session", "whatever", "direct-tcpip"}) {
    wire::Writer w(msg::kChannelOpen);
    w.string(type).u32(31).u32(1000).u32(1000).string(std::string_view("extra"));
    h.ok(w.take());
    EXPECT_EQ(h.sent(), std::vector<Bytes>{open_failure(31, msg::kOpenUnknownChannelType, "unknown channel type")})
        << type;
    EXPECT_TRUE(h.events().empty()) << type;
  }
  EXPECT_EQ(h.c.open_channel_count(), 0u);
  // Without even the common fields there is no channel to refuse: that stays a protocol error.
  EXPECT_FALSE(h.c.handle(Bytes{msg::kChannelOpen, 0, 0}).ok);
}

TEST(Connection, AcceptedForwardedChannelCarriesDataBothWaysAndCloses) {
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

TEST(Connection, PeerClosesAcceptedForwardedChannel) {
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

TEST(Connection, UnansweredOpenTakesNoChannelTrafficAndNoLocalData) {
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
  EXPECT_FALSE(h4.c.exec(0, "true", true));
  EXPECT_TRUE(h4.sent().empty());
}

TEST(Connection, EofBeforeAcceptFollowsTheConfirmation) {
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

TEST(Connection, CloseBeforeAcceptRejects) {
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

TEST(Connection, AnswersForUnknownOrLocallyOpenedIdsAreIgnored) {
  Harness h;
  EXPECT_FALSE(h.c.accept(0));
  EXPECT_FALSE(h.c.reject(7, 1, "x"));
  auto opening = h.c.open_session();
  const ChannelId open = h.open(77);
  h.sent();
  EXPECT_FALSE(h.c.accept(*opening));
  EXPECT_FALSE(h.c.reject(*opening, 1, "x"));
  EXPECT_FALSE(h.c.accept(open));
  EXPECT_FALSE(h.c.reject(open, 1, "x"));
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.c.open_channel_count(), 2u);
}

TEST(Connection, MalformedForwardedOpenIsRefusedNotFatal) {
  const auto open_with = [](std::string_view type, const Bytes& specific) {
    wire::Writer w(msg::kChannelOpen);
    w.string(type).u32(12).u32(1000).u32(1000).raw(specific);
    return w.take();
  };
  wire::Writer no_originator_port;
  no_originator_port.string(std::string_view("127.0.0.1")).u32(80).string(std::string_view("10.0.0.1"));
  wire::Writer overlong;
  overlong.u32(1000).raw(as_bytes("short"));
  wire::Writer no_reserved;
  no_reserved.string(std::string_view("/s"));
  const std::vector<std::pair<std::string_view, Bytes>> cases = {
      {"forwarded-tcpip", {}},
      {"forwarded-tcpip", no_originator_port.take()},
      {"forwarded-tcpip", overlong.data()},
      {"forwarded-streamlocal@openssh.com", {}},
      {"forwarded-streamlocal@openssh.com", no_reserved.take()},
      {"forwarded-streamlocal@openssh.com", overlong.take()},
  };
  Harness h;
  const ChannelId id = h.open(50);
  for (const auto& [type, specific] : cases) {
    h.ok(open_with(type, specific));
    EXPECT_EQ(h.sent(), std::vector<Bytes>{open_failure(12, msg::kOpenAdministrativelyProhibited,
                                                        "malformed " + std::string(type) + " data")});
    EXPECT_TRUE(h.events().empty());
  }
  EXPECT_EQ(h.c.open_channel_count(), 1u);
  // The existing channel is untouched.
  h.ok(data_msg(id, 3));
  EXPECT_EQ(h.events().size(), 1u);
}

TEST(Connection, InboundOpensRespectTheChannelLimit) {
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
  EXPECT_FALSE(h.c.open_session());
  // Rejecting one frees room for the next.
  ASSERT_TRUE(h.c.reject(1, msg::kOpenConnectFailed, "no"));
  h.sent();
  h.ok(forwarded_tcpip_open(23, 1000, 1000, "a", 1, "b", 2));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<cevent::OpenRequest>(ev[0]).id, 1u);
  EXPECT_TRUE(h.sent().empty());
}

TEST(Connection, SameSenderChannelTwiceGetsTwoIds) {
  // The peer's ids are its business; ours stay distinct.
  Harness h;
  h.ok(forwarded_tcpip_open(4, 1000, 1000, "a", 1, "b", 2));
  h.ok(forwarded_tcpip_open(4, 1000, 1000, "a", 1, "b", 3));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(std::get<cevent::OpenRequest>(ev[0]).id, 0u);
  EXPECT_EQ(std::get<cevent::OpenRequest>(ev[1]).id, 1u);
  EXPECT_EQ(std::get<cevent::OpenRequest>(ev[1]).originator_port, 3u);
}

TEST(Connection, GlobalRequestRepliesMatchedInOrder) {
  Harness h;
  const auto t1 = h.c.global_request("tcpip-forward", Bytes{0, 0, 0, 0}, true);
  const auto t2 = h.c.global_request("no-reply", {}, false);
  const auto t3 = h.c.global_request("cancel", {}, true);
  EXPECT_NE(t1, t2);
  EXPECT_NE(t2, t3);
  auto out = h.sent();
  ASSERT_EQ(out.size(), 3u);
  wire::Writer g(msg::kGlobalRequest);
  g.string(std::string_view("tcpip-forward")).boolean(true).u32(0);
  EXPECT_EQ(out[0], g.data());
  h.ok(Bytes{msg::kRequestSuccess, 0, 0, 0x1f, 0x90});
  h.ok(Bytes{msg::kRequestFailure});
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 2u);
  auto& r1 = std::get<cevent::GlobalRequestResult>(ev[0]);
  EXPECT_EQ(r1.token, t1);
  EXPECT_TRUE(r1.success);
  EXPECT_EQ(r1.data, (Bytes{0, 0, 0x1f, 0x90}));
  auto& r3 = std::get<cevent::GlobalRequestResult>(ev[1]);
  EXPECT_EQ(r3.token, t3);
  EXPECT_FALSE(r3.success);
  EXPECT_FALSE(h.c.handle(Bytes{msg::kRequestFailure}).ok);  // no request outstanding
}

TEST(Connection, KeepaliveReplyIsSwallowedButKeepsOrder) {
  Harness h;
  h.c.send_keepalive();
  const auto t = h.c.global_request("x", {}, true);
  auto out = h.sent();
  ASSERT_EQ(out.size(), 2u);
  wire::Writer k(msg::kGlobalRequest);
  k.string(std::string_view("keepalive@openssh.com")).boolean(true);
  EXPECT_EQ(out[0], k.data());
  h.ok(Bytes{msg::kRequestFailure});
  EXPECT_TRUE(h.events().empty());
  h.ok(Bytes{msg::kRequestSuccess});
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<cevent::GlobalRequestResult>(ev[0]).token, t);
}

TEST(Connection, ServerGlobalRequests) {
  Harness h;
  wire::Writer ka(msg::kGlobalRequest);
  ka.string(std::string_view("keepalive@openssh.com")).boolean(true);
  h.ok(ka.take());
  wire::Writer hk(msg::kGlobalRequest);
  hk.string(std::string_view("hostkeys-00@openssh.com")).boolean(false).string(std::string_view("blob"));
  h.ok(hk.take());
  EXPECT_EQ(h.sent(), std::vector<Bytes>{Bytes{msg::kRequestFailure}});
  EXPECT_FALSE(h.c.handle(Bytes{msg::kGlobalRequest, 0, 0, 0, 9}).ok);
}

TEST(Connection, UnknownConnectionMessageIsUnimplemented) {
  Harness h;
  const auto r = h.c.handle(Bytes{120, 1, 2});
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.unimplemented);
}

TEST(Connection, MessagesBeforeConfirmationAreErrors) {
  Harness h;
  auto id = h.c.open_session();
  EXPECT_FALSE(h.c.handle(data_msg(*id, 1)).ok);
  EXPECT_FALSE(h.c.handle(window_adjust(*id, 1)).ok);
  EXPECT_FALSE(h.c.handle(channel_msg(msg::kChannelClose, *id)).ok);
}

TEST(Connection, EofBeforeConfirmationIsSentAfterIt) {
  Harness h;
  auto id = h.c.open_session();
  h.sent();
  h.c.send_eof(*id);
  EXPECT_TRUE(h.sent().empty());
  h.ok(confirmation(*id, 70, 10, 10));
  EXPECT_EQ(h.sent(), std::vector<Bytes>{channel_msg(msg::kChannelEof, 70)});
}

}  // namespace
}  // namespace ssh::connection
