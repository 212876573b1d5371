// The typed codecs beside the connection core: what we send encodes as RFC 4254 says, what the
// server sends decodes, and short data is refused rather than misread.
#include <gtest/gtest.h>

#include "ssh/connection/channel_types.hpp"
#include "ssh/connection/session_requests.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::connection {
namespace {

namespace sr = session_request;
namespace ct = channel_type;

TEST(SessionRequests, PtyReqLayout) {
  const Bytes encoded = sr::pty_req({"xterm", {80, 24, 640, 480}, Bytes{53, 0, 0, 0, 1, 0}});
  wire::Writer w;
  w.string(std::string_view("xterm")).u32(80).u32(24).u32(640).u32(480).string(Bytes{53, 0, 0, 0, 1, 0});
  EXPECT_EQ(encoded, w.data());
  const auto back = sr::parse_pty_req(encoded);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->term, "xterm");
  EXPECT_EQ(back->size.rows, 24u);
  EXPECT_FALSE(sr::parse_pty_req(Bytes(encoded.begin(), encoded.end() - 3)));
}

TEST(SessionRequests, RoundTrips) {
  const auto x = sr::parse_x11_req(sr::x11_req({false, "MIT-MAGIC-COOKIE-1", "00ff", 2}));
  ASSERT_TRUE(x);
  EXPECT_EQ(x->auth_protocol, "MIT-MAGIC-COOKIE-1");
  EXPECT_EQ(x->screen, 2u);
  EXPECT_EQ(sr::parse_exit_status(sr::exit_status(42)), 42u);
  const auto s = sr::parse_exit_signal(sr::exit_signal({"KILL", false, "killed", "en"}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->signal, "KILL");
  EXPECT_EQ(s->language, "en");
  EXPECT_FALSE(sr::parse_exit_signal(sr::exit_status(1)));
  wire::Writer env;
  env.string(std::string_view("LANG")).string(std::string_view("C"));
  EXPECT_EQ(sr::env("LANG", "C"), env.data());
  wire::Writer wc;
  wc.u32(100).u32(30).u32(0).u32(0);
  EXPECT_EQ(sr::window_change({100, 30, 0, 0}), wc.data());
}

TEST(ChannelTypes, DirectOpensLayout) {
  wire::Writer tcpip;
  tcpip.string(std::string_view("db")).u32(5432).string(std::string_view("127.0.0.1")).u32(65535);
  EXPECT_EQ(ct::direct_tcpip("db", 5432, "127.0.0.1", 65535), tcpip.data());
  wire::Writer local;
  local.string(std::string_view("/s")).string(std::string_view("")).u32(0);
  EXPECT_EQ(ct::direct_streamlocal("/s"), local.data());
  const auto fs = ct::parse_forwarded_streamlocal(ct::forwarded_streamlocal({"/run/x"}));
  ASSERT_TRUE(fs);
  EXPECT_EQ(fs->socket_path, "/run/x");
}

}  // namespace
}  // namespace ssh::connection
