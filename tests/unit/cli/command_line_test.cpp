#include "gateway/cli/command_line.hpp"

#include <gtest/gtest.h>

namespace {

using namespace gateway::cli;
using gateway::config::Override;

ParseResult p(std::vector<std::string> args) {
  return parse(std::span<const std::string>(args));
}

CommandLine ok(std::vector<std::string> args) {
  auto r = p(args);
  EXPECT_TRUE(r.command_line.has_value()) << r.error;
  return r.command_line.value_or(CommandLine{});
}

std::string err(std::vector<std::string> args) {
  auto r = p(args);
  EXPECT_FALSE(r.command_line.has_value());
  return r.error;
}

std::vector<std::pair<std::string, std::string>> pairs(const CommandLine& c) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& o : c.overrides) {
    std::string v;
    for (const auto& a : o.args) v += (v.empty() ? "" : " ") + a;
    out.emplace_back(o.keyword, v);
  }
  return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(CommandLine, HostOnly) {
  auto c = ok({"example.org"});
  EXPECT_EQ(c.host, "example.org");
  EXPECT_TRUE(c.overrides.empty());
  EXPECT_EQ(c.verbosity, 0);
  EXPECT_FALSE(c.no_command);
}

TEST(CommandLine, EveryFlagMapsToItsKeyword) {
  auto c = ok({"-p",
               "2222",
               "-l",
               "bob",
               "-i",
               "/k1",
               "-i/k2",
               "-L",
               "8080:web:80",
               "-R",
               "9000",
               "-D",
               "1080",
               "-J",
               "jump",
               "-F",
               "/cfg",
               "-o",
               "ServerAliveInterval=30",
               "-oCompression no",
               "host"});
  EXPECT_EQ(pairs(c), (Pairs{{"Port", "2222"},
                             {"User", "bob"},
                             {"IdentityFile", "/k1"},
                             {"IdentityFile", "/k2"},
                             {"LocalForward", "8080:web:80"},
                             {"RemoteForward", "9000"},
                             {"DynamicForward", "1080"},
                             {"ProxyJump", "jump"},
                             {"ServerAliveInterval", "30"},
                             {"Compression", "no"}}));
  EXPECT_EQ(c.config_file, "/cfg");
  EXPECT_EQ(c.host, "host");
  EXPECT_EQ(c.overrides[0].origin, "-p 2222");
}

TEST(CommandLine, CombinedFlagsAndAttachedArguments) {
  auto c = ok({"-vvNq", "-p22", "h"});
  EXPECT_EQ(c.verbosity, 2);
  EXPECT_TRUE(c.no_command);
  EXPECT_TRUE(c.quiet);
  // -q came last: LogLevel QUIET, first so it wins over the config.
  EXPECT_EQ(pairs(c), (Pairs{{"LogLevel", "QUIET"}, {"SessionType", "none"}, {"Port", "22"}}));
  auto v = ok({"-q", "-vvv", "-v", "h"});
  EXPECT_EQ(pairs(v), (Pairs{{"LogLevel", "DEBUG3"}}));
  auto one = ok({"-Nv", "h"});
  EXPECT_EQ(pairs(one), (Pairs{{"LogLevel", "DEBUG1"}, {"SessionType", "none"}}));
  // Flags followed by an option taking the rest of the word as its argument.
  auto d = ok({"-ND1080", "h"});
  EXPECT_TRUE(d.no_command);
  EXPECT_EQ(pairs(d), (Pairs{{"SessionType", "none"}, {"DynamicForward", "1080"}}));
}

TEST(CommandLine, SessionFlagsAreTheirOptions) {
  EXPECT_EQ(pairs(ok({"-t", "h"})), (Pairs{{"RequestTTY", "yes"}}));
  EXPECT_EQ(pairs(ok({"-tt", "h"})), (Pairs{{"RequestTTY", "force"}}));
  // The last of -t / -T wins, as in ssh.
  EXPECT_EQ(pairs(ok({"-t", "-T", "h"})), (Pairs{{"RequestTTY", "no"}}));
  EXPECT_EQ(pairs(ok({"-T", "-t", "h"})), (Pairs{{"RequestTTY", "yes"}}));
  EXPECT_EQ(pairs(ok({"-n", "h"})), (Pairs{{"StdinNull", "yes"}}));
  EXPECT_EQ(pairs(ok({"-f", "h", "cmd"})), (Pairs{{"ForkAfterAuthentication", "yes"}, {"StdinNull", "yes"}}));
  EXPECT_EQ(pairs(ok({"-A", "h"})), (Pairs{{"ForwardAgent", "yes"}}));
  EXPECT_EQ(pairs(ok({"-A", "-a", "h"})), (Pairs{{"ForwardAgent", "no"}}));
  EXPECT_EQ(pairs(ok({"-X", "h"})), (Pairs{{"ForwardX11", "yes"}}));
  EXPECT_EQ(pairs(ok({"-Y", "h"})), (Pairs{{"ForwardX11", "yes"}, {"ForwardX11Trusted", "yes"}}));
  EXPECT_EQ(pairs(ok({"-Xx", "h"})), (Pairs{{"ForwardX11", "no"}}));
  EXPECT_EQ(pairs(ok({"-s", "h", "sftp"})), (Pairs{{"SessionType", "subsystem"}}));
  EXPECT_EQ(pairs(ok({"-g", "h"})), (Pairs{{"GatewayPorts", "yes"}}));
  EXPECT_EQ(pairs(ok({"-e", "^]", "h"})), (Pairs{{"EscapeChar", "^]"}}));
  auto w = ok({"-W", "db:5432", "jump"});
  EXPECT_EQ(w.stdio_forward, "db:5432");
  EXPECT_EQ(pairs(w), (Pairs{{"SessionType", "none"}, {"RequestTTY", "no"}}));
  auto cmd = ok({"-t", "h", "ls", "-l", "/tmp"});
  EXPECT_EQ(cmd.command, (std::vector<std::string>{"ls", "-l", "/tmp"}));
}

TEST(CommandLine, ControlMasterFlags) {
  EXPECT_EQ(pairs(ok({"-M", "h"})), (Pairs{{"ControlMaster", "yes"}}));
  EXPECT_EQ(pairs(ok({"-MM", "h"})), (Pairs{{"ControlMaster", "ask"}}));
  EXPECT_EQ(pairs(ok({"-S", "/tmp/c-%C", "h"})), (Pairs{{"ControlPath", "/tmp/c-%C"}}));
  auto check = ok({"-S", "s", "-O", "check", "h"});
  EXPECT_EQ(check.control_command, "check");
  EXPECT_EQ(ok({"-Ostatus=json", "h"}).control_command, "status=json");
  EXPECT_FALSE(ok({"h"}).control_command.has_value());
  EXPECT_NE(err({"-O", "bogus", "h"}).find("Invalid multiplex command 'bogus'"), std::string::npos);
  EXPECT_NE(err({"-S"}).find("requires an argument"), std::string::npos);
}

TEST(CommandLine, QuietMapsToLogLevelQuiet) {
  auto c = ok({"-q", "h"});
  EXPECT_TRUE(c.quiet);
  EXPECT_EQ(pairs(c), (Pairs{{"LogLevel", "QUIET"}}));
  EXPECT_EQ(c.overrides[0].origin, "-q");
}

TEST(CommandLine, SyslogAndLogFile) {
  auto y = ok({"-y", "-p", "2", "h"});
  EXPECT_TRUE(y.syslog);
  EXPECT_FALSE(y.log_file.has_value());
  // A front override, so it beats LogTarget from any configuration file.
  EXPECT_EQ(pairs(y), (Pairs{{"LogTarget", "syslog"}, {"Port", "2"}}));
  EXPECT_EQ(y.overrides[0].origin, "-y");

  auto e = ok({"-E", "/var/log/a.log", "-qyE/var/log/b.log", "h"});
  EXPECT_EQ(e.log_file, "/var/log/b.log");  // the last -E wins, as in ssh
  EXPECT_EQ(pairs(e), (Pairs{{"LogLevel", "QUIET"}, {"LogTarget", "syslog"}}));
  auto f = ok({"-vE", "log.txt", "h"});
  EXPECT_EQ(f.log_file, "log.txt");
  EXPECT_FALSE(f.syslog);
  EXPECT_EQ(pairs(f), (Pairs{{"LogLevel", "DEBUG1"}}));

  EXPECT_EQ(err({"-E", "", "h"}), "option '-E' needs a file name");
  EXPECT_EQ(err({"h", "-E"}), "option '-E' requires an argument");
}

TEST(CommandLine, ApplyLogFile) {
  gateway::config::Options o;
  apply_log_file(ok({"h"}), o);
  EXPECT_EQ(o.log_target, gateway::config::Options::LogTarget::standard_error);
  EXPECT_TRUE(o.log_file.empty());

  // -E beats a configuration file's LogTarget (the command line wins)...
  o.log_target = gateway::config::Options::LogTarget::syslog;
  apply_log_file(ok({"-E", "/tmp/x.log", "h"}), o);
  EXPECT_EQ(o.log_target, gateway::config::Options::LogTarget::file);
  EXPECT_EQ(o.log_file, "/tmp/x.log");

  // ... but -y beats -E, as in ssh.
  gateway::config::Options p2;
  p2.log_target = gateway::config::Options::LogTarget::syslog;  // what -y resolves to
  apply_log_file(ok({"-y", "-E", "/tmp/x.log", "h"}), p2);
  EXPECT_EQ(p2.log_target, gateway::config::Options::LogTarget::syslog);
  EXPECT_TRUE(p2.log_file.empty());
}

TEST(CommandLine, DestinationForms) {
  auto a = ok({"alice@host"});
  EXPECT_EQ(a.host, "host");
  EXPECT_EQ(pairs(a), (Pairs{{"User", "alice"}}));
  auto b = ok({"ssh://bob@example.org:2200"});
  EXPECT_EQ(b.host, "example.org");
  EXPECT_EQ(pairs(b), (Pairs{{"User", "bob"}, {"Port", "2200"}}));
  auto c = ok({"ssh://[2001:db8::1]:2222/"});
  EXPECT_EQ(c.host, "2001:db8::1");
  EXPECT_EQ(pairs(c), (Pairs{{"Port", "2222"}}));
  auto d = ok({"ssh://plain"});
  EXPECT_EQ(d.host, "plain");
  EXPECT_TRUE(d.overrides.empty());
  auto e = ok({"me@corp@host"});  // the last '@' separates, as ssh does
  EXPECT_EQ(e.host, "host");
  EXPECT_EQ(pairs(e), (Pairs{{"User", "me@corp"}}));
  // -l and -p beat user@host and ssh://...:port: they come first and first wins.
  auto f = ok({"-l", "flag", "-p", "1", "ssh://uri@h:2"});
  EXPECT_EQ(pairs(f), (Pairs{{"User", "flag"}, {"Port", "1"}, {"User", "uri"}, {"Port", "2"}}));
}

TEST(CommandLine, DoubleDashAndCommand) {
  auto c = ok({"-N", "--", "-weird-host"});
  EXPECT_EQ(c.host, "-weird-host");
  auto d = ok({"host", "-v", "ls", "-l"});
  EXPECT_EQ(d.verbosity, 1);  // options may follow the destination
  EXPECT_EQ(d.command, (std::vector<std::string>{"ls", "-l"}));
}

TEST(CommandLine, HelpVersionDemoNeedNoHost) {
  EXPECT_TRUE(ok({"-h"}).help);
  EXPECT_TRUE(ok({"--help"}).help);
  EXPECT_TRUE(ok({"-V"}).version);
  auto d = ok({"--demo"});
  EXPECT_TRUE(d.demo);
  EXPECT_TRUE(d.host.empty());
}

TEST(CommandLine, Errors) {
  EXPECT_EQ(err({}), "missing destination host");
  EXPECT_EQ(err({"-N"}), "missing destination host");
  EXPECT_EQ(err({"-Z", "h"}), "unknown option '-Z'");
  EXPECT_EQ(err({"-vZ", "h"}), "unknown option '-Z'");
  EXPECT_EQ(err({"-W", "a:1", "-W", "b:2", "h"}), "stdio forward already specified");
  EXPECT_EQ(err({"--frobnicate", "h"}), "unknown option '--frobnicate'");
  EXPECT_EQ(err({"h", "-p"}), "option '-p' requires an argument");
  EXPECT_EQ(err({"-L"}), "option '-L' requires an argument");
  EXPECT_EQ(err({"-p", "", "h"}), "option '-p' needs a non-empty argument");
  EXPECT_EQ(err({"-F", "", "h"}), "option '-F' needs a file name");
  EXPECT_NE(err({"-o", "=x", "h"}).find("option '-o =x'"), std::string::npos);
  EXPECT_NE(err({"-o", "User \"x", "h"}).find("unterminated"), std::string::npos);
  EXPECT_NE(err({"@host"}).find("empty user name"), std::string::npos);
  EXPECT_NE(err({"user@"}).find("missing host name"), std::string::npos);
  EXPECT_NE(err({"ssh://h:"}).find("missing port"), std::string::npos);
  EXPECT_NE(err({"ssh://h/path"}).find("must not contain a path"), std::string::npos);
  EXPECT_NE(err({"ssh://[::1"}).find("unterminated"), std::string::npos);
}

TEST(CommandLine, ArgvOverloadAndUsage) {
  const char* argv[] = {"sshplex", "-N", "-D", "1080", "user@gw"};
  auto r = parse(5, argv);
  ASSERT_TRUE(r.command_line);
  EXPECT_EQ(r.command_line->host, "gw");
  const std::string u = usage();
  for (const char* flag :
       {"-v", "-q", "-y", "-E", "-N", "-F", "-o", "-p", "-l", "-i", "-L", "-R", "-D", "-J", "-V", "-h", "--demo"}) {
    EXPECT_NE(u.find(flag), std::string::npos) << flag;
  }
  EXPECT_EQ(u.rfind("usage: sshplex ", 0), 0u);
}

TEST(CommandLine, VpnRoutesEverythingOrTheNetworksGiven) {
  EXPECT_EQ(pairs(ok({"--vpn", "h"})), (Pairs{{"Vpn", "yes"}}));
  EXPECT_EQ(ok({"--vpn", "h"}).host, "h");
  EXPECT_EQ(pairs(ok({"--vpn", "10.0.0.0/8,fd00::/8", "h"})),
            (Pairs{{"Vpn", "yes"}, {"VpnRoute", "10.0.0.0/8,fd00::/8"}}));
  EXPECT_EQ(pairs(ok({"--vpn=192.168.1.7", "h"})), (Pairs{{"Vpn", "yes"}, {"VpnRoute", "192.168.1.7"}}));
  // A bare address after --vpn is the destination, not a network: lists need "/" (or --vpn=).
  auto c = ok({"--vpn", "192.0.2.1"});
  EXPECT_EQ(c.host, "192.0.2.1");
  EXPECT_EQ(pairs(c), (Pairs{{"Vpn", "yes"}}));
  EXPECT_NE(err({"--vpn=", "h"}).find("missing the networks"), std::string::npos);
  EXPECT_NE(err({"--vpnx", "h"}).find("unknown option '--vpnx'"), std::string::npos);
}

TEST(CommandLine, VpnCleanupNeedsNoDestination) {
  EXPECT_TRUE(ok({"--vpn-cleanup"}).vpn_cleanup);
  auto c = ok({"--vpn-cleanup", "gw"});
  EXPECT_TRUE(c.vpn_cleanup);
  EXPECT_EQ(c.host, "gw");
}

}  // namespace
