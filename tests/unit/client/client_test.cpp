// ssh::Client before and around the transport handshake. Authentication and channels through a
// real server are covered by tests/integration/client_sshd_test.cpp; the layers themselves by
// tests/unit/auth and tests/unit/connection.
#include "ssh/client/client.hpp"

#include <gtest/gtest.h>

#include <string>

#include "ssh/connection/channel_types.hpp"
#include "ssh/connection/session_requests.hpp"

namespace ssh {
namespace {

using namespace std::chrono_literals;
namespace ct = ssh::connection::channel_type;

ClientConfig config() {
  ClientConfig c;
  c.user = "alice";
  c.server_alive_interval = 15s;
  return c;
}

std::vector<Event> drain(Client& c) {
  std::vector<Event> out;
  while (auto e = c.poll_event()) out.push_back(std::move(*e));
  return out;
}

TEST(Client, StartsWithVersionLine) {
  Client c(config(), TimePoint{});
  ASSERT_TRUE(c.has_transmit());
  const Bytes out = c.take_transmit();
  const std::string text(out.begin(), out.end());
  EXPECT_EQ(text.rfind("SSH-2.0-", 0), 0u) << text;
  EXPECT_FALSE(c.is_closed());
  EXPECT_FALSE(c.is_authenticated());
}

TEST(Client, ChannelCommandsNeedAuthentication) {
  Client c(config(), TimePoint{});
  EXPECT_FALSE(c.open_channel(ct::kSession, {}));
  EXPECT_FALSE(c.open_channel(ct::kDirectTcpip, ct::direct_tcpip("h", 1, "o", 2)));
  EXPECT_FALSE(c.open_channel(ct::kDirectStreamlocal, ct::direct_streamlocal("/s")));
  EXPECT_EQ(c.global_request("x", {}, true), 0u);
  EXPECT_EQ(c.send(0, as_bytes("x")), 0u);
  EXPECT_EQ(c.send_capacity(0), 0u);
  c.consume(0, 10);
  c.send_eof(0);
  c.close_channel(0);
  EXPECT_FALSE(c.channel_request(0, "exec", ssh::connection::session_request::exec("true"), true));
  EXPECT_EQ(c.open_channel_count(), 0u);
  // Auth commands before the service is accepted send nothing either.
  c.take_transmit();
  c.auth_none();
  c.auth_password("pw");
  c.auth_keyboard_interactive();
  EXPECT_FALSE(c.has_transmit());
  EXPECT_TRUE(drain(c).empty());
}

TEST(Client, DisconnectRaisesOneEventThenEverythingIsANoOp) {
  Client c(config(), TimePoint{});
  c.disconnect(11, "bye");
  auto events = drain(c);
  ASSERT_EQ(events.size(), 1u);
  auto* d = std::get_if<event::Disconnected>(&events[0]);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->reason, 11u);
  EXPECT_FALSE(d->by_peer);
  EXPECT_TRUE(c.is_closed());
  EXPECT_FALSE(c.next_deadline());
  c.disconnect(11, "again");
  c.handle_bytes(as_bytes("SSH-2.0-OpenSSH_9.2\r\n"));
  c.handle_timeout(TimePoint{} + 1h);
  c.auth_none();
  EXPECT_FALSE(c.open_channel(ct::kSession, {}));
  EXPECT_TRUE(drain(c).empty());
}

TEST(Client, GarbageFromServerDisconnects) {
  Client c(config(), TimePoint{});
  std::string junk = "SSH-2.0-test\r\n";
  junk += std::string(64, '\xff');
  c.handle_bytes(as_bytes(junk));
  c.handle_bytes(as_bytes(std::string(64, '\xff')));
  auto events = drain(c);
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(std::holds_alternative<event::Disconnected>(events.back()));
  EXPECT_TRUE(c.is_closed());
}

TEST(Client, HandshakeTimeoutComesFromTransport) {
  ClientConfig cfg = config();
  cfg.transport.handshake_timeout = 5000ms;
  Client c(cfg, TimePoint{});
  auto deadline = c.next_deadline();
  ASSERT_TRUE(deadline);
  EXPECT_LE(*deadline, TimePoint{} + 5000ms);
  c.handle_timeout(TimePoint{} + 6s);
  auto events = drain(c);
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(std::holds_alternative<event::Disconnected>(events.back()));
}

TEST(Client, AllocatedPortFromTcpipForwardReply) {
  EXPECT_EQ(Client::allocated_port(Bytes{0, 0, 0x9c, 0x40}), 40000u);
  EXPECT_EQ(Client::allocated_port(Bytes{0, 0, 0xff, 0xff}), 65535u);
  EXPECT_FALSE(Client::allocated_port({}));
  EXPECT_FALSE(Client::allocated_port(Bytes{0, 0, 0x9c}));
  EXPECT_FALSE(Client::allocated_port(Bytes{0, 0, 0x9c, 0x40, 0}));
  EXPECT_FALSE(Client::allocated_port(Bytes{0, 0, 0, 0}));
  EXPECT_FALSE(Client::allocated_port(Bytes{0, 1, 0, 0}));
}

TEST(Client, RemoteForwardingNeedsAuthentication) {
  Client c(config(), TimePoint{});
  c.take_transmit();
  EXPECT_EQ(c.request_tcpip_forward("localhost", 0), 0u);
  EXPECT_EQ(c.cancel_tcpip_forward("localhost", 80), 0u);
  EXPECT_EQ(c.request_streamlocal_forward("/tmp/s"), 0u);
  EXPECT_EQ(c.cancel_streamlocal_forward("/tmp/s"), 0u);
  c.accept_channel(0);
  c.reject_channel(0, 1, "no");
  EXPECT_FALSE(c.has_transmit());
  EXPECT_TRUE(drain(c).empty());
}

}  // namespace
}  // namespace ssh
