#include "gateway/config/resolver.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "ssh/known_hosts/host_pattern.hpp"
#include "unit/config/fake_file_system.hpp"

namespace {

using namespace gateway::config;

const Environment kEnv{"/home/al", "al"};

using configtest::FakeFs;

ResolveResult run(const FakeFs& fs, const std::string& host, std::vector<Override> overrides = {},
                  std::optional<std::string> config_file = std::nullopt) {
  return resolve(ResolveInput{host, std::move(overrides), std::move(config_file)}, kEnv, fs.fs());
}

Options ok(const ResolveResult& r) {
  if (!r.errors.empty()) ADD_FAILURE() << r.errors[0].to_string();
  return r.options.value_or(Options{});
}

TEST(Resolver, DefaultsLikeSsh) {
  FakeFs fs;
  auto r = run(fs, "example.org");
  const Options o = ok(r);
  EXPECT_EQ(o.host, "example.org");
  EXPECT_EQ(o.hostname, "example.org");
  EXPECT_EQ(o.port, 22);
  EXPECT_EQ(o.user, "al");
  EXPECT_EQ(o.identity_files,
            (std::vector<std::string>{"/home/al/.ssh/id_rsa", "/home/al/.ssh/id_ecdsa", "/home/al/.ssh/id_ed25519"}));
  EXPECT_TRUE(o.identity_files_defaulted);
  EXPECT_EQ(o.user_known_hosts_files,
            (std::vector<std::string>{"/home/al/.ssh/known_hosts", "/home/al/.ssh/known_hosts2"}));
  EXPECT_EQ(o.global_known_hosts_files,
            (std::vector<std::string>{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}));
  EXPECT_EQ(o.strict_host_key_checking, StrictHostKeyChecking::ask);
  // Unlike ssh, dead-peer detection is on by default.
  EXPECT_EQ(o.server_alive_interval.count(), 15);
  EXPECT_EQ(o.server_alive_count_max, 3u);
  EXPECT_EQ(o.pool_size, 2u);
  EXPECT_TRUE(o.reconnect);
  EXPECT_EQ(o.reconnect_max_delay.count(), 60);
  EXPECT_EQ(o.transport_wait_timeout.count(), 15);
  EXPECT_EQ(o.max_clients, 16384u);
  EXPECT_EQ(o.max_pending_opens, 256u);
  EXPECT_EQ(o.drain_timeout.count(), 10);
  EXPECT_EQ(o.log_target, Options::LogTarget::standard_error);
  EXPECT_EQ(o.syslog_facility, "USER");
  EXPECT_FALSE(o.connect_timeout.has_value());
  EXPECT_EQ(o.number_of_password_prompts, 3u);
  EXPECT_EQ(o.identity_agent, "SSH_AUTH_SOCK");
}

TEST(Resolver, HostBlocksFirstValueWinsUserBeforeSystem) {
  FakeFs fs;
  fs.files["/home/al/.ssh/config"] =
      "Host web*\n"
      "  HostName %h.internal\n"
      "  Port 2201\n"
      "Host *\n"
      "  Port 2299\n"
      "  User fallback\n";
  fs.files["/etc/ssh/ssh_config"] = "Host *\n  User system\n  ServerAliveInterval 40\n  Port 1\n";
  const Options o = ok(run(fs, "web1"));
  EXPECT_EQ(o.hostname, "web1.internal");
  EXPECT_EQ(o.port, 2201);
  EXPECT_EQ(o.user, "fallback");
  EXPECT_EQ(o.server_alive_interval.count(), 40);
  const Options other = ok(run(fs, "db"));
  EXPECT_EQ(other.hostname, "db");
  EXPECT_EQ(other.port, 2299);
}

TEST(Resolver, HostNegationAndMultiplePatterns) {
  FakeFs fs;
  fs.files["/home/al/.ssh/config"] =
      "Host *.corp !bastion.corp\n  User corpuser\n"
      "Host alpha,beta gamma\n  Port 2022\n";
  EXPECT_EQ(ok(run(fs, "a.corp")).user, "corpuser");
  EXPECT_EQ(ok(run(fs, "bastion.corp")).user, "al");
  EXPECT_EQ(ok(run(fs, "beta")).port, 2022);
  EXPECT_EQ(ok(run(fs, "gamma")).port, 2022);
  EXPECT_EQ(ok(run(fs, "delta")).port, 22);
}

TEST(Resolver, CommandLineOverridesWin) {
  FakeFs fs;
  fs.files["/home/al/.ssh/config"] = "Host *\n  Port 2201\n  User cfg\n  IdentityFile ~/.ssh/cfg_key\n";
  auto r = run(fs, "h", {{"Port", {"2400"}, "-p"}, {"User", {"cli"}, "-l"}, {"IdentityFile", {"/k1"}, "-i"}});
  const Options o = ok(r);
  EXPECT_EQ(o.port, 2400);
  EXPECT_EQ(o.user, "cli");
  // IdentityFile accumulates: command line first, then the config's.
  EXPECT_EQ(o.identity_files, (std::vector<std::string>{"/k1", "/home/al/.ssh/cfg_key"}));
  EXPECT_FALSE(o.identity_files_defaulted);
}

TEST(Resolver, HeadlessDirectivesFromFileAndCommandLine) {
  FakeFs fs;
  fs.files["/home/al/.ssh/config"] =
      "Host gw\n"
      "  PoolSize 4\n"
      "  LogTarget stderr\n"
      "  SyslogFacility LOCAL3\n"
      "  ServerAliveInterval 0\n"
      "  MaxClients 100\n"
      "Host *\n"
      "  PoolSize 8\n"
      "  DrainTimeout 1m\n";
  // -y arrives as a LogTarget override: the command line wins over the file.
  const Options o = ok(run(fs, "gw", {{"LogTarget", {"syslog"}, "-y"}}));
  EXPECT_EQ(o.pool_size, 4u);
  EXPECT_EQ(o.log_target, Options::LogTarget::syslog);
  EXPECT_EQ(o.syslog_facility, "LOCAL3");
  EXPECT_EQ(o.server_alive_interval.count(), 0);
  EXPECT_EQ(o.max_clients, 100u);
  EXPECT_EQ(o.drain_timeout.count(), 60);
  const Options other = ok(run(fs, "elsewhere"));
  EXPECT_EQ(other.pool_size, 8u);
  EXPECT_EQ(other.server_alive_interval.count(), 15);

  fs.files["/home/al/.ssh/config"] = "Host *\n  ReconnectMaxDelay 0\n";
  auto bad = run(fs, "gw");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(
      bad.errors[0].to_string(),
      "/home/al/.ssh/config:2: ReconnectMaxDelay: expected a time interval greater than 0 (e.g. 30, 5m), got '0'");
}

TEST(Resolver, OverrideErrorsNameTheOption) {
  FakeFs fs;
  auto r = run(fs, "h", {{"Port", {"http"}, "-p http"}, {"Host", {"x"}, "-o Host=x"}});
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_FALSE(r.options.has_value());
  EXPECT_EQ(r.errors[0].to_string(), "command line (-p http): Port: expected a port number 1..65535, got 'http'");
  EXPECT_NE(r.errors[1].to_string().find("cannot be given on the command line"), std::string::npos);
}

TEST(Resolver, ExplicitConfigFileReplacesDefaults) {
  FakeFs fs;
  fs.files["/home/al/.ssh/config"] = "Port 1111\n";
  fs.files["/etc/ssh/ssh_config"] = "Port 2222\n";
  fs.files["/tmp/my.conf"] = "User mine\n";
  const Options o = ok(run(fs, "h", {}, "/tmp/my.conf"));
  EXPECT_EQ(o.user, "mine");
  EXPECT_EQ(o.port, 22);
  EXPECT_EQ(ok(run(fs, "h", {}, "none")).port, 22);
  EXPECT_EQ(ok(run(fs, "h", {}, "/dev/null")).port, 22);
  auto missing = run(fs, "h", {}, "/nope");
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0].to_string(), "/nope: cannot read configuration file");
  // Missing default files are fine.
  FakeFs empty;
  EXPECT_TRUE(run(empty, "h").errors.empty());
}

TEST(Resolver, IncludeRelativeGlobAndConditional) {
  FakeFs fs;
  fs.files["/home/al/.ssh/config"] =
      "Include conf.d/*.conf\n"
      "Host special\n"
      "  Include /etc/special.conf\n"
      "Host *\n"
      "  Port 9\n";
  fs.files["/home/al/.ssh/conf.d/a.conf"] = "Host a\n  User from_a\n";
  fs.files["/home/al/.ssh/conf.d/b.conf"] = "Host *\n  Compression no\n  User from_b\n";
  fs.files["/etc/special.conf"] = "Port 4444\n";
  EXPECT_EQ(ok(run(fs, "a")).user, "from_a");
  EXPECT_EQ(ok(run(fs, "zzz")).user, "from_b");
  EXPECT_EQ(ok(run(fs, "special")).port, 4444);
  EXPECT_EQ(ok(run(fs, "other")).port, 9);
  // System config: relative includes are relative to /etc/ssh.
  FakeFs sys;
  sys.files["/etc/ssh/ssh_config"] = "Include ssh_config.d/*.conf\n";
  sys.files["/etc/ssh/ssh_config.d/x.conf"] = "User sysinc\n";
  EXPECT_EQ(ok(run(sys, "h")).user, "sysinc");
}

TEST(Resolver, IncludeStateRestoredAfterIncludedFile) {
  FakeFs fs;
  // The included file's Host line must not leak into the including file.
  fs.files["/home/al/.ssh/config"] = "Host h\n  Include inc\n  User after_include\n";
  fs.files["/home/al/.ssh/inc"] = "Host nomatch\n  Port 1\n";
  const Options o = ok(run(fs, "h"));
  EXPECT_EQ(o.user, "after_include");
  EXPECT_EQ(o.port, 22);
}

TEST(Resolver, IncludeLoopIsBounded) {
  FakeFs fs;
  fs.files["/home/al/.ssh/config"] = "Include config\n";
  auto r = run(fs, "h");
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].to_string().find("nested more than 16 levels"), std::string::npos);
  EXPECT_NE(r.errors[0].to_string().find("/home/al/.ssh/config:1:"), std::string::npos);
  // Two includes per file would be 2^16 reads within the depth limit: the file count stops it.
  FakeFs wide;
  wide.files["/home/al/.ssh/config"] = "Include config\nInclude config\n";
  auto w = run(wide, "h");
  ASSERT_EQ(w.errors.size(), 1u);
  EXPECT_NE(w.errors[0].message.find("nested more than 16 levels"), std::string::npos);
  // Many includes per file hit the file-count limit before the depth limit.
  FakeFs wider;
  std::string many;
  for (int i = 0; i < 300; ++i) many += "Include leaf\n";
  wider.files["/home/al/.ssh/config"] = many;
  wider.files["/home/al/.ssh/leaf"] = "User leaf\n";
  auto m = run(wider, "h");
  ASSERT_EQ(m.errors.size(), 1u);
  EXPECT_EQ(m.errors[0].to_string(), "/home/al/.ssh/config:257: Include: more than 256 files included");
}

TEST(Resolver, ErrorsCarryFileAndLine) {
  FakeFs fs;
  fs.files["/home/al/.ssh/config"] = "Host *\n  Port 22\n\n  Bogus yes\n  User \"oops\n";
  fs.files["/home/al/.ssh/inc.conf"] = "Port x\n";
  fs.files["/etc/ssh/ssh_config"] = "Include /home/al/.ssh/inc.conf\n";
  auto r = run(fs, "h");
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].to_string().substr(0, 24), "/home/al/.ssh/config:4: ");
  EXPECT_EQ(r.errors[1].to_string(), "/home/al/.ssh/config:5: unterminated quoted argument");
  EXPECT_EQ(r.errors[2].to_string(), "/home/al/.ssh/inc.conf:1: Port: expected a port number 1..65535, got 'x'");
}

TEST(Resolver, Match) {
  FakeFs fs;
  fs.files["/home/al/.ssh/config"] =
      "Host short\n  HostName long.example.com\n"
      "Match host *.example.com\n  User matched\n"
      "Match originalhost short\n  Port 2020\n"
      "Match all\n  ConnectTimeout 7\n";
  const Options o = ok(run(fs, "short"));
  EXPECT_EQ(o.user, "matched");
  EXPECT_EQ(o.port, 2020);
  ASSERT_TRUE(o.connect_timeout);
  EXPECT_EQ(o.connect_timeout->count(), 7);

  FakeFs bad;
  bad.files["/home/al/.ssh/config"] = "Match bogus x\n  User x\n";
  auto r = run(bad, "h");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].to_string().find("/home/al/.ssh/config:1: Match: unsupported criterion 'bogus'"),
            std::string::npos)
      << r.errors[0].to_string();
}

TEST(Resolver, TokenAndTildeExpansion) {
  FakeFs fs;
  fs.files["/home/al/.ssh/config"] =
      "Host h\n"
      "  HostName real.%h\n"
      "  User bob\n"
      "  Port 2222\n"
      "  IdentityFile ~/.ssh/%r@%h-%p_%u_%n%%\n"
      "  IdentityFile %d/k\n"
      "  UserKnownHostsFile ~/kh1 /abs/kh2\n"
      "  GlobalKnownHostsFile none\n"
      "  IdentityAgent ~/agent.sock\n"
      "  CertificateFile ~/c1\n"
      "  CertificateFile %d/c2-%r\n";
  const Options o = ok(run(fs, "h"));
  EXPECT_EQ(o.hostname, "real.h");
  EXPECT_EQ(o.identity_files, (std::vector<std::string>{"/home/al/.ssh/bob@real.h-2222_al_h%", "/home/al/k"}));
  EXPECT_EQ(o.user_known_hosts_files, (std::vector<std::string>{"/home/al/kh1", "/abs/kh2"}));
  EXPECT_TRUE(o.global_known_hosts_files.empty());
  EXPECT_EQ(o.identity_agent, "/home/al/agent.sock");
  EXPECT_EQ(o.certificate_files, (std::vector<std::string>{"/home/al/c1", "/home/al/c2-bob"}));

  FakeFs bad;
  bad.files["/home/al/.ssh/config"] = "IdentityFile ~/x%z\nHostName %r\nUserKnownHostsFile ~other/kh\n";
  auto r = run(bad, "h");
  ASSERT_EQ(r.errors.size(), 3u);
  std::string all;
  for (const auto& e : r.errors) all += e.to_string() + "\n";
  EXPECT_NE(all.find("/home/al/.ssh/config:1: IdentityFile: unknown or unsupported token '%z'"), std::string::npos)
      << all;
  EXPECT_NE(all.find("/home/al/.ssh/config:2: HostName: unknown or unsupported token '%r'"), std::string::npos) << all;
  EXPECT_NE(all.find("/home/al/.ssh/config:3: UserKnownHostsFile: '~user' paths are not supported"), std::string::npos)
      << all;
}

TEST(Resolver, ControlPathTokens) {
  // The expected %C is what OpenSSH 9.2's `ssh -G` prints for local host "vm", example.org, port
  // 2222, user bob: the same socket name for sshplex and for the stock ssh that rides it.
  Environment env{"/home/al", "al", "vm.example.net", "1000"};
  FakeFs fs;
  fs.files["/home/al/.ssh/config"] =
      "Host h\n"
      "  HostName example.org\n"
      "  User bob\n"
      "  Port 2222\n"
      "  ControlPath ~/.ssh/cm-%C-%l-%L-%i-%r@%h:%p\n";
  auto r = resolve(ResolveInput{"h", {}, std::nullopt}, env, fs.fs());
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].to_string();
  EXPECT_EQ(r.options->control_path, "/home/al/.ssh/cm-" +
                                         connection_hash("vm.example.net", "example.org", "2222", "bob") +
                                         "-vm.example.net-vm-1000-bob@example.org:2222");
  EXPECT_EQ(connection_hash("vm", "example.org", "2222", "bob"), "5e0fccd5989077cc5a4ea705a893470d3b78b976");

  FakeFs off;
  off.files["/home/al/.ssh/config"] = "ControlPath none\nControlPath /later\n";
  EXPECT_EQ(ok(run(off, "h")).control_path, "");
  FakeFs bad;
  bad.files["/home/al/.ssh/config"] = "ControlPath /tmp/%T\n";
  auto e = run(bad, "h");
  ASSERT_EQ(e.errors.size(), 1u);
  EXPECT_NE(e.errors[0].to_string().find("ControlPath: unknown or unsupported token '%T'"), std::string::npos)
      << e.errors[0].to_string();
}

TEST(Resolver, IdentityAgentSpecialValues) {
  FakeFs fs;
  fs.files["/tmp/a"] = "IdentityAgent none\n";
  fs.files["/tmp/b"] = "IdentityAgent $MY_SOCK\n";
  EXPECT_EQ(ok(run(fs, "h", {}, "/tmp/a")).identity_agent, "none");
  EXPECT_EQ(ok(run(fs, "h", {}, "/tmp/b")).identity_agent, "$MY_SOCK");
}

// The real file system helpers: read and glob(3) in a temp dir.
TEST(Resolver, RealFileSystem) {
  char tmpl[] = "/tmp/cfg_test_XXXXXX";
  const char* d = mkdtemp(tmpl);
  ASSERT_NE(d, nullptr);
  const std::string dir = d;
  std::ofstream(dir + "/main") << "Include " << dir << "/inc*\nPort 1234\n";
  std::ofstream(dir + "/inc1") << "User one\n";
  std::ofstream(dir + "/inc2") << "User two\n";
  auto r = resolve(ResolveInput{"h", {}, dir + "/main"}, kEnv, real_file_system());
  std::filesystem::remove_all(dir);
  const Options o = ok(r);
  EXPECT_EQ(o.port, 1234);
  EXPECT_EQ(o.user, "one");
  const Environment env = current_environment();
  EXPECT_FALSE(env.home.empty());
  EXPECT_FALSE(env.local_user.empty());
}

}  // namespace

namespace {

// The tokens each keyword takes, as ssh_config(5) TOKENS lists them: IdentityFile has %j and %k,
// the known_hosts files %k but not %j, ProxyCommand only %h %n %p %r.
TEST(Resolver, TokensPerKeywordAsSsh) {
  FakeFs fs;
  fs.files["/home/al/.ssh/config"] =
      "Host x\n"
      "  HostKeyAlias alias\n"
      "  ProxyJump bastion\n"
      "  IdentityFile ~/.ssh/%k-%j-%r\n"
      "  UserKnownHostsFile ~/.ssh/kh-%k\n"
      "  RemoteCommand echo %k %L\n";
  const Options o = ok(run(fs, "x"));
  EXPECT_EQ(o.identity_files, std::vector<std::string>{"/home/al/.ssh/alias-bastion-" + o.user});
  EXPECT_EQ(o.user_known_hosts_files, std::vector<std::string>{"/home/al/.ssh/kh-alias"});
  EXPECT_EQ(o.remote_command.rfind("echo alias ", 0), 0u) << o.remote_command;

  FakeFs bad;
  bad.files["/home/al/.ssh/config"] = "UserKnownHostsFile ~/.ssh/kh-%j\n";
  auto r = run(bad, "x");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].to_string().find("UserKnownHostsFile"), std::string::npos) << r.errors[0].to_string();
  bad.files["/home/al/.ssh/config"] = "ProxyCommand nc %h %p %C\n";
  r = run(bad, "x");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].to_string().find("ProxyCommand"), std::string::npos) << r.errors[0].to_string();
}

}  // namespace
