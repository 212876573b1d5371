// Channel routing in memory: events to each channel's handler, server-opened channels by type to
// their acceptor (a type nobody registered refused cleanly, agent and X11 opens nobody asked for
// refused with ssh's warning), requests answered with the handler's verdict.
#include "gateway/core/channel_router.hpp"

#include <gtest/gtest.h>

#include "ssh/connection/message_numbers.hpp"

namespace gateway {
namespace {

namespace msg = ssh::connection::msg;

struct Answers final : ChannelRouter::Answers {
  void reject_channel(ssh::ChannelId id, std::uint32_t reason, const std::string& why) override {
    rejected.push_back({id, reason, why});
  }
  void reply_request(ssh::ChannelId id, bool ok) override { replies.emplace_back(id, ok); }
  void consume(ssh::ChannelId id, std::size_t n) override { consumed.emplace_back(id, n); }
  struct Rejection {
    ssh::ChannelId id;
    std::uint32_t reason;
    std::string why;
  };
  std::vector<Rejection> rejected;
  std::vector<std::pair<ssh::ChannelId, bool>> replies;
  std::vector<std::pair<ssh::ChannelId, std::size_t>> consumed;
};

struct Handler final : ChannelHandler {
  void on_open_confirmed() override { log.push_back("open"); }
  void on_open_failed(std::uint32_t reason, const std::string&) override {
    log.push_back("failed " + std::to_string(reason));
  }
  void on_data(ssh::Bytes data, std::uint32_t ext) override {
    log.push_back((ext != 0 ? "ext " : "data ") + std::string(data.begin(), data.end()));
  }
  void on_data_flush() override { log.push_back("flush"); }
  void on_writable() override { log.push_back("writable"); }
  void on_eof() override { log.push_back("eof"); }
  bool on_request(const ssh::event::ChannelRequest& r) override {
    log.push_back("request " + r.name);
    return r.name == "exit-status";
  }
  void on_request_result(std::uint32_t seq, bool ok) override {
    log.push_back("result " + std::to_string(seq) + (ok ? " ok" : " refused"));
  }
  void on_closed() override { log.push_back("closed"); }
  std::vector<std::string> log;
};

ssh::Event open_request(ssh::ChannelId id, std::string type) {
  return ssh::event::ChannelOpenRequest{id, std::move(type), {}, 1000, 1000};
}

TEST(ChannelRouter, EventsReachTheirChannelsHandler) {
  Answers answers;
  ChannelRouter router(answers);
  Handler a, b;
  router.set_handler(1, a);
  router.set_handler(2, b);
  std::vector<ssh::Event> events = {ssh::event::ChannelOpened{1},
                                    ssh::event::ChannelData{1, {'x'}, 0},
                                    ssh::event::ChannelData{1, {'y'}, 1},
                                    ssh::event::ChannelData{2, {'z'}, 0},
                                    ssh::event::ChannelWritable{2},
                                    ssh::event::ChannelEof{1},
                                    ssh::event::ChannelRequestResult{2, 3, false}};
  for (auto& e : events) EXPECT_TRUE(router.route(e));
  router.flush_data();
  EXPECT_EQ(a.log, (std::vector<std::string>{"open", "data x", "ext y", "eof", "flush"}));
  EXPECT_EQ(b.log, (std::vector<std::string>{"data z", "writable", "result 3 refused", "flush"}));
  // Flushes once per run: nothing more until data comes again.
  router.flush_data();
  EXPECT_EQ(a.log.size(), 5u);
}

TEST(ChannelRouter, ClosedAndFailedChannelsAreForgottenBeforeTheLastWord) {
  Answers answers;
  ChannelRouter router(answers);
  Handler a, b;
  router.set_handler(1, a);
  router.set_handler(2, b);
  ssh::Event failed = ssh::event::ChannelOpenFailed{1, 2, "refused"};
  ssh::Event closed = ssh::event::ChannelClosed{2};
  router.route(failed);
  router.route(closed);
  EXPECT_EQ(a.log, std::vector<std::string>{"failed 2"});
  EXPECT_EQ(b.log, std::vector<std::string>{"closed"});
  EXPECT_EQ(router.size(), 0u);
  // Data for a channel nobody holds is acknowledged so the window stays usable.
  ssh::Event late = ssh::event::ChannelData{2, ssh::Bytes(10, 'q'), 0};
  router.route(late);
  EXPECT_EQ(answers.consumed, (std::vector<std::pair<ssh::ChannelId, std::size_t>>{{2, 10}}));
}

TEST(ChannelRouter, RequestsAreAnsweredWithTheHandlersVerdict) {
  Answers answers;
  ChannelRouter router(answers);
  Handler a;
  router.set_handler(1, a);
  ssh::Event status = ssh::event::ChannelRequest{1, "exit-status", true, {0, 0, 0, 0}};
  ssh::Event keepalive = ssh::event::ChannelRequest{1, "keepalive@openssh.com", true, {}};
  ssh::Event quiet = ssh::event::ChannelRequest{1, "x-no-reply", false, {}};
  ssh::Event orphan = ssh::event::ChannelRequest{9, "exit-status", true, {}};
  for (auto* e : {&status, &keepalive, &quiet, &orphan}) router.route(*e);
  EXPECT_EQ(answers.replies, (std::vector<std::pair<ssh::ChannelId, bool>>{{1, true}, {1, false}, {9, false}}));
}

TEST(ChannelRouter, ServerOpensGoToTheAcceptorOfTheirType) {
  Answers answers;
  ChannelRouter router(answers);
  std::vector<ssh::ChannelId> forwarded;
  router.register_type("forwarded-tcpip", [&](const ssh::event::ChannelOpenRequest& r) { forwarded.push_back(r.id); });
  auto e1 = open_request(4, "forwarded-tcpip");
  router.route(e1);
  EXPECT_EQ(forwarded, std::vector<ssh::ChannelId>{4});
  EXPECT_TRUE(answers.rejected.empty());
  // A type nobody registered: refused as unknown, never guessed at.
  auto e2 = open_request(5, "session");
  router.route(e2);
  ASSERT_EQ(answers.rejected.size(), 1u);
  EXPECT_EQ(answers.rejected[0].reason, msg::kOpenUnknownChannelType);
  // Unregistered again: refused too.
  router.unregister_type("forwarded-tcpip");
  auto e3 = open_request(6, "forwarded-tcpip");
  router.route(e3);
  EXPECT_EQ(answers.rejected.size(), 2u);
  EXPECT_EQ(forwarded.size(), 1u);
}

TEST(ChannelRouter, AgentAndX11OpensNobodyAskedForAreRefused) {
  // ForwardAgent / ForwardX11 off: the server must not get our agent or display.
  Answers answers;
  ChannelRouter router(answers);
  auto agent = open_request(1, "auth-agent@openssh.com");
  auto x11 = open_request(2, "x11");
  router.route(agent);
  router.route(x11);
  ASSERT_EQ(answers.rejected.size(), 2u);
  for (const auto& r : answers.rejected) {
    EXPECT_EQ(r.reason, msg::kOpenAdministrativelyProhibited);
    EXPECT_EQ(r.why, "open failed");
  }
}

TEST(ChannelRouter, AnAcceptorMayUnregisterItselfWhileItRuns) {
  Answers answers;
  ChannelRouter router(answers);
  int calls = 0;
  router.register_type("x11", [&](const ssh::event::ChannelOpenRequest&) {
    ++calls;
    router.unregister_type("x11");
  });
  auto e = open_request(1, "x11");
  router.route(e);
  EXPECT_EQ(calls, 1);
}

TEST(ChannelRouter, CloseAllTellsEveryHandlerAndDropsAcceptors) {
  Answers answers;
  ChannelRouter router(answers);
  Handler a, b;
  router.set_handler(1, a);
  router.set_handler(2, b);
  router.want_writable(1);
  int accepted = 0;
  router.register_type("forwarded-tcpip", [&](const ssh::event::ChannelOpenRequest&) { ++accepted; });
  router.close_all();
  EXPECT_EQ(a.log, std::vector<std::string>{"closed"});
  EXPECT_EQ(b.log, std::vector<std::string>{"closed"});
  router.wake_writable();
  EXPECT_EQ(a.log.size(), 1u) << "nobody left to wake";
  auto e = open_request(3, "forwarded-tcpip");
  router.route(e);
  EXPECT_EQ(accepted, 0);
  EXPECT_EQ(answers.rejected.size(), 1u);
}

TEST(ChannelRouter, TransportEventsAreNotItsBusiness) {
  Answers answers;
  ChannelRouter router(answers);
  ssh::Event e = ssh::event::AuthBanner{"hello"};
  EXPECT_FALSE(router.route(e));
}

}  // namespace
}  // namespace gateway
