// Match criteria, Tag and the final pass (ssh_config(5) Match, as OpenSSH's readconf.c and ssh.c do
// them). Match exec and Match localnetwork use injected fakes: no shell is run here.
#include <gtest/gtest.h>

#include <map>

#include "gateway/config/resolver.hpp"
#include "ssh/known_hosts/host_pattern.hpp"
#include "unit/config/fake_file_system.hpp"

namespace {

using namespace gateway::config;

const Environment kEnv{"/home/al", "al", "ws.corp.example", "1000"};
constexpr const char* kConfig = "/home/al/.ssh/config";

using configtest::FakeFs;

// A resolution with a recording fake for Match exec (exit status by command, 1 when not listed)
// and fixed interface addresses for Match localnetwork.
struct Fixture {
  FakeFs fs;
  std::map<std::string, int> exit_status;
  std::vector<std::string> ran;
  std::vector<std::string> addresses{"127.0.0.1", "192.168.1.20", "::1", "2001:db8:0:1::5", "fe80::1%eth0"};
  std::vector<Override> overrides;
  std::string command;

  explicit Fixture(std::string config) { fs.files[kConfig] = std::move(config); }

  ResolveResult run(const std::string& host) {
    ResolveInput input{host, overrides, std::nullopt};
    input.command = command;
    input.run_command = [this](const std::string& cmd) {
      ran.push_back(cmd);
      auto it = exit_status.find(cmd);
      return it == exit_status.end() ? 1 : it->second;
    };
    input.local_addresses = [this] { return addresses; };
    return resolve(input, kEnv, fs.fs());
  }

  Options ok(const std::string& host) {
    auto r = run(host);
    if (!r.errors.empty()) ADD_FAILURE() << r.errors[0].to_string();
    return r.options.value_or(Options{});
  }

  // The one error of a resolution, as printed.
  std::string error(const std::string& host) {
    auto r = run(host);
    if (r.errors.size() != 1) {
      ADD_FAILURE() << r.errors.size() << " errors";
      return r.errors.empty() ? std::string() : r.errors[0].to_string();
    }
    return r.errors[0].to_string();
  }
};

// True when "Match <criteria>" applies to `host` (the block sets User matched).
bool matches(Fixture& f, const std::string& criteria, const std::string& host = "h") {
  f.fs.files[kConfig] = "Match " + criteria + "\n  User matched\n";
  return f.ok(host).user == "matched";
}

TEST(ResolverMatch, AllAloneOrAfterOneCriterion) {
  Fixture f("");
  EXPECT_TRUE(matches(f, "all"));
  EXPECT_TRUE(matches(f, "ALL"));
  EXPECT_FALSE(matches(f, "!all"));
  // "all" after canonical / final: they decide (neither matches in the first pass).
  EXPECT_FALSE(matches(f, "canonical all"));
  EXPECT_TRUE(matches(f, "!canonical all"));
  // ssh accepts one criterion of any kind before "all"; so do we.
  EXPECT_TRUE(matches(f, "host h all"));
  EXPECT_FALSE(matches(f, "host x all"));

  f.fs.files[kConfig] = "Match all host h\n";
  EXPECT_EQ(f.error("h"), "/home/al/.ssh/config:1: Match: 'all' cannot be combined with other criteria");
  f.fs.files[kConfig] = "Match canonical final all\n";
  EXPECT_EQ(f.error("h"), "/home/al/.ssh/config:1: Match: 'all' cannot be combined with other criteria");
}

TEST(ResolverMatch, HostAndOriginalHost) {
  Fixture f("");
  EXPECT_TRUE(matches(f, "host web*", "web1"));
  EXPECT_TRUE(matches(f, "Host WEB1", "web1"));  // criterion and host compare case-insensitively
  EXPECT_FALSE(matches(f, "host web*", "db1"));
  EXPECT_TRUE(matches(f, "!host web*", "db1"));
  EXPECT_TRUE(matches(f, "host *.corp,!bastion.corp", "a.corp"));
  EXPECT_FALSE(matches(f, "host *.corp,!bastion.corp", "bastion.corp"));
  EXPECT_TRUE(matches(f, "host=web1", "web1"));
  EXPECT_TRUE(matches(f, "!originalhost=web2", "web1"));

  // host sees HostName so far (with %h), originalhost the destination as typed.
  f.fs.files[kConfig] =
      "Host short\n  HostName %h.example.com\n"
      "Match host short.example.com\n  User by_host\n"
      "Match originalhost short\n  Port 2020\n"
      "Match originalhost short.example.com\n  ConnectTimeout 5\n";
  const Options o = f.ok("short");
  EXPECT_EQ(o.user, "by_host");
  EXPECT_EQ(o.port, 2020);
  EXPECT_FALSE(o.connect_timeout.has_value());
}

TEST(ResolverMatch, UserIsTheRemoteUserSoFar) {
  Fixture f("");
  // Before any User: the local user.
  EXPECT_TRUE(matches(f, "user al"));
  EXPECT_FALSE(matches(f, "user AL"));  // user names compare case-sensitively
  f.fs.files[kConfig] =
      "Match user al\n  Port 1001\n"
      "Host h\n  User root\n"
      "Match user root\n  ConnectTimeout 9\n"
      "Match user=ro?t\n  ServerAliveInterval 3\n";
  Options o = f.ok("h");
  EXPECT_EQ(o.port, 1001);
  ASSERT_TRUE(o.connect_timeout.has_value());
  EXPECT_EQ(o.connect_timeout->count(), 9);
  EXPECT_EQ(o.server_alive_interval.count(), 3);
  // A user from the command line (user@host, -l) is the user from the start.
  f.overrides = {{"User", {"admin"}, "-l"}};
  o = f.ok("h");
  EXPECT_EQ(o.user, "admin");
  EXPECT_EQ(o.port, 22);
  EXPECT_FALSE(o.connect_timeout.has_value());
}

TEST(ResolverMatch, LocalUserAndVersion) {
  Fixture f("");
  EXPECT_TRUE(matches(f, "localuser al,bob"));
  EXPECT_TRUE(matches(f, "localuser=a*"));
  EXPECT_FALSE(matches(f, "localuser root"));
  EXPECT_TRUE(matches(f, "!localuser root"));

  EXPECT_EQ(match_version(), "sshplex_0.1");
  EXPECT_TRUE(matches(f, "version sshplex_*"));
  EXPECT_TRUE(matches(f, "version=sshplex_0.1"));
  EXPECT_FALSE(matches(f, "version OpenSSH_*"));
  EXPECT_TRUE(matches(f, "!version OpenSSH_10*"));
}

TEST(ResolverMatch, TagAndTagged) {
  Fixture f(
      "Host h\n  Tag prod\n"
      "Tag never\n"  // still inside Host h; the first Tag won
      "Match tagged prod\n  User tagged_prod\n"
      "Match tagged=never\n  Port 1\n");
  Options o = f.ok("h");
  EXPECT_EQ(o.user, "tagged_prod");
  EXPECT_EQ(o.port, 22);
  // Another host: the Tag lines are inside Host h, nothing is tagged.
  EXPECT_EQ(f.ok("other").user, "al");

  // -o Tag= (and -P, once the command line has it) comes first and wins.
  f.overrides = {{"Tag", {"never"}, "-o"}};
  o = f.ok("h");
  EXPECT_EQ(o.user, "al");
  EXPECT_EQ(o.port, 1);
  f.overrides.clear();

  // Without a tag only the empty argument matches.
  EXPECT_TRUE(matches(f, "tagged \"\""));
  EXPECT_TRUE(matches(f, "tagged="));
  EXPECT_FALSE(matches(f, "tagged *"));
  EXPECT_TRUE(matches(f, "!tagged *"));
  f.fs.files[kConfig] = "Tag x\nMatch tagged \"\"\n  User matched\n";
  EXPECT_EQ(f.ok("h").user, "al");

  f.fs.files[kConfig] = "Tag\n";
  EXPECT_EQ(f.error("h"), "/home/al/.ssh/config:1: Tag: missing argument");
  f.fs.files[kConfig] = "Host nomatch\n  Tag a b\n";  // checked even where it does not apply
  EXPECT_EQ(f.error("h"), "/home/al/.ssh/config:2: Tag: expected 1 argument, got 2");
}

TEST(ResolverMatch, CommandAndSessionType) {
  Fixture f("");
  // No command: command matches only "", the session is a shell.
  EXPECT_TRUE(matches(f, "command \"\""));
  EXPECT_FALSE(matches(f, "command *"));
  EXPECT_TRUE(matches(f, "sessiontype shell"));
  f.command = "uptime -p";
  EXPECT_TRUE(matches(f, "command uptime*"));
  EXPECT_TRUE(matches(f, "command=\"uptime -p\""));
  EXPECT_FALSE(matches(f, "command \"\""));
  EXPECT_TRUE(matches(f, "sessiontype exec"));
  EXPECT_TRUE(matches(f, "sessiontype shell,exec"));
  // -s and -N arrive as SessionType overrides.
  f.overrides = {{"SessionType", {"subsystem"}, "-s"}};
  EXPECT_TRUE(matches(f, "sessiontype subsystem"));
  f.overrides = {{"SessionType", {"none"}, "-N"}};
  EXPECT_TRUE(matches(f, "sessiontype none"));
  EXPECT_FALSE(matches(f, "sessiontype exec"));
  // readconf.c has no sessiontype= form.
  f.fs.files[kConfig] = "Match sessiontype=none\n";
  EXPECT_EQ(
      f.error("h"),
      "/home/al/.ssh/config:1: Match: unsupported criterion 'sessiontype=none' (supported: all, canonical, final, "
      "exec, localnetwork, host, originalhost, tagged, command, sessiontype, user, localuser, version)");
}

TEST(ResolverMatch, ExecExitStatusAndNegation) {
  Fixture f("");
  f.exit_status["ok"] = 0;
  f.exit_status["three"] = 3;
  EXPECT_TRUE(matches(f, "exec ok"));
  EXPECT_FALSE(matches(f, "exec three"));
  EXPECT_TRUE(matches(f, "!exec three"));
  EXPECT_FALSE(matches(f, "!exec ok"));
  EXPECT_TRUE(matches(f, "exec=ok"));
  EXPECT_EQ(f.ran, (std::vector<std::string>{"ok", "three", "three", "ok", "ok"}));

  // The whole quoted argument is one command.
  f.ran.clear();
  f.exit_status["test -f /etc/x && true"] = 0;
  EXPECT_TRUE(matches(f, "exec \"test -f /etc/x && true\""));
  EXPECT_EQ(f.ran, (std::vector<std::string>{"test -f /etc/x && true"}));
}

TEST(ResolverMatch, ExecTokens) {
  Fixture f(
      "Host h\n  HostName real.example.org\n  User bob\n  Port 2222\n"
      "Match exec \"check %h %n %p %r %u %d %l %L %i %k %%\"\n"
      "Match exec \"hash %C\"\n");
  f.ok("h");
  ASSERT_EQ(f.ran.size(), 2u);
  EXPECT_EQ(f.ran[0], "check real.example.org h 2222 bob al /home/al ws.corp.example ws 1000 real.example.org %");
  EXPECT_EQ(f.ran[1], "hash " + connection_hash("ws.corp.example", "real.example.org", "2222", "bob"));

  // Before any User and Port: the local user and 22; %h is the destination without a HostName.
  f.ran.clear();
  f.fs.files[kConfig] = "Match exec \"%r@%h:%p\"\n";
  f.ok("dest");
  EXPECT_EQ(f.ran, (std::vector<std::string>{"al@dest:22"}));
}

TEST(ResolverMatch, ExecIsNotRunOnceTheLineFailed) {
  Fixture f("");
  f.exit_status["yes"] = 0;
  EXPECT_FALSE(matches(f, "host other exec yes"));
  EXPECT_TRUE(f.ran.empty());
  // A failed exec stops the next one; a later criterion is still checked.
  EXPECT_FALSE(matches(f, "exec no exec yes host h"));
  EXPECT_EQ(f.ran, (std::vector<std::string>{"no"}));
  f.ran.clear();
  EXPECT_TRUE(matches(f, "host h exec yes !exec no"));
  EXPECT_EQ(f.ran, (std::vector<std::string>{"yes", "no"}));
  // The criterion after a failed one is still checked for errors.
  f.fs.files[kConfig] = "Match host other bogus x\n";
  EXPECT_NE(f.error("h").find("Match: unsupported criterion 'bogus'"), std::string::npos);
  // A bad token is an error even when the command would not run.
  f.ran.clear();
  f.fs.files[kConfig] = "Match host other exec \"x %z\"\n";
  EXPECT_EQ(f.error("h"), "/home/al/.ssh/config:1: Match: exec: unknown or unsupported token '%z' in 'x %z'");
  EXPECT_TRUE(f.ran.empty());
}

TEST(ResolverMatch, ExecFailures) {
  Fixture f("Match exec crash\n  User x\n");
  f.exit_status["crash"] = -1;
  EXPECT_EQ(f.error("h"),
            "/home/al/.ssh/config:1: Match: exec \"crash\": could not run it, or it did not exit normally");

  ResolveInput input{"h", {}, std::nullopt};
  input.run_command = nullptr;
  auto r = resolve(input, kEnv, f.fs.fs());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(), "/home/al/.ssh/config:1: Match: exec: running commands is not available here");
}

TEST(ResolverMatch, LocalNetwork) {
  Fixture f("");
  EXPECT_TRUE(matches(f, "localnetwork 192.168.1.0/24"));
  EXPECT_TRUE(matches(f, "localnetwork 10.0.0.0/8,192.168.0.0/16"));
  EXPECT_TRUE(matches(f, "localnetwork=192.168.1.20"));  // no mask: that one address
  EXPECT_TRUE(matches(f, "localnetwork 0.0.0.0/0"));
  EXPECT_FALSE(matches(f, "localnetwork 192.168.2.0/24"));
  EXPECT_FALSE(matches(f, "localnetwork 192.168.1.21"));
  EXPECT_TRUE(matches(f, "!localnetwork 10.0.0.0/8"));
  EXPECT_FALSE(matches(f, "!localnetwork 192.168.1.16/28"));
  // IPv6.
  EXPECT_TRUE(matches(f, "localnetwork 2001:db8::/32"));
  EXPECT_TRUE(matches(f, "localnetwork 2001:DB8:0:1::/64"));
  EXPECT_FALSE(matches(f, "localnetwork 2001:db8:0:2::/64"));
  EXPECT_TRUE(matches(f, "localnetwork ::1"));
  // Families do not mix; a scoped (link-local) address never matches, as in ssh.
  EXPECT_FALSE(matches(f, "localnetwork ::ffff:192.168.1.0/120"));
  EXPECT_FALSE(matches(f, "localnetwork fe80::/10"));

  f.addresses = {"10.1.2.3"};
  EXPECT_TRUE(matches(f, "localnetwork 10.1.0.0/16"));
  EXPECT_FALSE(matches(f, "localnetwork 192.168.1.0/24"));
  f.addresses.clear();
  EXPECT_FALSE(matches(f, "localnetwork 0.0.0.0/0,::/0"));

  const std::pair<const char*, const char*> bad[] = {
      {"192.168.1.1/24", "inconsistent mask length in '192.168.1.1/24'"},
      {"10.0.0.0/33", "inconsistent mask length in '10.0.0.0/33'"},
      {"2001:db8::/129", "inconsistent mask length in '2001:db8::/129'"},
      {"10.0.0.0/8,,", "empty entry in '10.0.0.0/8,,'"},
      {"lan", "invalid network 'lan' (expected address[/bits])"},
      {"10.0.0.0/", "invalid network '10.0.0.0/' (expected address[/bits])"},
      {"10.0.0/8", "invalid network '10.0.0/8' (expected address[/bits])"},
  };
  for (const auto& [list, message] : bad) {
    f.fs.files[kConfig] = std::string("Match localnetwork ") + list + "\n";
    EXPECT_EQ(f.error("h"), std::string("/home/al/.ssh/config:1: Match: localnetwork: ") + message);
  }
}

TEST(ResolverMatch, CanonicalAndFinalDoNotMatchInTheFirstPass) {
  // Match canonical alone asks for no final pass (only Match final does), so it never applies.
  Fixture f("Match canonical\n  User canon\nMatch !canonical\n  Port 2001\n");
  Options o = f.ok("h");
  EXPECT_EQ(o.user, "al");
  EXPECT_EQ(o.port, 2001);
  // A negated final asks for no final pass either (OpenSSH 10.1).
  f.fs.files[kConfig] = "Match !final\n  Port 2002\nMatch canonical\n  User canon\n";
  o = f.ok("h");
  EXPECT_EQ(o.port, 2002);
  EXPECT_EQ(o.user, "al");
}

TEST(ResolverMatch, FinalPassFillsOnlyWhatIsUnset) {
  Fixture f(
      "Match final\n"
      "  User final_user\n"
      "  Port 2200\n"
      "Match canonical\n"
      "  ConnectTimeout 4\n"
      "Host h\n"
      "  Port 1234\n"
      "Match !final\n"
      "  ServerAliveInterval 7\n"
      "Match final\n"
      "  ServerAliveInterval 8\n");
  const Options o = f.ok("h");
  EXPECT_EQ(o.user, "final_user");  // unset after the first pass
  EXPECT_EQ(o.port, 1234);          // the first pass's value stays
  ASSERT_TRUE(o.connect_timeout.has_value());
  EXPECT_EQ(o.connect_timeout->count(), 4);  // canonical matches in the final pass
  EXPECT_EQ(o.server_alive_interval.count(), 7);
  // The command line still comes first.
  f.overrides = {{"User", {"cli"}, "-l"}};
  EXPECT_EQ(f.ok("h").user, "cli");
}

TEST(ResolverMatch, FinalPassMatchesTheHostName) {
  // Before the final pass the host name becomes HostName with %h, lower-cased; Host lines and Match
  // host compare against it then, Match originalhost still against the destination.
  Fixture f(
      "Host short\n  HostName %h.Example.COM\n"
      "Host short.example.com\n  User via_host_line\n"
      "Match final host short.example.com\n  Port 3000\n"
      "Match final originalhost short\n  ConnectTimeout 6\n"
      "Match final\n");
  Options o = f.ok("short");
  EXPECT_EQ(o.user, "via_host_line");
  EXPECT_EQ(o.port, 3000);
  EXPECT_TRUE(o.connect_timeout.has_value());
  // Without a final pass the HostName is never what Host lines see.
  f.fs.files[kConfig] = "Host short\n  HostName %h.example.com\nHost short.example.com\n  User via_host_line\n";
  EXPECT_EQ(f.ok("short").user, "al");
}

TEST(ResolverMatch, FinalPassCannotChangeHostName) {
  // ssh sets its HostName to the host name before the final pass, so one given there has no effect.
  Fixture f("Match final\n  HostName elsewhere.example\n  User u\n");
  const Options o = f.ok("h");
  EXPECT_EQ(o.hostname, "h");
  EXPECT_EQ(o.user, "u");
  EXPECT_FALSE(o.set_keywords.contains("HostName"));
}

TEST(ResolverMatch, FinalPassDoesNotRepeatEntries) {
  Fixture f(
      "IdentityFile ~/.ssh/a\n"
      "LocalForward 8080 db:5432\n"
      "DynamicForward 1080\n"
      "SendEnv LANG\n"
      "GSSAPIAuthentication yes\n"
      "Match final\n"
      "  IdentityFile ~/.ssh/b\n"
      "  RemoteForward 9000 localhost:22\n");
  auto r = f.run("h");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].to_string();
  const Options& o = *r.options;
  EXPECT_EQ(o.identity_files, (std::vector<std::string>{"/home/al/.ssh/a", "/home/al/.ssh/b"}));
  EXPECT_EQ(o.local_forwards.size(), 1u);
  EXPECT_EQ(o.dynamic_forwards.size(), 1u);
  EXPECT_EQ(o.remote_forwards.size(), 1u);
  EXPECT_EQ(o.send_env, (std::vector<std::string>{"LANG"}));
  EXPECT_EQ(r.warnings.size(), 1u);
}

TEST(ResolverMatch, FinalPassRunsExecAgainWithTheHostName) {
  Fixture f("Host a\n  HostName A.Example\nMatch exec \"probe %h %n\"\nMatch final\n");
  f.ok("a");
  EXPECT_EQ(f.ran, (std::vector<std::string>{"probe A.Example a", "probe a.example a"}));
  // Tag set in the first pass is still set in the final one.
  f.fs.files[kConfig] = "Tag t\nMatch final tagged t\n  User tagged\n";
  EXPECT_EQ(f.ok("h").user, "tagged");
}

TEST(ResolverMatch, FirstPassErrorsSkipTheFinalPass) {
  Fixture f("Match final exec probe\nPort x\n");
  auto r = f.run("h");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(), "/home/al/.ssh/config:2: Port: expected a port number 1..65535, got 'x'");
  EXPECT_TRUE(f.ran.empty());  // the first pass skipped it (final does not match), no second pass ran
}

TEST(ResolverMatch, Errors) {
  Fixture f("Match bogus x\n");
  EXPECT_EQ(f.error("h"),
            "/home/al/.ssh/config:1: Match: unsupported criterion 'bogus' (supported: all, canonical, final, exec, "
            "localnetwork, host, originalhost, tagged, command, sessiontype, user, localuser, version)");
  f.fs.files[kConfig] = "Host *\n\nMatch !Bogus=1\n";
  EXPECT_NE(f.error("h").find("/home/al/.ssh/config:3: Match: unsupported criterion 'Bogus=1'"), std::string::npos);
  f.fs.files[kConfig] = "Match host\n";
  EXPECT_EQ(f.error("h"), "/home/al/.ssh/config:1: Match: missing argument for 'host'");
  f.fs.files[kConfig] = "Match !user\n";
  EXPECT_EQ(f.error("h"), "/home/al/.ssh/config:1: Match: missing argument for 'user'");
  f.fs.files[kConfig] = "Match host \"\"\n";
  EXPECT_EQ(f.error("h"), "/home/al/.ssh/config:1: Match: missing argument for 'host'");
  f.fs.files[kConfig] = "Match exec=\n";
  EXPECT_EQ(f.error("h"), "/home/al/.ssh/config:1: Match: missing argument for 'exec'");
  f.fs.files[kConfig] = "Match # nothing\n";
  EXPECT_EQ(f.error("h"),
            "/home/al/.ssh/config:1: Match: expected one or more criteria (all, canonical, final, exec, localnetwork, "
            "host, originalhost, tagged, command, sessiontype, user, localuser, version)");
  // canonical and final take no argument: what follows is the next criterion.
  f.fs.files[kConfig] = "Match final yes\n";
  EXPECT_NE(f.error("h").find("unsupported criterion 'yes'"), std::string::npos);
  // A bad Match line leaves its block inactive.
  f.fs.files[kConfig] = "Match bogus x\n  User x\n";
  auto r = f.run("h");
  EXPECT_FALSE(r.options.has_value());
  // Match stays a file-only directive.
  f.fs.files[kConfig] = "";
  f.overrides = {{"Match", {"all"}, "-o"}};
  EXPECT_EQ(f.error("h"), "command line (-o): Match cannot be given on the command line");
}

}  // namespace
