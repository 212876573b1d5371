#include "gateway/config/keywords.hpp"

#include <gtest/gtest.h>

namespace {

using namespace gateway::config;

// Applies one line as if it were line 7 of "cfg" and returns the resulting builder.
OptionsBuilder apply(const std::string& keyword, std::vector<std::string> args, bool active = true) {
  OptionsBuilder b;
  apply_directive(b, ConfigLine{keyword, std::move(args)}, Origin{"cfg", 7}, active);
  return b;
}

std::string error_of(const std::string& keyword, std::vector<std::string> args) {
  auto b = apply(keyword, std::move(args));
  if (b.errors.size() != 1) return "<" + std::to_string(b.errors.size()) + " errors>";
  return b.errors[0].to_string();
}

// Every keyword rejects bad values with "file:line: Keyword: what was expected".
TEST(Keywords, ValidationErrorsNameFileLineAndExpectation) {
  struct Case {
    std::string keyword;
    std::vector<std::string> args;
    std::string expect;  // substring of the message
  };
  const std::vector<Case> cases = {
      {"HostName", {}, "cfg:7: HostName: missing argument"},
      {"HostName", {"a", "b"}, "cfg:7: HostName: expected 1 argument, got 2"},
      {"Port", {"0"}, "cfg:7: Port: expected a port number 1..65535, got '0'"},
      {"Port", {"65536"}, "1..65535"},
      {"Port", {"ssh"}, "got 'ssh'"},
      {"User", {}, "cfg:7: User: missing argument"},
      {"IdentityFile", {}, "cfg:7: IdentityFile: missing argument"},
      {"CertificateFile", {}, "cfg:7: CertificateFile: missing argument"},
      {"IdentitiesOnly", {"maybe"}, "cfg:7: IdentitiesOnly: expected yes or no, got 'maybe'"},
      {"IdentityAgent", {}, "cfg:7: IdentityAgent: missing argument"},
      {"LocalForward", {"8080"}, "cfg:7: LocalForward: expected"},
      {"LocalForward", {"8080", "host:99999"}, "cfg:7: LocalForward: bad port '99999'"},
      {"LocalForward", {"a", "b", "c"}, "cfg:7: LocalForward: expected [bind_address:]port host:hostport"},
      {"RemoteForward", {"x:y:z:w"}, "cfg:7: RemoteForward: bad port 'y'"},
      {"DynamicForward", {"0"}, "cfg:7: DynamicForward: bad port '0'"},
      {"DynamicForward", {"1080", "x"}, "cfg:7: DynamicForward: expected 1 argument"},
      {"ServerAliveInterval",
       {"soon"},
       "cfg:7: ServerAliveInterval: expected a time interval (e.g. 30, 5m), got 'soon'"},
      {"ServerAliveCountMax", {"-1"}, "cfg:7: ServerAliveCountMax: expected a number 0..1000000, got '-1'"},
      {"StrictHostKeyChecking",
       {"sometimes"},
       "cfg:7: StrictHostKeyChecking: expected yes, no, ask, accept-new or off"},
      {"UserKnownHostsFile", {}, "cfg:7: UserKnownHostsFile: missing argument"},
      {"GlobalKnownHostsFile", {}, "cfg:7: GlobalKnownHostsFile: missing argument"},
      {"HashKnownHosts", {"1"}, "cfg:7: HashKnownHosts: expected yes or no, got '1'"},
      {"Ciphers", {"aes128-ctr,,aes256-ctr"}, "cfg:7: Ciphers: expected a comma-separated algorithm list"},
      {"KexAlgorithms", {"+"}, "cfg:7: KexAlgorithms: expected a comma-separated algorithm list"},
      {"HostKeyAlgorithms", {"a", "b"}, "cfg:7: HostKeyAlgorithms: expected 1 argument, got 2"},
      {"MACs", {"hmac-sha2-256,"}, "cfg:7: MACs: expected a comma-separated algorithm list"},
      {"ConnectTimeout", {"10x"}, "cfg:7: ConnectTimeout: expected a time interval or none, got '10x'"},
      {"ExitOnForwardFailure", {"y"}, "cfg:7: ExitOnForwardFailure: expected yes or no"},
      {"BatchMode", {}, "cfg:7: BatchMode: missing argument"},
      {"PasswordAuthentication", {"on"}, "cfg:7: PasswordAuthentication: expected yes or no"},
      {"KbdInteractiveAuthentication", {"on"}, "cfg:7: KbdInteractiveAuthentication: expected yes or no"},
      {"ChallengeResponseAuthentication", {"on"}, "cfg:7: KbdInteractiveAuthentication: expected yes or no"},
      {"PubkeyAuthentication", {"on"}, "cfg:7: PubkeyAuthentication: expected yes or no"},
      {"PreferredAuthentications", {","}, "cfg:7: PreferredAuthentications: expected a comma-separated list"},
      {"NumberOfPasswordPrompts", {"many"}, "cfg:7: NumberOfPasswordPrompts: expected a number 0..1000"},
      {"RekeyLimit", {"8"}, "cfg:7: RekeyLimit: expected a size of at least 16 bytes"},
      {"RekeyLimit", {"1G", "later"}, "cfg:7: RekeyLimit: expected a time interval, none or default, got 'later'"},
      {"RekeyLimit", {}, "cfg:7: RekeyLimit: expected a size and an optional time"},
      {"LogLevel", {"LOUD"}, "cfg:7: LogLevel: expected QUIET, FATAL, ERROR, INFO, VERBOSE, DEBUG"},
      {"ProxyJump", {}, "cfg:7: ProxyJump: missing argument"},
      {"Compression", {"fast"}, "cfg:7: Compression: expected yes or no"},
      {"GatewayPorts", {"all"}, "cfg:7: GatewayPorts: expected yes or no"},
      {"AddressFamily", {"ipx"}, "cfg:7: AddressFamily: expected any, inet or inet6, got 'ipx'"},
      {"BindAddress", {}, "cfg:7: BindAddress: missing argument"},
      {"ConnectionAttempts", {"0"}, "cfg:7: ConnectionAttempts: expected a number 1..1000, got '0'"},
      {"ControlMaster", {"maybe"}, "cfg:7: ControlMaster: expected yes, no, ask, auto or autoask"},
      {"ControlPath", {}, "cfg:7: ControlPath: missing argument"},
      {"ControlPersist", {"forever"}, "cfg:7: ControlPersist: expected yes, no or a time interval"},
      {"SetEnv", {"NOVALUE"}, "cfg:7: SetEnv: expected NAME=VALUE, got 'NOVALUE'"},
      {"SetEnv", {"=x"}, "cfg:7: SetEnv: expected NAME=VALUE"},
      {"SendEnv", {}, "cfg:7: SendEnv: missing argument"},
      {"TCPKeepAlive", {"often"}, "cfg:7: TCPKeepAlive: expected yes or no"},
      {"UpdateHostKeys", {"always"}, "cfg:7: UpdateHostKeys: expected yes, no or ask"},
      {"IgnoreUnknown", {}, "cfg:7: IgnoreUnknown: missing argument"},
      {"NoSuchKeyword", {"x"}, "cfg:7: unknown keyword 'NoSuchKeyword'"},
      {"PoolSize", {"0"}, "cfg:7: PoolSize: expected a number 1..64, got '0'"},
      {"PoolSize", {"65"}, "cfg:7: PoolSize: expected a number 1..64, got '65'"},
      {"PoolSize", {}, "cfg:7: PoolSize: missing argument"},
      {"PoolMaxSize", {"0"}, "cfg:7: PoolMaxSize: expected a number 1..64, got '0'"},
      {"ChannelsPerConnection", {"-1"}, "cfg:7: ChannelsPerConnection: expected a number 0..1000000, got '-1'"},
      {"PoolIdleTimeout", {"0"}, "cfg:7: PoolIdleTimeout: expected a time interval greater than 0"},
      {"Reconnect", {"always"}, "cfg:7: Reconnect: expected yes or no, got 'always'"},
      {"ReconnectMaxDelay",
       {"0"},
       "cfg:7: ReconnectMaxDelay: expected a time interval greater than 0 (e.g. 30, 5m), got '0'"},
      {"ReconnectMaxDelay", {"1x"}, "cfg:7: ReconnectMaxDelay: expected a time interval greater than 0"},
      {"TransportWaitTimeout", {"-1"}, "cfg:7: TransportWaitTimeout: expected a time interval (e.g. 30, 5m), got '-1'"},
      {"TransportWaitTimeout", {"1", "2"}, "cfg:7: TransportWaitTimeout: expected 1 argument, got 2"},
      {"MaxClients", {"0"}, "cfg:7: MaxClients: expected a number 1..1000000, got '0'"},
      {"MaxClients", {"1000001"}, "cfg:7: MaxClients: expected a number 1..1000000, got '1000001'"},
      {"MaxPendingOpens", {"0"}, "cfg:7: MaxPendingOpens: expected a number 1..1000000, got '0'"},
      {"MaxPendingOpens", {"lots"}, "cfg:7: MaxPendingOpens: expected a number 1..1000000, got 'lots'"},
      {"DrainTimeout", {"10 s"}, "cfg:7: DrainTimeout: expected a time interval (e.g. 30, 5m), got '10 s'"},
      {"DrainTimeout", {}, "cfg:7: DrainTimeout: missing argument"},
      {"MetricsListen", {}, "cfg:7: MetricsListen: missing argument"},
      {"MetricsListen", {"0"}, "cfg:7: MetricsListen: expected [address:]port"},
      {"MetricsListen", {"65536"}, "got '65536'"},
      {"MetricsListen", {"example.org:9100"}, "got 'example.org:9100'"},
      {"MetricsListen", {"::1:9100"}, "got '::1:9100'"},
      {"MetricsListen", {"[127.0.0.1]:9100"}, "got '[127.0.0.1]:9100'"},
      {"MetricsListen", {"127.0.0.1:"}, "got '127.0.0.1:'"},
      {"MetricsListen", {"127.0.0.1:http"}, "got '127.0.0.1:http'"},
      {"MetricsListen", {"9100", "9101"}, "cfg:7: MetricsListen: expected 1 argument, got 2"},
      {"LogTarget", {"file"}, "cfg:7: LogTarget: expected stderr, syslog or journal, got 'file'"},
      {"LogTarget", {}, "cfg:7: LogTarget: missing argument"},
      {"SyslogFacility",
       {"LOCAL8"},
       "cfg:7: SyslogFacility: expected DAEMON, USER, AUTH or LOCAL0..LOCAL7, got 'LOCAL8'"},
      {"SyslogFacility", {"KERN"}, "cfg:7: SyslogFacility: expected DAEMON, USER, AUTH or LOCAL0..LOCAL7, got 'KERN'"},
      {"SyslogFacility", {"LOCAL"}, "got 'LOCAL'"},
      {"ServerAliveInterval", {"-5"}, "cfg:7: ServerAliveInterval: expected a time interval (e.g. 30, 5m), got '-5'"},
      {"Vpn", {"on"}, "cfg:7: Vpn: expected yes or no"},
      {"VpnRoute", {}, "cfg:7: VpnRoute: missing argument"},
      {"VpnRoute",
       {"10.0.0.0/33"},
       "cfg:7: VpnRoute: expected an address or address/prefix (IPv4 or IPv6), got '10.0.0.0/33'"},
      {"VpnRoute", {"10.0.0.0/8,example.org"}, "got 'example.org'"},
      {"VpnRoute", {"10.0.0.0/8,,10.1.0.0/16"}, "got ''"},
      {"VpnRoute", {","}, "got ''"},
      {"VpnExclude", {"fe80::1%eth0"}, "cfg:7: VpnExclude: expected an address or address/prefix"},
      {"VpnDns", {"8.8.8.8:0"}, "cfg:7: VpnDns: expected server, none or a resolver's address[:port]"},
      {"VpnDns", {"dns.example"}, "got 'dns.example'"},
      {"VpnDns", {"[10.0.0.1]:53"}, "got '[10.0.0.1]:53'"},
      {"VpnDevice", {"a/b"}, "cfg:7: VpnDevice: expected an interface name of 1..15 characters"},
      {"VpnDevice", {"sixteen-chars-xx"}, "got 'sixteen-chars-xx'"},
      {"VpnDevice", {"tun%s"}, "got 'tun%s'"},
      {"VpnMtu", {"1279"}, "cfg:7: VpnMtu: expected a number 1280..65535, got '1279'"},
      {"VpnAddress", {"198.18.0.0/30"}, "cfg:7: VpnAddress: expected a prefix of /8../29, got '198.18.0.0/30'"},
      {"VpnAddress", {"fd00::/126"}, "expected a prefix of /16../125"},
      {"VpnAddress", {"10.1.0.0/16", "10.2.0.0/16"}, "two networks of one family"},
      {"VpnAddress", {}, "cfg:7: VpnAddress: expected an IPv4 network and/or an IPv6 network"},
      {"VpnIPv6", {"maybe"}, "cfg:7: VpnIPv6: expected yes or no"},
      {"VpnKillSwitch", {"1"}, "cfg:7: VpnKillSwitch: expected yes or no"},
      {"VpnTable",
       {"254"},
       "cfg:7: VpnTable: expected a routing table number 1..2147483647 other than the kernel's 253..255"},
      {"VpnTable", {"0"}, "got '0'"},
  };
  for (const auto& c : cases) {
    const std::string msg = error_of(c.keyword, c.args);
    EXPECT_NE(msg.find(c.expect), std::string::npos)
        << c.keyword << ": got \"" << msg << "\", expected \"" << c.expect << "\"";
  }
}

// A bare port is loopback (off unless set); an explicit address binds there; the first value wins.
TEST(Keywords, MetricsListen) {
  EXPECT_FALSE(Options{}.metrics_listen);
  struct Case {
    std::string value, address;
    std::uint16_t port;
  };
  for (const auto& c : std::vector<Case>{{"9100", "127.0.0.1", 9100},
                                         {"0.0.0.0:9100", "0.0.0.0", 9100},
                                         {"*:1", "0.0.0.0", 1},
                                         {"localhost:65535", "127.0.0.1", 65535},
                                         {"[::1]:9100", "::1", 9100},
                                         {"[::]:9100", "::", 9100},
                                         {"10.1.2.3:80", "10.1.2.3", 80}}) {
    auto b = apply("MetricsListen", {c.value});
    ASSERT_TRUE(b.errors.empty()) << c.value << ": " << b.errors[0].to_string();
    ASSERT_TRUE(b.options.metrics_listen) << c.value;
    EXPECT_EQ(b.options.metrics_listen->address, c.address) << c.value;
    EXPECT_EQ(b.options.metrics_listen->port, c.port) << c.value;
  }
  OptionsBuilder b;
  apply_directive(b, ConfigLine{"MetricsListen", {"none"}}, Origin{"f", 1}, true);
  apply_directive(b, ConfigLine{"MetricsListen", {"9100"}}, Origin{"f", 2}, true);
  ASSERT_TRUE(b.errors.empty());
  EXPECT_FALSE(b.options.metrics_listen);  // "none" came first and wins
}

// The VPN's directives: defaults, values, and routes / exclusions that add up over lines.
TEST(Keywords, VpnDirectives) {
  const Options defaults;
  EXPECT_FALSE(defaults.vpn);
  EXPECT_TRUE(defaults.vpn_routes.empty());
  EXPECT_EQ(defaults.vpn_dns, "server");
  EXPECT_EQ(defaults.vpn_device, "sshplex%d");
  EXPECT_EQ(defaults.vpn_network4.text(), "198.18.0.0/29");
  EXPECT_EQ(defaults.vpn_table, 29544u);

  OptionsBuilder b;
  std::size_t line = 0;
  const auto add = [&](std::string keyword, std::vector<std::string> args) {
    apply_directive(b, ConfigLine{std::move(keyword), std::move(args)}, Origin{"f", ++line}, true);
  };
  add("Vpn", {"yes"});
  add("VpnRoute", {"10.0.0.0/8,192.168.7.9/24"});
  add("VpnRoute", {"fd00::/8,", "10.0.0.0/8"});
  add("VpnExclude", {"10.1.0.0/16"});
  add("VpnDns", {"[2001:db8::53]:5353"});
  add("VpnDns", {"none"});
  add("VpnDevice", {"corp0"});
  add("VpnMtu", {"1400"});
  add("VpnAddress", {"fd01::/64", "100.64.9.0/24"});
  add("VpnIPv6", {"no"});
  add("VpnKillSwitch", {"yes"});
  add("VpnTable", {"1000"});
  ASSERT_TRUE(b.errors.empty()) << b.errors[0].to_string();
  const Options& o = b.options;
  EXPECT_TRUE(o.vpn);
  ASSERT_EQ(o.vpn_routes.size(), 3u) << "every line adds, a repeated network once";
  EXPECT_EQ(o.vpn_routes[0].text(), "10.0.0.0/8");
  EXPECT_EQ(o.vpn_routes[1].text(), "192.168.7.0/24");
  EXPECT_EQ(o.vpn_routes[2].text(), "fd00::/8");
  ASSERT_EQ(o.vpn_excludes.size(), 1u);
  EXPECT_EQ(o.vpn_dns, "[2001:db8::53]:5353") << "the first value wins";
  EXPECT_EQ(o.vpn_device, "corp0");
  EXPECT_EQ(o.vpn_mtu, 1400u);
  EXPECT_EQ(o.vpn_network4.text(), "100.64.9.0/24");
  EXPECT_EQ(o.vpn_network6.text(), "fd01::/64");
  EXPECT_FALSE(o.vpn_ipv6);
  EXPECT_TRUE(o.vpn_kill_switch);
  EXPECT_EQ(o.vpn_table, 1000u);
}

TEST(Keywords, ValidatesEvenWhenInactive) {
  auto b = apply("Port", {"x"}, false);
  EXPECT_EQ(b.errors.size(), 1u);
  auto good = apply("Port", {"2200"}, false);
  EXPECT_TRUE(good.errors.empty());
  EXPECT_EQ(good.options.port, 22);  // not applied
}

TEST(Keywords, FirstValueWinsAndCaseInsensitive) {
  OptionsBuilder b;
  apply_directive(b, ConfigLine{"port", {"2200"}}, Origin{"f", 1}, true);
  apply_directive(b, ConfigLine{"PORT", {"2300"}}, Origin{"f", 2}, true);
  apply_directive(b, ConfigLine{"StrictHostKeyChecking", {"Accept-New"}}, Origin{"f", 3}, true);
  apply_directive(b, ConfigLine{"StrictHostKeyChecking", {"no"}}, Origin{"f", 4}, true);
  EXPECT_TRUE(b.errors.empty());
  EXPECT_EQ(b.options.port, 2200);
  EXPECT_EQ(b.options.strict_host_key_checking, StrictHostKeyChecking::accept_new);
}

TEST(Keywords, AccumulatingKeywords) {
  OptionsBuilder b;
  apply_directive(b, ConfigLine{"LocalForward", {"8080", "web:80"}}, Origin{"f", 1}, true);
  apply_directive(b, ConfigLine{"LocalForward", {"127.0.0.1:8443", "[::1]:443"}}, Origin{"f", 2}, true);
  apply_directive(b, ConfigLine{"RemoteForward", {"9000"}}, Origin{"f", 3}, true);
  apply_directive(b, ConfigLine{"DynamicForward", {"1080"}}, Origin{"f", 4}, true);
  apply_directive(b, ConfigLine{"IdentityFile", {"~/a"}}, Origin{"f", 5}, true);
  apply_directive(b, ConfigLine{"IdentityFile", {"~/b"}}, Origin{"f", 6}, true);
  apply_directive(b, ConfigLine{"SendEnv", {"LANG", "LC_*"}}, Origin{"f", 7}, true);
  apply_directive(b, ConfigLine{"SendEnv", {"-LC_*", "TZ"}}, Origin{"f", 8}, true);
  ASSERT_TRUE(b.errors.empty());
  ASSERT_EQ(b.options.local_forwards.size(), 2u);
  EXPECT_EQ(b.options.local_forwards[1].target->host, "::1");
  EXPECT_EQ(b.options.remote_forwards.size(), 1u);
  EXPECT_EQ(b.options.dynamic_forwards.size(), 1u);
  EXPECT_EQ(b.identity_files.size(), 2u);
  EXPECT_EQ(b.options.send_env, (std::vector<std::string>{"LANG", "TZ"}));
}

TEST(Keywords, ValuesParsed) {
  OptionsBuilder b;
  auto a = [&](std::string k, std::vector<std::string> v) {
    apply_directive(b, ConfigLine{k, v}, Origin{"f", 1}, true);
  };
  a("RekeyLimit", {"1G", "1h"});
  a("ServerAliveInterval", {"1m30s"});
  a("ServerAliveCountMax", {"5"});
  a("ConnectTimeout", {"none"});
  a("LogLevel", {"debug2"});
  a("Compression", {"yes"});
  a("AddressFamily", {"inet6"});
  a("ProxyJump", {"none"});
  a("PreferredAuthentications", {"publickey,password"});
  a("StrictHostKeyChecking", {"off"});
  a("UpdateHostKeys", {"ask"});
  a("ControlPersist", {"10m"});
  a("Ciphers", {"^aes256-gcm@openssh.com"});
  ASSERT_TRUE(b.errors.empty()) << b.errors[0].to_string();
  EXPECT_EQ(b.options.rekey_limit_bytes, 1ULL << 30);
  EXPECT_EQ(b.options.rekey_limit_time.count(), 3600);
  EXPECT_EQ(b.options.server_alive_interval.count(), 90);
  EXPECT_EQ(b.options.server_alive_count_max, 5u);
  EXPECT_FALSE(b.options.connect_timeout.has_value());
  EXPECT_EQ(b.options.log_level, LogLevel::debug2);
  EXPECT_TRUE(b.options.compression);
  EXPECT_TRUE(b.warnings.empty());
  EXPECT_EQ(b.options.address_family, AddressFamily::inet6);
  EXPECT_EQ(b.options.proxy_jump, "");
  EXPECT_EQ(b.options.preferred_authentications, (std::vector<std::string>{"publickey", "password"}));
  EXPECT_EQ(b.options.strict_host_key_checking, StrictHostKeyChecking::no);
  EXPECT_EQ(b.options.control_persist, "10m");
  EXPECT_EQ(b.options.ciphers, "^aes256-gcm@openssh.com");

  OptionsBuilder d;
  apply_directive(d, ConfigLine{"RekeyLimit", {"default", "none"}}, Origin{"f", 1}, true);
  EXPECT_TRUE(d.errors.empty());
  EXPECT_EQ(d.options.rekey_limit_bytes, 0u);
}

// sshplex's headless directives: defaults, good values, and the first value winning.
TEST(Keywords, HeadlessDirectives) {
  const Options defaults;
  EXPECT_EQ(defaults.pool_size, 2u);
  EXPECT_EQ(defaults.pool_max_size, 16u);
  EXPECT_EQ(defaults.channels_per_connection, 256u);
  EXPECT_EQ(defaults.pool_idle_timeout.count(), 30);
  EXPECT_TRUE(defaults.reconnect);
  EXPECT_EQ(defaults.server_alive_interval.count(), 15);
  EXPECT_EQ(defaults.log_target, Options::LogTarget::standard_error);
  EXPECT_EQ(defaults.syslog_facility, "USER");

  OptionsBuilder b;
  int line = 0;
  auto a = [&](std::string k, std::vector<std::string> v) {
    apply_directive(b, ConfigLine{k, v}, Origin{"f", static_cast<std::size_t>(++line)}, true);
  };
  a("PoolSize", {"64"});
  a("PoolMaxSize", {"8"});
  a("ChannelsPerConnection", {"0"});
  a("PoolIdleTimeout", {"2m"});
  a("Reconnect", {"no"});
  a("ReconnectMaxDelay", {"5m"});
  a("TransportWaitTimeout", {"0"});
  a("MaxClients", {"1000000"});
  a("MaxPendingOpens", {"1"});
  a("DrainTimeout", {"1m30s"});
  a("LogTarget", {"SysLog"});
  a("SyslogFacility", {"local7"});
  a("ServerAliveInterval", {"0"});
  // Second values for each: all ignored.
  a("poolsize", {"3"});
  a("PoolMaxSize", {"9"});
  a("ChannelsPerConnection", {"10"});
  a("PoolIdleTimeout", {"1"});
  a("Reconnect", {"yes"});
  a("ReconnectMaxDelay", {"1"});
  a("TransportWaitTimeout", {"30"});
  a("MaxClients", {"5"});
  a("MaxPendingOpens", {"5"});
  a("DrainTimeout", {"0"});
  a("LogTarget", {"stderr"});
  a("SyslogFacility", {"AUTH"});
  a("ServerAliveInterval", {"30"});
  ASSERT_TRUE(b.errors.empty()) << b.errors[0].to_string();
  EXPECT_EQ(b.options.pool_size, 64u);
  EXPECT_EQ(b.options.pool_max_size, 8u);
  EXPECT_EQ(b.options.channels_per_connection, 0u);
  EXPECT_EQ(b.options.pool_idle_timeout.count(), 120);
  EXPECT_FALSE(b.options.reconnect);
  EXPECT_EQ(b.options.reconnect_max_delay.count(), 300);
  EXPECT_EQ(b.options.transport_wait_timeout.count(), 0);
  EXPECT_EQ(b.options.max_clients, 1000000u);
  EXPECT_EQ(b.options.max_pending_opens, 1u);
  EXPECT_EQ(b.options.drain_timeout.count(), 90);
  EXPECT_EQ(b.options.log_target, Options::LogTarget::syslog);
  EXPECT_EQ(b.options.syslog_facility, "LOCAL7");
  EXPECT_EQ(b.options.server_alive_interval.count(), 0);  // 0 turns dead-peer detection off

  OptionsBuilder other;
  apply_directive(other, ConfigLine{"PoolSize", {"1"}}, Origin{"f", 1}, true);
  apply_directive(other, ConfigLine{"SyslogFacility", {"daemon"}}, Origin{"f", 2}, true);
  apply_directive(other, ConfigLine{"LogTarget", {"stderr"}}, Origin{"f", 3}, true);
  apply_directive(other, ConfigLine{"LogTarget", {"syslog"}}, Origin{"f", 4}, true);
  apply_directive(other, ConfigLine{"ServerAliveInterval", {"2m"}}, Origin{"f", 5}, true);
  ASSERT_TRUE(other.errors.empty());
  EXPECT_EQ(other.options.pool_size, 1u);
  EXPECT_EQ(other.options.syslog_facility, "DAEMON");
  EXPECT_EQ(other.options.log_target, Options::LogTarget::standard_error);
  EXPECT_EQ(other.options.server_alive_interval.count(), 120);

  OptionsBuilder journal;
  apply_directive(journal, ConfigLine{"LogTarget", {"Journal"}}, Origin{"f", 1}, true);
  ASSERT_TRUE(journal.errors.empty());
  EXPECT_EQ(journal.options.log_target, Options::LogTarget::journal);

  // A bad value in a block that does not apply is still an error; a good one is not applied.
  auto inactive = apply("MaxClients", {"10"}, false);
  EXPECT_TRUE(inactive.errors.empty());
  EXPECT_EQ(inactive.options.max_clients, 16384u);
  EXPECT_EQ(apply("PoolSize", {"99"}, false).errors.size(), 1u);
  // An invalid first value does not block a later valid one from being first.
  OptionsBuilder bad_first;
  apply_directive(bad_first, ConfigLine{"PoolSize", {"0"}}, Origin{"f", 1}, true);
  apply_directive(bad_first, ConfigLine{"PoolSize", {"4"}}, Origin{"f", 2}, true);
  EXPECT_EQ(bad_first.errors.size(), 1u);
  EXPECT_EQ(bad_first.options.pool_size, 4u);
  EXPECT_EQ(canonical_keyword("maxpendingopens"), "MaxPendingOpens");
  EXPECT_EQ(canonical_keyword("SYSLOGFACILITY"), "SyslogFacility");
}

TEST(Keywords, IgnoreUnknown) {
  OptionsBuilder b;
  apply_directive(b, ConfigLine{"IgnoreUnknown", {"UseKeychain,Add*"}}, Origin{"f", 1}, true);
  apply_directive(b, ConfigLine{"UseKeychain", {"yes"}}, Origin{"f", 2}, true);
  apply_directive(b, ConfigLine{"AddKeysToAgent", {"yes"}}, Origin{"f", 3}, true);
  apply_directive(b, ConfigLine{"NoSuchKeyword", {"yes"}}, Origin{"f", 4}, true);
  ASSERT_EQ(b.errors.size(), 1u);
  EXPECT_EQ(b.errors[0].line, 4u);
  EXPECT_EQ(canonical_keyword("tcpkeepalive"), "TCPKeepAlive");
  EXPECT_EQ(canonical_keyword("nope"), "");
}

}  // namespace
