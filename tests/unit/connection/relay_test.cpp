// Relayed channels (a mux proxy client's own channels carried on our connection): the open goes out
// with the client's window and max packet, server messages come back whole, the client's messages
// go out with the server's id, and the id is released only after both CLOSEs (or an OPEN_FAILURE).
#include <gtest/gtest.h>

#include "ssh/connection/connection.hpp"
#include "ssh/connection/message_numbers.hpp"
#include "unit/connection/connection_harness.hpp"

namespace ssh::connection {
namespace {

using namespace test_support;

Bytes relayed_of(const ConnectionEvent& e) {
  const auto* r = std::get_if<cevent::Relayed>(&e);
  return r != nullptr ? r->payload : Bytes{};
}

TEST(ConnectionRelay, OpenCarriesTheClientsWindowAndMessagesPassWhole) {
  Harness h;
  const auto id = h.c.open_relayed(ct::kSession, 2 * 1024 * 1024, 32768, {});
  ASSERT_TRUE(id);
  wire::Writer open(msg::kChannelOpen);
  open.string(ct::kSession).u32(*id).u32(2 * 1024 * 1024).u32(32768);
  EXPECT_EQ(h.sent(), std::vector<Bytes>{open.take()});
  EXPECT_EQ(h.c.open_channel_count(), 1u);

  // The confirmation comes back whole, for the relay to rewrite; no Opened event.
  const Bytes confirm = confirmation(*id, 77, 1 << 20, 16384);
  h.ok(confirm);
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(relayed_of(ev[0]), confirm);

  // Data and requests from the server: whole, no window bookkeeping of ours.
  const Bytes data = data_msg(*id, 100000);
  h.ok(data);
  h.ok(channel_request(*id, "exit-status", false));
  ev = h.events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(relayed_of(ev[0]), data);
  EXPECT_TRUE(h.sent().empty()) << "a relayed channel's window is the client's business";

  // The client's messages go out with the server's id as recipient.
  Bytes adjust = window_adjust(12345, 100000);
  ASSERT_TRUE(h.c.send_relayed(*id, adjust));
  EXPECT_EQ(h.sent(), std::vector<Bytes>{window_adjust(77, 100000)});
  EXPECT_TRUE(h.c.send_relayed(*id, data_msg(999, 10)));
  EXPECT_EQ(h.sent(), std::vector<Bytes>{data_msg(77, 10)});
  // Not a channel message the client may send through us.
  EXPECT_FALSE(h.c.send_relayed(*id, channel_msg(msg::kChannelOpenConfirmation, 1)));
  EXPECT_FALSE(h.c.send_relayed(*id, Bytes{msg::kChannelEof}));
  EXPECT_TRUE(h.sent().empty());
}

TEST(ConnectionRelay, IdIsReleasedAfterBothCloses) {
  for (bool server_first : {true, false}) {
    Harness h;
    const auto id = h.c.open_relayed(ct::kSession, 1 << 20, 32768, {});
    ASSERT_TRUE(id);
    h.sent();
    h.ok(confirmation(*id, 5, 1 << 20, 32768));
    h.events();
    if (server_first) {
      h.ok(channel_msg(msg::kChannelClose, *id));
      auto ev = h.events();
      ASSERT_EQ(ev.size(), 1u);
      EXPECT_NE(std::get_if<cevent::Relayed>(&ev[0]), nullptr);
      EXPECT_NE(h.c.channel(*id), nullptr) << "released before our side closed";
      ASSERT_TRUE(h.c.send_relayed(*id, channel_msg(msg::kChannelClose, 0)));
    } else {
      ASSERT_TRUE(h.c.send_relayed(*id, channel_msg(msg::kChannelClose, 0)));
      EXPECT_TRUE(h.events().empty());
      // Nothing more after our CLOSE.
      EXPECT_FALSE(h.c.send_relayed(*id, data_msg(0, 1)));
      h.ok(channel_msg(msg::kChannelClose, *id));
    }
    EXPECT_EQ(h.sent(), std::vector<Bytes>{channel_msg(msg::kChannelClose, 5)});
    auto ev = h.events();
    ASSERT_FALSE(ev.empty());
    EXPECT_NE(std::get_if<cevent::Closed>(&ev.back()), nullptr);
    EXPECT_EQ(h.c.channel(*id), nullptr);
    EXPECT_EQ(h.c.open_channel_count(), 0u);
  }
}

TEST(ConnectionRelay, OpenFailureIsPassedOnAndFreesTheId) {
  Harness h;
  const auto id = h.c.open_relayed("direct-tcpip", 1 << 20, 32768, {});
  ASSERT_TRUE(id);
  h.sent();
  const Bytes failure = open_failure(*id, msg::kOpenConnectFailed, "refused");
  h.ok(failure);
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(relayed_of(ev[0]), failure);
  EXPECT_NE(std::get_if<cevent::Closed>(&ev[1]), nullptr);
  EXPECT_EQ(h.c.channel(*id), nullptr);
}

TEST(ConnectionRelay, ServerMistakesAreProtocolErrors) {
  Harness h;
  const auto id = h.c.open_relayed(ct::kSession, 1 << 20, 32768, {});
  ASSERT_TRUE(id);
  // Data before the open was answered.
  EXPECT_FALSE(h.c.handle(data_msg(*id, 1)).ok);
  Harness h2;
  const auto id2 = h2.c.open_relayed(ct::kSession, 1 << 20, 32768, {});
  h2.ok(confirmation(*id2, 5, 1, 1));
  // A second answer to the open.
  EXPECT_FALSE(h2.c.handle(confirmation(*id2, 6, 1, 1)).ok);
  // Our own channels are untouched by the relay path.
  Harness h3;
  const ChannelId own = h3.open();
  h3.ok(data_msg(own, 10));
  auto ev = h3.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_NE(std::get_if<cevent::Data>(&ev[0]), nullptr);
}

}  // namespace
}  // namespace ssh::connection
