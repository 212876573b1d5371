// ssh's rules for what a session runs and whether it gets a terminal, and the -W target.
#include <gtest/gtest.h>
#include <unistd.h>

#include "gateway/session/remote_session.hpp"
#include "gateway/session/stdio_forward.hpp"

namespace gateway::session {
namespace {

using config::RequestTty;

TEST(SessionSettings, CommandWordsJoinAndRemoteCommandIsTheFallback) {
  config::Options o;
  o.remote_command = "uptime";
  EXPECT_EQ(SessionSettings::from(o, {"ls", "-l", "/tmp"}).command, "ls -l /tmp");
  EXPECT_EQ(SessionSettings::from(o, {}).command, "uptime");
  o.session_type = config::SessionType::subsystem;
  EXPECT_TRUE(SessionSettings::from(o, {"sftp"}).subsystem);
}

TEST(SessionSettings, TerminalRules) {
  config::Options o;
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  // A command without -t: no terminal, no escapes.
  auto command = SessionSettings::from(o, {"true"});
  EXPECT_FALSE(command.pty);
  EXPECT_EQ(command.escape_char, -1);
  // -tt: a terminal whatever stdin is, with escapes.
  o.request_tty = RequestTty::force;
  auto forced = SessionSettings::from(o, {"true"});
  EXPECT_TRUE(forced.pty);
  EXPECT_TRUE(forced.pty_forced);
  EXPECT_EQ(forced.escape_char, '~');
  // -t: only when stdin is a terminal (and not -n).
  o.request_tty = RequestTty::yes;
  EXPECT_EQ(SessionSettings::from(o, {"true"}).pty, tty);
  o.stdin_null = true;
  EXPECT_FALSE(SessionSettings::from(o, {"true"}).pty);
  // -T wins over an interactive login.
  o.stdin_null = false;
  o.request_tty = RequestTty::no;
  EXPECT_FALSE(SessionSettings::from(o, {}).pty);
  // EscapeChar none.
  o.request_tty = RequestTty::force;
  o.escape_char = -1;
  EXPECT_EQ(SessionSettings::from(o, {}).escape_char, -1);
}

TEST(SessionSettings, SetEnvAndTerm) {
  config::Options o;
  o.set_env = {"A=1", "TERM=vt100", "B=two words"};
  const auto s = SessionSettings::from(o, {});
  EXPECT_EQ(s.term, "vt100");
  EXPECT_EQ(s.env, (std::vector<std::pair<std::string, std::string>>{{"A", "1"}, {"B", "two words"}}));
}

TEST(StdioForwardTarget, HostPortOrSocketPath) {
  std::string error;
  auto tcp = StdioForward::parse("db.internal:5432", error);
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->host, "db.internal");
  EXPECT_EQ(tcp->port, 5432);
  auto v6 = StdioForward::parse("[::1]:22", error);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  auto path = StdioForward::parse("/run/app.sock", error);
  ASSERT_TRUE(path);
  EXPECT_EQ(path->socket_path, "/run/app.sock");
  EXPECT_FALSE(StdioForward::parse("5432", error)) << "a host is needed";
  EXPECT_EQ(error, "Bad stdio forwarding specification '5432'");
  EXPECT_FALSE(StdioForward::parse("host:99999", error));
}

}  // namespace
}  // namespace gateway::session
