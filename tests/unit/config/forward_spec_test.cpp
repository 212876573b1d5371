#include "gateway/config/forward_spec.hpp"

#include <gtest/gtest.h>

namespace {

using namespace gateway::config;

ForwardSpec ok(ForwardKind kind, const std::string& text) {
  auto r = parse_forward(kind, text);
  EXPECT_TRUE(r.spec.has_value()) << text << ": " << r.error;
  return r.spec.value_or(ForwardSpec{});
}

std::string err(ForwardKind kind, const std::string& text) {
  auto r = parse_forward(kind, text);
  EXPECT_FALSE(r.spec.has_value()) << text;
  EXPECT_FALSE(r.error.empty()) << text;
  return r.error;
}

TEST(ForwardSpec, LocalPortHostPort) {
  auto s = ok(ForwardKind::local, "8080:intranet:80");
  EXPECT_EQ(s.listen.host, "");
  EXPECT_EQ(s.listen.port, 8080);
  ASSERT_TRUE(s.target);
  EXPECT_EQ(s.target->host, "intranet");
  EXPECT_EQ(s.target->port, 80);
  EXPECT_EQ(to_string(s), "8080:intranet:80");
}

TEST(ForwardSpec, BindAddressForms) {
  auto s = ok(ForwardKind::local, "127.0.0.1:8080:db:5432");
  EXPECT_EQ(s.listen.host, "127.0.0.1");
  EXPECT_EQ(ok(ForwardKind::local, "*:8080:db:5432").listen.host, "*");
  EXPECT_EQ(ok(ForwardKind::local, ":8080:db:5432").listen.host, "*");
  EXPECT_EQ(to_string(s), "127.0.0.1:8080:db:5432");
}

TEST(ForwardSpec, Ipv6Brackets) {
  auto s = ok(ForwardKind::local, "[::1]:8080:[2001:db8::5]:443");
  EXPECT_EQ(s.listen.host, "::1");
  EXPECT_EQ(s.target->host, "2001:db8::5");
  EXPECT_EQ(s.target->port, 443);
  EXPECT_EQ(to_string(s), "[::1]:8080:[2001:db8::5]:443");
  auto d = ok(ForwardKind::dynamic, "[::1]:1080");
  EXPECT_EQ(d.listen.host, "::1");
  EXPECT_EQ(d.listen.port, 1080);
  err(ForwardKind::local, "[::1:8080:h:80");
  err(ForwardKind::local, "[::1]x:8080:h:80");
  err(ForwardKind::local, "::1:8080:h:80");
}

TEST(ForwardSpec, UnixSockets) {
  auto a = ok(ForwardKind::local, "8080:/run/app.sock");
  EXPECT_EQ(a.listen.port, 8080);
  EXPECT_EQ(a.target->socket_path, "/run/app.sock");
  auto b = ok(ForwardKind::local, "localhost:8080:/run/app.sock");
  EXPECT_EQ(b.listen.host, "localhost");
  EXPECT_EQ(b.target->socket_path, "/run/app.sock");
  auto c = ok(ForwardKind::local, "/tmp/local.sock:db:5432");
  EXPECT_EQ(c.listen.socket_path, "/tmp/local.sock");
  EXPECT_EQ(c.target->host, "db");
  auto d = ok(ForwardKind::remote, "/tmp/remote.sock:/tmp/local.sock");
  EXPECT_EQ(d.listen.socket_path, "/tmp/remote.sock");
  EXPECT_EQ(d.target->socket_path, "/tmp/local.sock");
  EXPECT_EQ(to_string(d), "/tmp/remote.sock:/tmp/local.sock");
}

TEST(ForwardSpec, DynamicAndReverseDynamic) {
  auto d = ok(ForwardKind::dynamic, "1080");
  EXPECT_EQ(d.listen.port, 1080);
  EXPECT_FALSE(d.target);
  EXPECT_EQ(ok(ForwardKind::dynamic, "0.0.0.0:1080").listen.host, "0.0.0.0");
  err(ForwardKind::dynamic, "1080:host:80");
  auto r = ok(ForwardKind::remote, "9000");
  EXPECT_FALSE(r.target);
  auto rb = ok(ForwardKind::remote, "*:9000");
  EXPECT_EQ(rb.listen.host, "*");
  EXPECT_FALSE(rb.target);
  err(ForwardKind::local, "8080");
}

TEST(ForwardSpec, Ports) {
  EXPECT_EQ(ok(ForwardKind::remote, "0:localhost:80").listen.port, 0);  // server picks
  EXPECT_NE(err(ForwardKind::local, "0:localhost:80").find("1..65535"), std::string::npos);
  err(ForwardKind::dynamic, "0");
  err(ForwardKind::local, "65536:h:80");
  err(ForwardKind::local, "8080:h:0");
  err(ForwardKind::local, "8080:h:65536");
  err(ForwardKind::local, "80a:h:80");
  err(ForwardKind::local, "-1:h:80");
  err(ForwardKind::local, "99999999999999999999:h:80");
  EXPECT_EQ(ok(ForwardKind::local, "65535:h:65535").listen.port, 65535);
}

TEST(ForwardSpec, Malformed) {
  err(ForwardKind::local, "");
  err(ForwardKind::local, "8080::80");
  err(ForwardKind::local, "a:b:c:d:e");
  err(ForwardKind::local, "a:b:c:d:e:f:g:h");
  err(ForwardKind::local, "8080:h");
  err(ForwardKind::dynamic, "a:b:c");
}

}  // namespace
