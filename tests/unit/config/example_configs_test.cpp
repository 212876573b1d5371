// Every example in conf/ must resolve without errors, for the host its first Host line names, so
// the documentation cannot drift from the parser.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/config/resolver.hpp"

namespace {

using namespace gateway::config;

const std::filesystem::path kConfDir = std::filesystem::path(__FILE__).parent_path() / ".." / ".." / ".." / "conf";

// The first pattern of the first "Host" line.
std::string first_host(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string keyword, pattern;
    if (words >> keyword >> pattern && keyword == "Host") return pattern;
  }
  return {};
}

ResolveResult resolve_example(const std::filesystem::path& file) {
  const Environment env{"/home/example", "example"};
  return resolve(ResolveInput{first_host(file), {}, file.string()}, env, real_file_system());
}

TEST(ExampleConfigs, EveryFileResolvesWithoutErrors) {
  ASSERT_TRUE(std::filesystem::is_directory(kConfDir)) << kConfDir;
  std::size_t checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kConfDir)) {
    if (entry.path().extension() != ".conf") continue;
    const std::string host = first_host(entry.path());
    EXPECT_FALSE(host.empty()) << entry.path() << " has no Host block";
    const auto r = resolve_example(entry.path());
    for (const auto& e : r.errors) ADD_FAILURE() << e.to_string();
    EXPECT_TRUE(r.options.has_value()) << entry.path();
    ++checked;
  }
  EXPECT_GE(checked, 3u);
}

TEST(ExampleConfigs, JumpBoxGatewayValues) {
  const auto r = resolve_example(kConfDir / "jump-box-gateway.conf");
  ASSERT_TRUE(r.options.has_value());
  const Options& o = *r.options;
  EXPECT_EQ(o.pool_size, 2u);
  EXPECT_TRUE(o.reconnect);
  EXPECT_EQ(o.reconnect_max_delay.count(), 120);
  EXPECT_EQ(o.transport_wait_timeout.count(), 20);
  EXPECT_EQ(o.server_alive_interval.count(), 15);
  EXPECT_EQ(o.max_clients, 2000u);
  EXPECT_EQ(o.max_pending_opens, 256u);
  EXPECT_EQ(o.drain_timeout.count(), 30);
  EXPECT_EQ(o.log_target, Options::LogTarget::syslog);
  EXPECT_EQ(o.syslog_facility, "DAEMON");
  EXPECT_TRUE(o.batch_mode);
  EXPECT_TRUE(o.gateway_ports);
  EXPECT_EQ(o.socks_credentials_file, "/etc/sshplex/socks-users");
  ASSERT_EQ(o.dynamic_forwards.size(), 1u);
  ASSERT_EQ(o.remote_forwards.size(), 1u);
}

TEST(ExampleConfigs, VpnGatewayValues) {
  const auto r = resolve_example(kConfDir / "vpn.conf");
  ASSERT_TRUE(r.options.has_value());
  const Options& o = *r.options;
  EXPECT_TRUE(o.vpn);
  // Every VpnRoute line adds.
  ASSERT_EQ(o.vpn_routes.size(), 3u);
  EXPECT_EQ(o.vpn_routes[0].text(), "10.0.0.0/8");
  EXPECT_EQ(o.vpn_routes[1].text(), "172.16.0.0/12");
  EXPECT_EQ(o.vpn_routes[2].text(), "fd00::/8");
  ASSERT_EQ(o.vpn_excludes.size(), 1u);
  EXPECT_EQ(o.vpn_excludes[0].text(), "10.99.0.0/16");
  EXPECT_EQ(o.vpn_dns, "server");
  EXPECT_FALSE(o.vpn_kill_switch);
  EXPECT_EQ(o.vpn_device, "sshplex%d");
  EXPECT_EQ(o.vpn_table, 29544u);
  EXPECT_EQ(o.vpn_mtu, 9000u);
  EXPECT_TRUE(o.vpn_ipv6);
  EXPECT_TRUE(o.batch_mode);
}

}  // namespace
