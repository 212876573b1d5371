#include "ssh/connection/connection.hpp"

#include <gtest/gtest.h>

#include "ssh/connection/message_numbers.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"
#include "unit/connection/connection_harness.hpp"

namespace ssh::connection {
namespace {

using namespace test_support;

TEST(Connection, OpenSessionEncodingAndConfirmation) {
  Harness h;
  auto id = h.c.open(ct::kSession, {});
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
  auto a = h.c.open(ct::kDirectTcpip, ct::direct_tcpip("example.org", 443, "127.0.0.1", 5555));
  auto b = h.c.open(ct::kDirectStreamlocal, ct::direct_streamlocal("/run/app.sock"));
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
  auto a = h.c.open(ct::kSession, {});
  auto b = h.c.open(ct::kSession, {});
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
  EXPECT_EQ(h.c.open(ct::kSession, {}), 0u);  // lowest free id reused
  EXPECT_EQ(h.c.open(ct::kSession, {}), 2u);
}

TEST(Connection, ChannelLimit) {
  Harness h(ConnectionConfig{64 * 1024, 16 * 1024, 2});
  EXPECT_TRUE(h.c.open(ct::kSession, {}));
  EXPECT_TRUE(h.c.open(ct::kSession, {}));
  EXPECT_FALSE(h.c.open(ct::kSession, {}));
  EXPECT_FALSE(h.c.open(ct::kDirectTcpip, ct::direct_tcpip("h", 1, "o", 2)));
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
  // Credit goes back in batches of an eighth of the window, but never less than one max packet
  // (16 KiB here): few messages, yet the peer keeps most of the window in flight.
  h.c.consume(id, 10000);
  EXPECT_TRUE(h.sent().empty());
  h.c.consume(id, 6000);  // 16000 < 16384 still
  EXPECT_TRUE(h.sent().empty());
  h.c.consume(id, 14000);  // 30000 >= 16384
  auto out = h.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], window_adjust(42, 30000));
  h.ok(data_msg(id, 5000));
  h.events();
  h.c.consume(id, 5000);
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.c.channel(id)->local_window, 64u * 1024u - 5000u);
  h.c.consume(id, 1000000);  // only what was delivered counts: nothing new to grant
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.c.channel(id)->consumed, 5000u);
}

TEST(Connection, WindowAdjustRestoresTheFullWindow) {
  Harness h;
  auto id = h.open(42);
  for (int i = 0; i < 4; ++i) h.ok(data_msg(id, 16000));
  h.events();
  h.c.consume(id, 64000);
  auto out = h.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], window_adjust(42, 64000));
  EXPECT_EQ(h.c.channel(id)->local_window, 64u * 1024u);
}

// A long round trip widens the window of an open channel with one WINDOW_ADJUST for the difference;
// credit is then returned in batches of the new size.
TEST(Connection, EnlargedWindowGrantsTheDifferenceOnce) {
  Harness h;  // window 64 KiB, max packet 16 KiB
  auto id = h.open(42);
  EXPECT_TRUE(h.c.enlarge_window(id, 256 * 1024));
  auto out = h.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], window_adjust(42, 192 * 1024));
  EXPECT_EQ(h.c.channel(id)->local_window, 256u * 1024u);
  EXPECT_FALSE(h.c.enlarge_window(id, 128 * 1024)) << "a window never shrinks";
  EXPECT_TRUE(h.sent().empty());
  for (int i = 0; i < 2; ++i) h.ok(data_msg(id, 16000));
  h.events();
  h.c.consume(id, 32000);  // an eighth of 256 KiB is 32768: still batched
  EXPECT_TRUE(h.sent().empty());
  h.ok(data_msg(id, 1000));
  h.events();
  h.c.consume(id, 1000);
  out = h.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], window_adjust(42, 33000));
  h.c.set_window(128 * 1024);
  EXPECT_EQ(h.c.window(), 128u * 1024u);
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
  // The data is dropped; the request is still told, but owes no answer.
  auto raced = h.events();
  ASSERT_EQ(raced.size(), 1u);
  EXPECT_FALSE(std::get<cevent::Request>(raced[0]).want_reply);
  EXPECT_FALSE(h.c.reply_request(id, true));
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
  auto id = h.c.open(ct::kSession, {});
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
  EXPECT_EQ(h.c.open(ct::kSession, {}), 2u);  // 0 is still closing
  h.ok(channel_msg(msg::kChannelClose, a));
  EXPECT_EQ(h.c.open(ct::kSession, {}), 0u);
  EXPECT_EQ(b, 1u);
}

TEST(Connection, RequestRepliesAreMatchedToTheRequestThatAsked) {
  Harness h;
  auto id = h.open(8);
  const auto exec = h.c.request(id, sr::kExec, sr::exec("echo hi"), true);
  const auto subsystem = h.c.request(id, sr::kSubsystem, sr::subsystem("sftp"), true);
  const auto no_reply = h.c.request(id, sr::kExec, sr::exec("nowait"), false);
  ASSERT_TRUE(exec && subsystem && no_reply);
  EXPECT_EQ(*no_reply, 0u);
  EXPECT_NE(*exec, *subsystem);
  auto out = h.sent();
  ASSERT_EQ(out.size(), 3u);
  wire::Writer e(msg::kChannelRequest);
  e.u32(8).string(std::string_view("exec")).boolean(true).string(std::string_view("echo hi"));
  EXPECT_EQ(out[0], e.data());
  h.ok(channel_msg(msg::kChannelSuccess, id));
  h.ok(channel_msg(msg::kChannelFailure, id));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 2u);
  const auto& first = std::get<cevent::RequestResult>(ev[0]);
  const auto& second = std::get<cevent::RequestResult>(ev[1]);
  EXPECT_EQ(first.seq, *exec);
  EXPECT_TRUE(first.success);
  EXPECT_EQ(second.seq, *subsystem);
  EXPECT_FALSE(second.success);
  // A third reply has no request behind it.
  EXPECT_FALSE(h.c.handle(channel_msg(msg::kChannelSuccess, id)).ok);
}

TEST(Connection, RequestsOnAClosedOrUnknownChannelAreNotSent) {
  Harness h;
  auto id = h.open(8);
  EXPECT_FALSE(h.c.request(id + 1, sr::kShell, {}, true));
  h.c.close(id);
  h.sent();
  EXPECT_FALSE(h.c.request(id, sr::kShell, {}, true));
  EXPECT_TRUE(h.sent().empty());
}

TEST(Connection, ServerRequestsSurfaceWithTheirData) {
  Harness h;
  auto id = h.open();
  h.ok(channel_request(id, "exit-status", false, sr::exit_status(3)));
  h.ok(channel_request(id, "exit-signal", false, sr::exit_signal({"TERM", true, "killed", ""})));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 2u);
  const auto& status = std::get<cevent::Request>(ev[0]);
  EXPECT_EQ(status.name, "exit-status");
  EXPECT_FALSE(status.want_reply);
  EXPECT_EQ(sr::parse_exit_status(status.data), 3u);
  const auto& signal = std::get<cevent::Request>(ev[1]);
  const auto parsed = sr::parse_exit_signal(signal.data);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->signal, "TERM");
  EXPECT_TRUE(parsed->core_dumped);
  EXPECT_EQ(parsed->message, "killed");
  // Short data is the decoder's business, not a protocol error of the connection.
  h.ok(channel_request(id, "exit-status", false, Bytes{0, 0}));
  auto short_ev = h.events();
  ASSERT_EQ(short_ev.size(), 1u);
  EXPECT_FALSE(sr::parse_exit_status(std::get<cevent::Request>(short_ev[0]).data));
  EXPECT_FALSE(h.c.handle(channel_request(id + 7, "exit-status", false, sr::exit_status(0))).ok);
}

TEST(Connection, WantReplyRequestsAreAnsweredInOrderByTheApplication) {
  Harness h;
  auto id = h.open(12);
  h.ok(channel_request(id, "keepalive@openssh.com", true));
  h.ok(channel_request(id, "x-unknown", false));
  h.ok(channel_request(id, "x-unknown", true, Bytes{1, 2, 3}));
  EXPECT_TRUE(h.sent().empty());  // nothing until the application decides
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_TRUE(std::get<cevent::Request>(ev[0]).want_reply);
  EXPECT_EQ(std::get<cevent::Request>(ev[2]).data, (Bytes{1, 2, 3}));
  EXPECT_TRUE(h.c.reply_request(id, false));
  EXPECT_TRUE(h.c.reply_request(id, true));
  EXPECT_FALSE(h.c.reply_request(id, true));  // only two were owed
  EXPECT_EQ(h.sent(),
            (std::vector<Bytes>{channel_msg(msg::kChannelFailure, 12), channel_msg(msg::kChannelSuccess, 12)}));
}

TEST(Connection, OpenCarriesTheTypeAndItsData) {
  Harness h;
  auto id = h.c.open("x-custom@example.org", Bytes{9, 8, 7}, 4096);
  ASSERT_TRUE(id);
  auto out = h.sent();
  ASSERT_EQ(out.size(), 1u);
  wire::Writer w(msg::kChannelOpen);
  w.string(std::string_view("x-custom@example.org")).u32(*id).u32(4096).u32(16 * 1024).raw(Bytes{9, 8, 7});
  EXPECT_EQ(out[0], w.data());
  EXPECT_EQ(h.c.channel(*id)->type, "x-custom@example.org");
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
  auto id = h.c.open(ct::kSession, {});
  EXPECT_FALSE(h.c.handle(data_msg(*id, 1)).ok);
  EXPECT_FALSE(h.c.handle(window_adjust(*id, 1)).ok);
  EXPECT_FALSE(h.c.handle(channel_msg(msg::kChannelClose, *id)).ok);
}

TEST(Connection, EofBeforeConfirmationIsSentAfterIt) {
  Harness h;
  auto id = h.c.open(ct::kSession, {});
  h.sent();
  h.c.send_eof(*id);
  EXPECT_TRUE(h.sent().empty());
  h.ok(confirmation(*id, 70, 10, 10));
  EXPECT_EQ(h.sent(), std::vector<Bytes>{channel_msg(msg::kChannelEof, 70)});
}

}  // namespace
}  // namespace ssh::connection

