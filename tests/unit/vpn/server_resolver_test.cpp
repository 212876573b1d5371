// parse_resolv_conf: nameserver lines of both families in order, comments, other keywords and junk
// skipped, glibc's limit of three, port 53 always.
#include "gateway/vpn/server_resolver.hpp"

#include <gtest/gtest.h>

#include "tun/address.hpp"

namespace gateway::vpn {
namespace {

std::vector<std::string> texts(const std::vector<tun::Endpoint>& endpoints) {
  std::vector<std::string> out;
  for (const auto& e : endpoints) out.push_back(tun::to_string(e));
  return out;
}

TEST(ResolvConf, NameserversOfBothFamiliesInOrder) {
  const auto r = parse_resolv_conf(
      "# generated\n"
      "search corp.example\n"
      "nameserver 10.0.0.2\n"
      "options edns0 trust-ad\n"
      "nameserver 2001:db8::53\n");
  EXPECT_EQ(texts(r), (std::vector<std::string>{"10.0.0.2:53", "[2001:db8::53]:53"}));
}

TEST(ResolvConf, StubResolverAndBlanks) {
  const auto r = parse_resolv_conf("\tnameserver   127.0.0.53  \r\n");
  EXPECT_EQ(texts(r), (std::vector<std::string>{"127.0.0.53:53"}));
}

TEST(ResolvConf, CommentsAndJunkAreSkipped) {
  const auto r = parse_resolv_conf(
      "; nameserver 192.0.2.1\n"
      "#nameserver 192.0.2.2\n"
      "nameserver 192.0.2.3 # the office\n"
      "nameserver 192.0.2.4;backup\n"
      "nameserver\n"
      "nameserver not-an-address\n"
      "nameservers 192.0.2.5\n"
      "nameserver 192.0.2.300\n"
      "nameserver fe80::1%eth0\n");
  EXPECT_EQ(texts(r), (std::vector<std::string>{"192.0.2.3:53", "192.0.2.4:53"}));
}

TEST(ResolvConf, AtMostThreeAsGlibc) {
  const auto r =
      parse_resolv_conf("nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\nnameserver 192.0.2.4\n");
  EXPECT_EQ(r.size(), 3u);
}

TEST(ResolvConf, NothingUsable) {
  EXPECT_TRUE(parse_resolv_conf("").empty());
  EXPECT_TRUE(parse_resolv_conf("search example\n").empty());
  EXPECT_EQ(tun::to_string(default_server_resolver()), "127.0.0.1:53");
}

}  // namespace
}  // namespace gateway::vpn
