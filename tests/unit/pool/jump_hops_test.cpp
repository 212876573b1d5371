#include "gateway/pool/jump_hops.hpp"

#include <gtest/gtest.h>

#include <map>

#include "gateway/config/resolver.hpp"

namespace {

using gateway::JumpHost;
using gateway::parse_proxy_jump;
using namespace gateway::config;

const Environment kEnv{"/home/al", "al"};

std::vector<JumpHost> parse_ok(const std::string& value) {
  std::string error;
  auto hops = parse_proxy_jump(value, error);
  EXPECT_TRUE(hops.has_value()) << value << ": " << error;
  EXPECT_TRUE(error.empty());
  return hops.value_or(std::vector<JumpHost>{});
}

std::string parse_error(const std::string& value) {
  std::string error;
  auto hops = parse_proxy_jump(value, error);
  EXPECT_FALSE(hops.has_value()) << value << " was accepted";
  return error;
}

TEST(ParseProxyJump, NoneAndEmptyMeanDirect) {
  EXPECT_TRUE(parse_ok("").empty());
  EXPECT_TRUE(parse_ok("none").empty());
  EXPECT_TRUE(parse_ok("NONE").empty());
}

TEST(ParseProxyJump, SingleHostForms) {
  auto h = parse_ok("bastion");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].host, "bastion");
  EXPECT_EQ(h[0].user, "");
  EXPECT_FALSE(h[0].port.has_value());

  h = parse_ok("ops@bastion.example.com:2222");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].user, "ops");
  EXPECT_EQ(h[0].host, "bastion.example.com");
  EXPECT_EQ(h[0].port, 2222);
  EXPECT_EQ(h[0].describe(), "ops@bastion.example.com:2222");

  // The last '@' ends the user name.
  h = parse_ok("me@corp@gw");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].user, "me@corp");
  EXPECT_EQ(h[0].host, "gw");
}

TEST(ParseProxyJump, Ipv6AndUris) {
  auto h = parse_ok("[::1]:2200,root@[fe80::1],2001:db8::7");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].host, "::1");
  EXPECT_EQ(h[0].port, 2200);
  EXPECT_EQ(h[0].describe(), "[::1]:2200");
  EXPECT_EQ(h[1].user, "root");
  EXPECT_EQ(h[1].host, "fe80::1");
  EXPECT_FALSE(h[1].port.has_value());
  EXPECT_EQ(h[2].host, "2001:db8::7");
  EXPECT_FALSE(h[2].port.has_value());

  h = parse_ok("ssh://u@a:22,SSH://b/");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].user, "u");
  EXPECT_EQ(h[0].host, "a");
  EXPECT_EQ(h[0].port, 22);
  EXPECT_EQ(h[1].host, "b");
}

TEST(ParseProxyJump, ChainKeepsOrder) {
  auto h = parse_ok("a,b:2,c@d");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].host, "a");
  EXPECT_EQ(h[1].host, "b");
  EXPECT_EQ(h[1].port, 2);
  EXPECT_EQ(h[2].user, "c");
  EXPECT_EQ(h[2].host, "d");
}

TEST(ParseProxyJump, MalformedValuesAreRefusedWithTheReason) {
  EXPECT_NE(parse_error("a,,b").find("empty jump host"), std::string::npos);
  EXPECT_NE(parse_error("a,").find("empty jump host"), std::string::npos);
  EXPECT_NE(parse_error(",a").find("empty jump host"), std::string::npos);
  EXPECT_NE(parse_error("host:0").find("invalid port \"0\""), std::string::npos);
  EXPECT_NE(parse_error("host:65536").find("invalid port"), std::string::npos);
  EXPECT_NE(parse_error("host:22x").find("invalid port"), std::string::npos);
  EXPECT_NE(parse_error("host:").find("invalid port \"\""), std::string::npos);
  EXPECT_NE(parse_error("@host").find("empty user name"), std::string::npos);
  EXPECT_NE(parse_error("user@").find("missing host name"), std::string::npos);
  EXPECT_NE(parse_error(":22").find("missing host name"), std::string::npos);
  EXPECT_NE(parse_error("[::1").find("missing ']'"), std::string::npos);
  EXPECT_NE(parse_error("[::1]x").find("after ']'"), std::string::npos);
  EXPECT_NE(parse_error("-oProxyCommand=x").find("invalid host name"), std::string::npos);
  EXPECT_NE(parse_error("bad host").find("invalid host name"), std::string::npos);
  EXPECT_NE(parse_error("ssh://a/path").find("invalid host name"), std::string::npos);
  // The message quotes the whole value and the bad element.
  const std::string e = parse_error("good,bad:x");
  EXPECT_NE(e.find("ProxyJump \"good,bad:x\""), std::string::npos) << e;
  EXPECT_NE(e.find("jump host \"bad:x\""), std::string::npos) << e;
}

TEST(ParseProxyJump, TooManyHops) {
  std::string value = "h";
  for (std::size_t i = 0; i < gateway::kMaxJumpHops; ++i) value += ",h";
  EXPECT_NE(parse_error(value).find("more than"), std::string::npos);
}

struct FakeFs {
  std::map<std::string, std::string> files;
  FileSystem fs() const {
    FileSystem f;
    f.read_file = [this](const std::string& p) -> std::optional<std::string> {
      auto it = files.find(p);
      if (it == files.end()) return std::nullopt;
      return it->second;
    };
    f.glob = [](const std::string&) { return std::vector<std::string>{}; };
    return f;
  }
};

Options destination(const FakeFs& fs, const std::string& host, std::vector<Override> overrides = {},
                    std::optional<std::string> config_file = std::nullopt) {
  auto r = resolve(ResolveInput{host, std::move(overrides), std::move(config_file)}, kEnv, fs.fs());
  EXPECT_TRUE(r.options.has_value());
  return r.options.value_or(Options{});
}

TEST(JumpHops, DirectWithoutProxyJump) {
  FakeFs fs;
  std::string error;
  auto hops = gateway::jump_hops(destination(fs, "dest"), kEnv, fs.fs(), error);
  ASSERT_TRUE(hops.has_value()) << error;
  EXPECT_TRUE(hops->empty());
}

TEST(JumpHops, EachHopResolvesItsOwnHostBlock) {
  FakeFs fs;
  fs.files["/home/al/.ssh/config"] =
      "Host b1\n  HostName 10.0.0.1\n  Port 2201\n  User ops\n  IdentityFile ~/.ssh/b1_key\n"
      "  StrictHostKeyChecking yes\n"
      "Host b2\n  HostName 10.0.0.2\n  ProxyJump ignored-because-not-first\n"
      "Host dest\n  ProxyJump b1,root@b2:2022\n";
  std::string error;
  auto hops = gateway::jump_hops(destination(fs, "dest"), kEnv, fs.fs(), error);
  ASSERT_TRUE(hops.has_value()) << error;
  ASSERT_EQ(hops->size(), 2u);
  const auto& b1 = *(*hops)[0];
  EXPECT_EQ(b1.target.host, "b1");
  EXPECT_EQ(b1.target.connect_host, "10.0.0.1");
  EXPECT_EQ(b1.target.port, 2201);
  EXPECT_FALSE(b1.target.make_link);  // a hop itself is reached over TCP, or routed by its user
  EXPECT_EQ(b1.client.user, "ops");
  EXPECT_EQ(b1.auth.user, "ops");
  ASSERT_EQ(b1.auth.identity_files.size(), 1u);
  EXPECT_EQ(b1.auth.identity_files[0], "/home/al/.ssh/b1_key");
  EXPECT_EQ(b1.host_keys.strict, gateway::auth::StrictHostKeyChecking::yes);
  // known_hosts is consulted under the address actually connected to, like the destination's.
  EXPECT_EQ(b1.host_keys.host, "10.0.0.1");
  EXPECT_EQ(b1.host_keys.port, 2201);

  const auto& b2 = *(*hops)[1];
  EXPECT_EQ(b2.target.host, "b2");
  EXPECT_EQ(b2.target.connect_host, "10.0.0.2");
  // The spec's user and port win over the Host block and the defaults.
  EXPECT_EQ(b2.target.port, 2022);
  EXPECT_EQ(b2.client.user, "root");
  EXPECT_EQ(b2.auth.user, "root");
}

TEST(JumpHops, CommandLineValueAndFileFromMinusF) {
  FakeFs fs;
  fs.files["/etc/jump.conf"] = "Host gw\n  Port 7022\n";
  fs.files["/home/al/.ssh/config"] = "Host gw\n  Port 1\n";
  std::string error;
  auto dest = destination(fs, "dest", {{"ProxyJump", {"gw"}, "-J"}}, std::string("/etc/jump.conf"));
  auto hops = gateway::jump_hops(dest, kEnv, fs.fs(), error);
  ASSERT_TRUE(hops.has_value()) << error;
  ASSERT_EQ(hops->size(), 1u);
  EXPECT_EQ((*hops)[0]->target.port, 7022);
  // The destination's user does not leak to the hop: the hop has its own default.
  EXPECT_EQ((*hops)[0]->client.user, "al");
}

TEST(JumpHops, FirstHopsOwnProxyJumpLeadsTheChain) {
  FakeFs fs;
  fs.files["/home/al/.ssh/config"] = "Host inner\n  ProxyJump outer:2200\nHost dest\n  ProxyJump inner,last\n";
  std::string error;
  auto hops = gateway::jump_hops(destination(fs, "dest"), kEnv, fs.fs(), error);
  ASSERT_TRUE(hops.has_value()) << error;
  ASSERT_EQ(hops->size(), 3u);
  EXPECT_EQ((*hops)[0]->target.host, "outer");
  EXPECT_EQ((*hops)[0]->target.port, 2200);
  EXPECT_EQ((*hops)[1]->target.host, "inner");
  EXPECT_EQ((*hops)[2]->target.host, "last");
}

TEST(JumpHops, ProxyJumpLoopIsRefused) {
  FakeFs fs;
  fs.files["/home/al/.ssh/config"] = "Host *\n  ProxyJump bastion\n";
  std::string error;
  auto hops = gateway::jump_hops(destination(fs, "dest"), kEnv, fs.fs(), error);
  EXPECT_FALSE(hops.has_value());
  EXPECT_NE(error.find("more than"), std::string::npos) << error;
}

TEST(JumpHops, MalformedValueAndBadHopConfigAreReported) {
  FakeFs fs;
  std::string error;
  auto dest = destination(fs, "dest", {{"ProxyJump", {"a:99999"}, "-J"}});
  EXPECT_FALSE(gateway::jump_hops(dest, kEnv, fs.fs(), error).has_value());
  EXPECT_NE(error.find("invalid port \"99999\""), std::string::npos) << error;

  fs.files["/home/al/.ssh/config"] = "Host gw\n  Ciphers nonsense-cipher\n";
  error.clear();
  dest = destination(fs, "dest", {{"ProxyJump", {"gw"}, "-J"}});
  EXPECT_FALSE(gateway::jump_hops(dest, kEnv, fs.fs(), error).has_value());
  EXPECT_EQ(error.rfind("jump host gw: ", 0), 0u) << error;
}

}  // namespace
