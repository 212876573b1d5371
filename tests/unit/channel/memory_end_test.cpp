// MemoryEnd on the one pump, with the fake connection: writes reach the callback and earn their
// credit at once, sent bytes and EOF wait while the pump does not read (backpressure), the
// server's EOF and the channel's close reach the code, and nothing is called after detach().
#include "gateway/channel/memory_end.hpp"

#include <gtest/gtest.h>

#include "gateway/channel/channel_pump.hpp"
#include "unit/channel/pump_fakes.hpp"

namespace gateway {
namespace {

using test::bytes;
using test::FakeHost;

class MemoryEndTest : public ::testing::Test {
 protected:
  void make() {
    MemoryEnd::Callbacks callbacks;
    callbacks.on_data = [this](ssh::ByteView data) { received += test::text(data); };
    callbacks.on_eof = [this] { ++eofs; };
    callbacks.on_closed = [this] {
      ++closed;
      end = nullptr;
    };
    auto e = std::make_unique<MemoryEnd>(std::move(callbacks));
    end = e.get();
    pump = new ChannelPump(host, std::move(e), "memory", [this](ChannelPump* p) {
      ++finished;
      pump = nullptr;
      delete p;
    });
    pump->open("direct-tcpip", bytes("data"));
  }
  void confirm() { host.handler->on_open_confirmed(); }
  void server_sends(std::string_view data) {
    host.handler->on_data(bytes(data), 0);
    host.handler->on_data_flush();
  }
  void TearDown() override {
    if (pump != nullptr) delete pump;
  }

  FakeHost host;
  MemoryEnd* end = nullptr;
  ChannelPump* pump = nullptr;
  std::string received;
  int eofs = 0, closed = 0, finished = 0;
};

TEST_F(MemoryEndTest, BytesSentBeforeTheOpenWaitAndGoOutOnceConfirmed) {
  make();
  end->send(bytes("early "));
  end->send(bytes("query"));
  EXPECT_EQ(end->queued(), 11u);
  EXPECT_TRUE(host.sent.empty());
  confirm();
  EXPECT_EQ(host.sent, "early query");
  EXPECT_EQ(end->queued(), 0u);
  end->send(bytes(" more"));
  EXPECT_EQ(host.sent, "early query more");
}

TEST_F(MemoryEndTest, WritesReachTheCallbackAndAreCreditedAtOnce) {
  make();
  confirm();
  server_sends("answer one");
  server_sends(", two");
  EXPECT_EQ(received, "answer one, two");
  EXPECT_EQ(host.consumed, 15u);
}

TEST_F(MemoryEndTest, ExtendedDataIsDiscardedButCredited) {
  make();
  confirm();
  host.handler->on_data(bytes("stderr"), 1);
  host.handler->on_data_flush();
  EXPECT_EQ(received, "");
  EXPECT_EQ(host.consumed, 6u);
}

TEST_F(MemoryEndTest, AFullChannelStopsDeliveryUntilWritable) {
  make();
  confirm();
  host.capacity = 4;
  end->send(bytes("abcdef"));
  EXPECT_EQ(host.sent, "abcd");
  EXPECT_FALSE(end->reading());
  end->send(bytes("gh"));
  end->finish();
  EXPECT_EQ(end->queued(), 2u);  // waits: the pump is not reading
  EXPECT_EQ(host.eofs, 0);
  host.capacity = SIZE_MAX;
  host.handler->on_writable();
  EXPECT_EQ(host.sent, "abcdefgh");
  EXPECT_EQ(host.eofs, 1);  // EOF only after the queued bytes
}

TEST_F(MemoryEndTest, FinishSendsEofAfterTheQueuedBytes) {
  make();
  end->send(bytes("x"));
  end->finish();
  end->send(bytes("ignored"));
  EXPECT_EQ(host.eofs, 0);
  confirm();
  EXPECT_EQ(host.sent, "x");
  EXPECT_EQ(host.eofs, 1);
}

TEST_F(MemoryEndTest, ServerEofAndCloseReachTheCodeAndThePumpFinishes) {
  make();
  confirm();
  server_sends("bye");
  host.handler->on_eof();
  EXPECT_EQ(eofs, 1);
  EXPECT_EQ(closed, 0);
  host.handler->on_closed();
  EXPECT_EQ(closed, 1);
  EXPECT_EQ(end, nullptr);
  EXPECT_EQ(finished, 1);
  EXPECT_EQ(received, "bye");
}

TEST_F(MemoryEndTest, AFailedOpenClosesTheEnd) {
  make();
  end->send(bytes("never sent"));
  host.handler->on_open_failed(2, "connect failed");
  EXPECT_EQ(closed, 1);
  EXPECT_EQ(finished, 1);
  EXPECT_TRUE(host.sent.empty());
}

TEST_F(MemoryEndTest, AbortFromInsideTheDataCallbackIsSafe) {
  make();
  confirm();
  MemoryEnd::Callbacks callbacks;
  // Replace the end's callbacks through a fresh pump whose callback aborts.
  pump->abort();
  host.handler->on_closed();
  ASSERT_EQ(finished, 1);

  int aborted = 0;
  callbacks.on_data = [&](ssh::ByteView) {
    ++aborted;
    pump->abort();
  };
  callbacks.on_closed = [this] { end = nullptr; };
  auto e = std::make_unique<MemoryEnd>(std::move(callbacks));
  end = e.get();
  pump = new ChannelPump(host, std::move(e), "memory", [this](ChannelPump* p) {
    ++finished;
    pump = nullptr;
    delete p;
  });
  pump->open("direct-tcpip", bytes("data"));
  confirm();
  server_sends("data that makes the code give up");
  EXPECT_EQ(aborted, 1);
  EXPECT_EQ(end, nullptr);
  EXPECT_GE(host.closes, 1);
  host.handler->on_closed();
  EXPECT_EQ(finished, 2);
}

TEST_F(MemoryEndTest, DetachedEndMakesNoCallbacks) {
  make();
  confirm();
  end->detach();
  server_sends("unheard");
  host.handler->on_eof();
  host.handler->on_closed();
  EXPECT_EQ(received, "");
  EXPECT_EQ(eofs, 0);
  EXPECT_EQ(closed, 0);
  EXPECT_EQ(finished, 1);
}

}  // namespace
}  // namespace gateway
