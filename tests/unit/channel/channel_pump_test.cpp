// The one channel pump in memory: a fake connection and a fake local end. Backpressure both ways,
// credit only after the local write, half-close per direction, the open's outcome told to an
// observer, and every failure path ending with both sides closed and the pump finished once.
#include "gateway/channel/channel_pump.hpp"

#include <gtest/gtest.h>

#include "unit/channel/pump_fakes.hpp"

namespace gateway {
namespace {

using test::bytes;
using test::FakeEnd;
using test::FakeHost;
using Stream = LocalEnd::Stream;

struct Recorder final : ChannelObserver {
  void on_open_confirmed(ChannelPump& pump) override {
    ++confirmed;
    if (!reply_on_success.empty()) pump.write_control(bytes(reply_on_success));
  }
  void on_open_failed(ChannelPump& pump, std::uint32_t reason, const std::string&) override {
    failures.push_back(reason);
    if (!reply_on_failure.empty()) pump.write_control(bytes(reply_on_failure));
  }
  bool on_request(ChannelPump&, const ssh::event::ChannelRequest& r) override {
    requests.push_back(r.name);
    return r.name == "exit-status";
  }
  void on_request_result(ChannelPump&, std::uint32_t seq, bool ok) override { results.emplace_back(seq, ok); }
  void on_output_done(ChannelPump&) override { ++output_done; }
  void on_finished(ChannelPump&) override { ++finished; }

  std::string reply_on_success, reply_on_failure;
  int confirmed = 0, output_done = 0, finished = 0;
  std::vector<std::uint32_t> failures;
  std::vector<std::string> requests;
  std::vector<std::pair<std::uint32_t, bool>> results;
};

class PumpTest : public ::testing::Test {
 protected:
  void make(bool open = true) {
    auto e = std::make_unique<FakeEnd>();
    end = e.get();
    pump = new ChannelPump(host, std::move(e), "test", [this](ChannelPump* p) {
      ++finished;
      pump = nullptr;
      delete p;  // last: this lambda goes with it
    });
    pump->set_observer(&observer);
    if (open) pump->open("direct-tcpip", bytes("data"));
  }
  void TearDown() override {
    // A pump that did not finish is a test failure of its own; free it without callbacks.
    if (pump != nullptr) {
      pump->set_observer(nullptr);
      delete pump;
    }
  }
  ChannelHandler& channel() { return *host.handler; }
  void server_sends(std::string_view data, std::uint32_t ext = 0) {
    channel().on_data(bytes(data), ext);
    channel().on_data_flush();
  }

  FakeHost host;
  FakeEnd* end = nullptr;
  ChannelPump* pump = nullptr;
  Recorder observer;
  int finished = 0;
};

TEST_F(PumpTest, OpensTheTypeWithItsDataAndReadsOnlyOnceOpen) {
  make();
  EXPECT_EQ(host.opened_type, "direct-tcpip");
  EXPECT_EQ(test::text(host.opened_data), "data");
  EXPECT_TRUE(pump->opening());
  EXPECT_FALSE(end->reading);
  channel().on_open_confirmed();
  EXPECT_EQ(observer.confirmed, 1);
  EXPECT_TRUE(end->reading);
  end->deliver("hello");
  EXPECT_EQ(host.sent, "hello");
}

TEST_F(PumpTest, CreditOnlyAfterTheLocalWriteCompleted) {
  make();
  channel().on_open_confirmed();
  channel().on_data(bytes("abc"), 0);
  channel().on_data(bytes("def"), 0);
  EXPECT_TRUE(end->writes.empty()) << "held until the read's last packet";
  channel().on_data_flush();
  ASSERT_EQ(end->writes.size(), 1u) << "one write for the whole read";
  EXPECT_EQ(end->writes[0].data, "abcdef");
  EXPECT_EQ(host.consumed, 0u) << "a slow local reader must close the SSH window";
  end->complete_writes();
  EXPECT_EQ(host.consumed, 6u);
}

TEST_F(PumpTest, FullChannelStopsReadingUntilWritable) {
  make();
  channel().on_open_confirmed();
  host.capacity = 2;
  end->deliver("hello");
  EXPECT_EQ(host.sent, "he");
  EXPECT_FALSE(end->reading) << "the rest is held and reading pauses";
  EXPECT_TRUE(host.wants_writable);
  EXPECT_EQ(pump->pending_input(), 3u);
  host.capacity = 100;
  channel().on_writable();
  EXPECT_EQ(host.sent, "hello");
  EXPECT_TRUE(end->reading);
  EXPECT_EQ(pump->pending_input(), 0u);
}

TEST_F(PumpTest, EarlyDataGoesFirst) {
  make(false);
  pump->prepend_input(bytes("early:"));
  pump->open("direct-tcpip", {});
  channel().on_open_confirmed();
  end->deliver("later");
  EXPECT_EQ(host.sent, "early:later");
}

TEST_F(PumpTest, HalfCloseEachWayThenFinishOnce) {
  make();
  channel().on_open_confirmed();
  // Local EOF: CHANNEL_EOF once everything before it went out.
  host.capacity = 1;
  end->deliver("ab");
  end->eof();
  EXPECT_EQ(host.eofs, 0);
  host.capacity = 10;
  channel().on_writable();
  EXPECT_EQ(host.sent, "ab");
  EXPECT_EQ(host.eofs, 1);
  // Server EOF: the local side is shut only after the data before it was written.
  channel().on_data(bytes("last"), 0);
  channel().on_eof();
  channel().on_data_flush();
  EXPECT_EQ(end->shutdowns, 0);
  end->complete_writes();
  EXPECT_EQ(end->shutdowns, 1);
  end->output_shut();
  EXPECT_EQ(observer.output_done, 1);
  EXPECT_EQ(end->closes, 0) << "the channel is still there";
  channel().on_closed();
  EXPECT_EQ(end->closes, 1);
  EXPECT_EQ(finished, 0) << "not before the local end is gone";
  end->closed();
  EXPECT_EQ(finished, 1);
  EXPECT_EQ(observer.finished, 1);
}

TEST_F(PumpTest, ChannelGoneWithoutEofIsAnEofUnlessTheEndReportsTheLossItself) {
  // By default (sockets of -L, -D, sessions) a lost channel ends the local side like an EOF.
  make();
  channel().on_open_confirmed();
  server_sends("partial");
  channel().on_closed();
  EXPECT_EQ(end->losses, 1);
  end->complete_writes();
  EXPECT_EQ(end->shutdowns, 1);
  end->output_shut();
  EXPECT_EQ(end->closes, 1);
  end->closed();
  EXPECT_EQ(finished, 1);

  // An end that says the truth itself (a VPN flow: a reset) gets its last data, then close() only.
  finished = 0;
  make();
  end->reports_loss = true;
  channel().on_open_confirmed();
  server_sends("partial");
  channel().on_closed();
  end->complete_writes();
  EXPECT_EQ(end->shutdowns, 0);
  EXPECT_EQ(end->closes, 1);
  EXPECT_EQ(end->written(LocalEnd::Stream::data), "partial");
  end->closed();
  EXPECT_EQ(finished, 1);

  // After the server's EOF, a close is the normal end: no loss is reported.
  finished = 0;
  make();
  end->reports_loss = true;
  channel().on_open_confirmed();
  channel().on_eof();
  channel().on_closed();
  EXPECT_EQ(end->losses, 0);
  EXPECT_EQ(end->shutdowns, 1);
  end->output_shut();
  end->closed();
  EXPECT_EQ(finished, 1);
}

TEST_F(PumpTest, RefusedOpenAnswersTheClientThenClosesItEvenWhenTheWriteIsImmediate) {
  // The descriptor leak seen through a browser: a failure reply written at once must still close.
  make(false);
  end->complete_writes_at_once = true;
  observer.reply_on_failure = "refused";
  pump->open("direct-tcpip", {});
  channel().on_open_failed(2, "connect failed");
  EXPECT_EQ(observer.failures, std::vector<std::uint32_t>{2});
  EXPECT_EQ(end->written(Stream::control), "refused");
  EXPECT_EQ(end->closes, 1);
  EXPECT_EQ(host.consumed, 0u) << "a reply of ours earns the channel no credit";
  end->closed();  // the end is gone with the pump from here
  EXPECT_EQ(finished, 1);
}

TEST_F(PumpTest, RefusedOpenWithALaterWriteClosesAfterIt) {
  make(false);
  observer.reply_on_failure = "refused";
  pump->open("direct-tcpip", {});
  channel().on_open_failed(1, "prohibited");
  EXPECT_EQ(end->closes, 0) << "the reply is still being written";
  end->complete_writes();
  EXPECT_EQ(end->closes, 1);
  end->closed();
  EXPECT_EQ(finished, 1);
}

TEST_F(PumpTest, SuccessReplyPrecedesChannelData) {
  make();
  observer.reply_on_success = "granted";
  channel().on_open_confirmed();
  server_sends("payload");
  ASSERT_EQ(end->writes.size(), 2u);
  EXPECT_EQ(end->writes[0].data, "granted");
  EXPECT_EQ(end->writes[0].stream, Stream::control);
  EXPECT_EQ(end->writes[1].data, "payload");
}

TEST_F(PumpTest, ConnectionLostWhileOpeningIsAFailedOpen) {
  make();
  channel().on_closed();
  EXPECT_EQ(observer.failures, std::vector<std::uint32_t>{2});
  EXPECT_EQ(end->closes, 1);
  end->closed();
  EXPECT_EQ(finished, 1);
}

TEST_F(PumpTest, SessionCannotOpenAChannel) {
  host.refuse_opens = true;
  make();
  EXPECT_EQ(observer.failures, std::vector<std::uint32_t>{4});
  EXPECT_EQ(end->closes, 1);
  end->closed();
  EXPECT_EQ(finished, 1);
}

TEST_F(PumpTest, LocalErrorClosesTheChannelAfterSendingWhatWasRead) {
  make();
  channel().on_open_confirmed();
  host.capacity = 3;
  end->deliver("abcdef");
  host.capacity = 100;
  end->error();
  EXPECT_EQ(host.sent, "abcdef") << "what was read before the failure still goes";
  EXPECT_EQ(host.closes, 1);
  EXPECT_EQ(end->closes, 1);
  end->closed();
  EXPECT_EQ(finished, 0);
  channel().on_closed();
  EXPECT_EQ(finished, 1);
}

TEST_F(PumpTest, AbortWhileOpeningClosesOnConfirmationWithoutReading) {
  make();
  pump->abort();
  EXPECT_EQ(host.closes, 1);
  EXPECT_EQ(end->closes, 1);
  end->closed();
  channel().on_open_confirmed();
  EXPECT_FALSE(end->reading);
  EXPECT_EQ(observer.confirmed, 0) << "nobody is told about a channel already being closed";
  channel().on_closed();
  EXPECT_EQ(finished, 1);
}

TEST_F(PumpTest, ExtendedDataIsWrittenToItsStreamAndCredited) {
  make();
  channel().on_open_confirmed();
  channel().on_data(bytes("out"), 0);
  channel().on_data(bytes("err"), 1);
  channel().on_data_flush();
  EXPECT_EQ(end->written(Stream::data), "out");
  EXPECT_EQ(end->written(Stream::extended), "err");
  end->complete_writes();
  EXPECT_EQ(host.consumed, 6u);
}

TEST_F(PumpTest, DataForAClosingLocalSideIsCreditedNotWritten) {
  make();
  channel().on_open_confirmed();
  end->error();
  server_sends("too late");
  EXPECT_TRUE(end->written(Stream::data).empty());
  EXPECT_EQ(host.consumed, 8u) << "the window stays usable";
}

TEST_F(PumpTest, HeldInputWaitsForRelease) {
  make();
  pump->hold_input(true);
  channel().on_open_confirmed();
  EXPECT_FALSE(end->reading);
  pump->hold_input(false);
  EXPECT_TRUE(end->reading);
}

TEST_F(PumpTest, RequestsAndTheirResultsReachTheObserver) {
  make();
  channel().on_open_confirmed();
  const auto seq = pump->request("exec", bytes("cmd"), true);
  ASSERT_TRUE(seq);
  EXPECT_EQ(host.requests, std::vector<std::string>{"exec"});
  channel().on_request_result(*seq, true);
  EXPECT_EQ(observer.results, (std::vector<std::pair<std::uint32_t, bool>>{{*seq, true}}));
  EXPECT_TRUE(channel().on_request({7, "exit-status", false, {}}));
  EXPECT_FALSE(channel().on_request({7, "keepalive@openssh.com", true, {}}));
}

TEST_F(PumpTest, AcceptedChannelFlowsAtOnce) {
  make(false);
  pump->accept(42);
  EXPECT_EQ(host.accepted, 42u);
  EXPECT_TRUE(pump->is_open());
  EXPECT_TRUE(end->reading);
}

TEST(PumpSet, CountsOpensAndAbortsEveryPump) {
  FakeHost host;
  PumpSet set;
  FakeEnd* ends[3];
  std::vector<ChannelHandler*> handlers;
  for (auto*& e : ends) {
    auto owned = std::make_unique<FakeEnd>();
    owned->close_at_once = true;
    e = owned.get();
    ChannelPump* p = set.create(host, std::move(owned), "t");
    p->open("direct-tcpip", {});
    handlers.push_back(host.handler);
  }
  EXPECT_EQ(set.size(), 3u);
  EXPECT_EQ(set.opening(), 3u);
  handlers[0]->on_open_confirmed();
  EXPECT_EQ(set.opening(), 2u);
  handlers[1]->on_open_failed(2, "refused");
  EXPECT_EQ(set.opening(), 1u);
  EXPECT_EQ(set.size(), 2u) << "a refused pump whose end closed is gone";
  set.abort_all();
  EXPECT_EQ(ends[0]->closes, 1);
  handlers[0]->on_closed();
  handlers[2]->on_closed();
  EXPECT_EQ(set.size(), 0u);
  EXPECT_EQ(set.opening(), 0u);
}

// The set's counters: opens the server confirmed, refusals by reason (a connection lost while the
// open was pending is no_connection, not the server's connect_failed), payload bytes each way as
// the channel took them (not as offered) and as the server sent them.
TEST(PumpSet, CountsOpensFailuresAndPayloadBytes) {
  FakeHost host;
  PumpSet set;
  std::vector<ChannelHandler*> handlers;
  std::vector<FakeEnd*> ends;
  for (int i = 0; i < 4; ++i) {
    auto owned = std::make_unique<FakeEnd>();
    owned->close_at_once = true;
    ends.push_back(owned.get());
    set.create(host, std::move(owned), "t")->open("direct-tcpip", {});
    handlers.push_back(host.handler);
  }
  handlers[0]->on_open_confirmed();
  handlers[1]->on_open_failed(2, "connect failed");
  handlers[2]->on_open_failed(1, "prohibited");
  handlers[3]->on_closed();
  const PumpCounters& c = set.counters();
  EXPECT_EQ(c.opens, 1u);
  EXPECT_EQ(c.failures(OpenFailure::connect_failed), 1u);
  EXPECT_EQ(c.failures(OpenFailure::administratively_prohibited), 1u);
  EXPECT_EQ(c.failures(OpenFailure::no_connection), 1u);
  EXPECT_EQ(c.failures(OpenFailure::resource_shortage), 0u);

  host.capacity = 3;
  ends[0]->deliver("hello");  // the channel takes 3 now, 2 once writable
  EXPECT_EQ(c.sent_bytes, 3u);
  host.capacity = 100;
  handlers[0]->on_writable();
  EXPECT_EQ(c.sent_bytes, 5u);
  handlers[0]->on_data(bytes("abcdef"), 0);
  handlers[0]->on_data(bytes("err"), 1);
  handlers[0]->on_data_flush();
  EXPECT_EQ(c.received_bytes, 9u);
  set.abort_all();
  handlers[0]->on_closed();
  EXPECT_EQ(set.size(), 0u);
}

TEST(PumpCounters, ReasonNamesFollowRfc4254) {
  EXPECT_STREQ(open_failure_name(open_failure_of_reason(1)), "administratively_prohibited");
  EXPECT_STREQ(open_failure_name(open_failure_of_reason(2)), "connect_failed");
  EXPECT_STREQ(open_failure_name(open_failure_of_reason(3)), "unknown_channel_type");
  EXPECT_STREQ(open_failure_name(open_failure_of_reason(4)), "resource_shortage");
  EXPECT_STREQ(open_failure_name(open_failure_of_reason(99)), "other");
  EXPECT_STREQ(open_failure_name(OpenFailure::limit), "limit");
}

}  // namespace
}  // namespace gateway
