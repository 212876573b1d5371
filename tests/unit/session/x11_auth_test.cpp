// X11: DISPLAY parsing and the check of a client's connection setup against the fake cookie.
#include "gateway/session/x11_auth.hpp"

#include <gtest/gtest.h>

namespace gateway::session {
namespace {

TEST(Display, LocalAndRemoteForms) {
  std::string error;
  auto local = parse_display(":0", error);
  ASSERT_TRUE(local);
  EXPECT_TRUE(local->local_socket());
  EXPECT_EQ(local->socket_path(), "/tmp/.X11-unix/X0");
  auto unix_form = parse_display("unix:12.3", error);
  ASSERT_TRUE(unix_form);
  EXPECT_TRUE(unix_form->local_socket());
  EXPECT_EQ(unix_form->number, 12u);
  EXPECT_EQ(unix_form->screen, 3u);
  auto remote = parse_display("localhost:10.0", error);
  ASSERT_TRUE(remote);
  EXPECT_EQ(remote->host, "localhost");
  EXPECT_EQ(remote->number, 10u);
}

TEST(Display, BadOnesAreRefusedWithAReason) {
  std::string error;
  EXPECT_FALSE(parse_display("", error));
  EXPECT_FALSE(parse_display("host", error));
  EXPECT_NE(error.find("Could not find ':'"), std::string::npos);
  EXPECT_FALSE(parse_display(":x", error));
  EXPECT_FALSE(parse_display(":1.", error));
  // It ends up on an xauth command line.
  EXPECT_FALSE(parse_display(":0;rm -rf ~", error));
  EXPECT_NE(error.find("invalid"), std::string::npos);
}

// A setup message: byte order, protocol 11.0, name and data with their padding, then `tail`.
ssh::Bytes setup(char order, std::string_view name, const ssh::Bytes& data, std::string_view tail = {}) {
  ssh::Bytes out = {static_cast<std::uint8_t>(order), 0};
  auto u16 = [&](std::size_t v) {
    if (order == 'B') {
      out.push_back(static_cast<std::uint8_t>(v >> 8));
      out.push_back(static_cast<std::uint8_t>(v));
    } else {
      out.push_back(static_cast<std::uint8_t>(v));
      out.push_back(static_cast<std::uint8_t>(v >> 8));
    }
  };
  u16(11);
  u16(0);
  u16(name.size());
  u16(data.size());
  out.insert(out.end(), {0, 0});
  out.insert(out.end(), name.begin(), name.end());
  while (out.size() % 4 != 0) out.push_back(0);
  out.insert(out.end(), data.begin(), data.end());
  while (out.size() % 4 != 0) out.push_back(0);
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

const ssh::Bytes kFake(16, 0xaa);
const ssh::Bytes kReal(16, 0x55);

TEST(X11SetupCheck, FakeCookieIsReplacedByTheRealOneInEitherByteOrder) {
  for (char order : {'B', 'l'}) {
    X11SetupCheck check("MIT-MAGIC-COOKIE-1", kFake, kReal);
    const ssh::Bytes client = setup(order, "MIT-MAGIC-COOKIE-1", kFake, "first request");
    std::size_t used = 0;
    ASSERT_EQ(check.feed(client, used), X11SetupCheck::Verdict::accepted);
    EXPECT_EQ(used, client.size() - 13) << "the client's first request is not part of the setup";
    EXPECT_EQ(check.rewritten(), setup(order, "MIT-MAGIC-COOKIE-1", kReal));
  }
}

TEST(X11SetupCheck, ArrivesByteByByte) {
  X11SetupCheck check("MIT-MAGIC-COOKIE-1", kFake, kReal);
  const ssh::Bytes client = setup('l', "MIT-MAGIC-COOKIE-1", kFake);
  X11SetupCheck::Verdict v = X11SetupCheck::Verdict::need_more;
  for (std::size_t i = 0; i < client.size(); ++i) {
    std::size_t used = 0;
    v = check.feed(ssh::ByteView(&client[i], 1), used);
    EXPECT_EQ(used, 1u);
    if (i + 1 < client.size()) {
      EXPECT_EQ(v, X11SetupCheck::Verdict::need_more) << i;
    }
  }
  EXPECT_EQ(v, X11SetupCheck::Verdict::accepted);
}

TEST(X11SetupCheck, WrongCookieProtocolOrByteOrderIsRefused) {
  std::size_t used = 0;
  X11SetupCheck wrong_cookie("MIT-MAGIC-COOKIE-1", kFake, kReal);
  EXPECT_EQ(wrong_cookie.feed(setup('B', "MIT-MAGIC-COOKIE-1", kReal), used), X11SetupCheck::Verdict::wrong_cookie);
  X11SetupCheck short_cookie("MIT-MAGIC-COOKIE-1", kFake, kReal);
  EXPECT_EQ(short_cookie.feed(setup('B', "MIT-MAGIC-COOKIE-1", ssh::Bytes(8, 0xaa)), used),
            X11SetupCheck::Verdict::wrong_cookie);
  X11SetupCheck other_protocol("MIT-MAGIC-COOKIE-1", kFake, kReal);
  EXPECT_EQ(other_protocol.feed(setup('B', "XDM-AUTHORIZATION-1", kFake), used),
            X11SetupCheck::Verdict::wrong_protocol);
  X11SetupCheck bad_order("MIT-MAGIC-COOKIE-1", kFake, kReal);
  EXPECT_EQ(bad_order.feed(setup('X', "MIT-MAGIC-COOKIE-1", kFake), used), X11SetupCheck::Verdict::bad_byte_order);
  // A verdict is final.
  EXPECT_EQ(bad_order.feed(setup('B', "MIT-MAGIC-COOKIE-1", kFake), used), X11SetupCheck::Verdict::bad_byte_order);
}

}  // namespace
}  // namespace gateway::session
