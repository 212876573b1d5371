// The VPN's routes and rules in a real kernel: a private network namespace holds a tun device to
// route into ("sshtun0") and a second one standing for the uplink ("uplink0", main's default
// route and the LAN 192.0.2.0/24). Plans are applied through Netlink and checked with ip(8): the
// rules and the table as listed, and route lookups with and without the pool's mark.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gateway/net/socket_mark.hpp"
#include "gateway/vpn/installed_routes.hpp"
#include "gateway/vpn/netlink.hpp"
#include "gateway/vpn/route_plan.hpp"
#include "support/netns.hpp"
#include "support/process.hpp"

namespace {

using gateway::vpn::Cidr;
using gateway::vpn::InstalledRoutes;
using gateway::vpn::Netlink;
using gateway::vpn::RoutePlan;
using gateway::vpn::RoutePlanInput;
using nlohmann::json;

constexpr std::uint32_t kTable = 7368;
constexpr std::uint32_t kMark = 0x1cc0;
constexpr std::uint32_t kPriority = 100;
constexpr const char* kMarkText = "0x1cc0";
constexpr const char* kTun = "sshtun0";
constexpr const char* kUplink = "uplink0";

Cidr cidr(const char* text) {
  return *Cidr::parse(text);
}

std::size_t open_descriptors() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return 0;
  std::size_t n = 0;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n - 1;  // the directory's own descriptor
}

// A tun device named `name`, alive while the descriptor is open (the VPN's device will be opened
// the same way).
int open_tun(const char* name, std::string& error) {
  const int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    error = std::string("open /dev/net/tun: ") + std::strerror(errno);
    return -1;
  }
  ifreq request{};
  std::strncpy(request.ifr_name, name, IFNAMSIZ - 1);
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (::ioctl(fd, TUNSETIFF, &request) != 0) {
    error = std::string("TUNSETIFF ") + name + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

struct IpResult {
  bool ok = false;
  std::string output;
};

IpResult ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv{testsupport::find_program("ip")};
  argv.insert(argv.end(), args.begin(), args.end());
  IpResult r;
  r.ok = testsupport::run_quiet(argv, &r.output, std::chrono::seconds(20));
  return r;
}

// `ip -j <args>` as JSON; an IPv4 table that never existed lists as empty.
json ip_json(const std::vector<std::string>& args) {
  std::vector<std::string> full{"-j"};
  full.insert(full.end(), args.begin(), args.end());
  const IpResult r = ip(full);
  if (!r.ok && r.output.find("FIB table does not exist") != std::string::npos) return json::array();
  EXPECT_TRUE(r.ok) << "ip -j failed: " << r.output;
  const auto parsed = json::parse(r.output, nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << "not JSON: " << r.output;
  return parsed.is_discarded() ? json::array() : parsed;
}

json table_routes(const char* family) {
  return ip_json({family, "route", "show", "table", std::to_string(kTable)});
}

// The rules of one family without the kernel's own (priorities 0, 32766, 32767).
json own_rules(const char* family) {
  json rules = json::array();
  for (const auto& rule : ip_json({family, "rule", "show"})) {
    const auto priority = rule.value("priority", 0U);
    if (priority != 0 && priority != 32766 && priority != 32767) rules.push_back(rule);
  }
  return rules;
}

// The route to `destination` ("default", "10.0.0.0/8") in a listing; null when absent.
json route_in(const json& routes, const std::string& destination) {
  for (const auto& r : routes) {
    if (r.value("dst", "") == destination) return r;
  }
  return json::object();
}

// The device a lookup picks, or the error ip(8) reports ("Network is unreachable").
std::string route_via(const std::string& destination, bool marked = false) {
  std::vector<std::string> args{"route", "get", destination};
  if (marked) args.insert(args.end(), {"mark", kMarkText});
  const IpResult r = ip(args);
  if (!r.ok) return "error: " + r.output;
  const auto dev = r.output.find(" dev ");
  if (dev == std::string::npos) return "no device: " + r.output;
  const auto start = dev + 5;
  return r.output.substr(start, r.output.find(' ', start) - start);
}

RoutePlanInput plan_input(std::vector<Cidr> routed, std::vector<Cidr> excluded = {}) {
  RoutePlanInput in;
  in.routed = std::move(routed);
  in.excluded = std::move(excluded);
  in.table = kTable;
  in.fwmark = kMark;
  in.priority = kPriority;
  return in;
}

class VpnRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: routes and rules are made in a private network namespace";
    if (::access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/net/tun is missing: no tun devices here";
    const std::string why = testsupport::NetnsPair::unavailable_reason();
    if (!why.empty()) GTEST_SKIP() << why;

    netns_ = std::make_unique<testsupport::Netns>("vpnroutes");
    ASSERT_TRUE(netns_->create());
    scope_ = std::make_unique<testsupport::NetnsScope>(netns_->name());
    ASSERT_TRUE(scope_->ok()) << scope_->error();

    descriptors_before_ = open_descriptors();
    std::string error;
    tun_fd_ = open_tun(kTun, error);
    ASSERT_GE(tun_fd_, 0) << error;
    uplink_fd_ = open_tun(kUplink, error);
    ASSERT_GE(uplink_fd_, 0) << error;

    netlink_ = Netlink::open(error);
    ASSERT_TRUE(netlink_) << error;
    const auto index = netlink_->link_index(kTun, error);
    ASSERT_TRUE(index) << error;
    tun_index_ = *index;
    ASSERT_TRUE(netlink_->set_link_up(tun_index_, 1400, error)) << error;
    ASSERT_TRUE(netlink_->add_address(tun_index_, *Cidr::parse_interface_address("10.9.0.1/24"), error)) << error;
    ASSERT_TRUE(netlink_->add_address(tun_index_, *Cidr::parse_interface_address("fd00:9::1/64"), error)) << error;

    // The uplink through ip(8), as the system would have it: a LAN, main's defaults.
    for (const std::vector<std::string>& step :
         std::vector<std::vector<std::string>>{{"link", "set", kUplink, "up"},
                                               {"address", "add", "192.0.2.2/24", "dev", kUplink},
                                               {"-6", "address", "add", "2001:db8:1::2/64", "dev", kUplink, "nodad"},
                                               {"route", "add", "default", "dev", kUplink},
                                               {"-6", "route", "add", "default", "dev", kUplink}}) {
      const IpResult r = ip(step);
      ASSERT_TRUE(r.ok) << step[0] << " " << step[1] << ": " << r.output;
    }
    rules4_before_ = own_rules("-4");
    rules6_before_ = own_rules("-6");
  }

  void TearDown() override {
    netlink_.reset();
    if (tun_fd_ >= 0) ::close(tun_fd_);
    if (uplink_fd_ >= 0) ::close(uplink_fd_);
    if (descriptors_before_ != 0) {
      EXPECT_EQ(open_descriptors(), descriptors_before_) << "a descriptor leaked";
    }
    scope_.reset();
    netns_.reset();
  }

  void expect_clean() {
    EXPECT_EQ(table_routes("-4"), json::array());
    EXPECT_EQ(table_routes("-6"), json::array());
    EXPECT_EQ(own_rules("-4"), rules4_before_);
    EXPECT_EQ(own_rules("-6"), rules6_before_);
  }

  std::unique_ptr<InstalledRoutes> apply(const RoutePlan& plan) {
    std::string error;
    auto installed = InstalledRoutes::apply(*netlink_, plan, tun_index_, error);
    EXPECT_TRUE(installed) << error;
    return installed;
  }

  std::unique_ptr<testsupport::Netns> netns_;
  std::unique_ptr<testsupport::NetnsScope> scope_;
  std::unique_ptr<Netlink> netlink_;
  int tun_fd_ = -1;
  int uplink_fd_ = -1;
  int tun_index_ = 0;
  std::size_t descriptors_before_ = 0;
  json rules4_before_;
  json rules6_before_;
};

TEST_F(VpnRoutes, DeviceIsUpWithItsAddresses) {
  const json links = ip_json({"link", "show", kTun});
  ASSERT_EQ(links.size(), 1U);
  EXPECT_EQ(links[0].value("mtu", 0), 1400);
  EXPECT_EQ(links[0].value("ifindex", 0), tun_index_);
  const std::string flags = links[0]["flags"].dump();
  EXPECT_NE(flags.find("\"UP\""), std::string::npos) << flags;

  const json addresses = ip_json({"address", "show", "dev", kTun});
  ASSERT_EQ(addresses.size(), 1U);
  std::vector<std::string> found;
  for (const auto& a : addresses[0]["addr_info"]) {
    const std::string local = a.value("local", "");
    if (local.rfind("fe80:", 0) == 0) continue;  // the kernel's own link-local address
    found.push_back(local + "/" + std::to_string(a.value("prefixlen", 0)));
    // No duplicate address detection: usable at once, never "tentative".
    EXPECT_FALSE(a.contains("tentative")) << a.dump();
  }
  EXPECT_EQ(found, (std::vector<std::string>{"10.9.0.1/24", "fd00:9::1/64"}));

  std::string error;
  EXPECT_FALSE(netlink_->add_address(tun_index_, *Cidr::parse_interface_address("10.9.0.1/24"), error));
  EXPECT_EQ(error, "cannot add address 10.9.0.1/24 to link " + std::to_string(tun_index_) + ": File exists");
}

TEST_F(VpnRoutes, LinkLookupErrorsAreClear) {
  std::string error;
  EXPECT_FALSE(netlink_->link_index("nosuchdev0", error));
  EXPECT_EQ(error, "cannot look up link nosuchdev0: No such device");
  EXPECT_FALSE(netlink_->link_index("a-name-far-too-long-for-linux", error));
  EXPECT_NE(error.find("not a valid interface name"), std::string::npos) << error;
}

TEST_F(VpnRoutes, DefaultRoutePlanSendsEverythingButMarkedAndLan) {
  const RoutePlan plan = gateway::vpn::plan_routes(plan_input({}, {cidr("198.51.100.7"), cidr("2001:db8:5::7")}));
  auto installed = apply(plan);
  ASSERT_TRUE(installed);

  const json rules4 = own_rules("-4");
  ASSERT_EQ(rules4.size(), 2U) << rules4.dump();
  EXPECT_EQ(rules4[0].value("priority", 0), 100);
  EXPECT_EQ(rules4[0].value("table", ""), "main");
  EXPECT_EQ(rules4[0].value("suppress_prefixlen", -1), 0);
  EXPECT_EQ(rules4[1].value("priority", 0), 101);
  EXPECT_TRUE(rules4[1].contains("not"));
  EXPECT_EQ(rules4[1].value("fwmark", ""), kMarkText);
  EXPECT_EQ(rules4[1].value("table", ""), std::to_string(kTable));
  EXPECT_EQ(own_rules("-6").size(), 2U);

  const json routes4 = table_routes("-4");
  ASSERT_EQ(routes4.size(), 2U) << routes4.dump();
  EXPECT_EQ(route_in(routes4, "default").value("dev", ""), kTun) << routes4.dump();
  EXPECT_EQ(route_in(routes4, "198.51.100.7").value("type", ""), "throw") << routes4.dump();
  EXPECT_EQ(table_routes("-6").size(), 2U);

  EXPECT_EQ(route_via("203.0.113.5"), kTun);
  EXPECT_EQ(route_via("203.0.113.5", true), kUplink);  // the pool's own sockets stay outside
  EXPECT_EQ(route_via("192.0.2.5"), kUplink);          // the LAN: main's more specific route wins
  EXPECT_EQ(route_via("198.51.100.7"), kUplink);       // excluded (the SSH server)
  EXPECT_EQ(route_via("2001:db8:77::1"), kTun);
  EXPECT_EQ(route_via("2001:db8:77::1", true), kUplink);
  EXPECT_EQ(route_via("2001:db8:1::9"), kUplink);
  EXPECT_EQ(route_via("2001:db8:5::7"), kUplink);

  installed->remove();
  expect_clean();
  EXPECT_EQ(route_via("203.0.113.5"), kUplink);
  installed->remove();  // a second time does nothing
  expect_clean();
}

TEST_F(VpnRoutes, CidrPlanRoutesOnlyItsNetworks) {
  const RoutePlan plan = gateway::vpn::plan_routes(plan_input({cidr("10.0.0.0/8"), cidr("2001:db8:aaaa::/48")}));
  {
    auto installed = apply(plan);
    ASSERT_TRUE(installed);
    const json rules4 = own_rules("-4");
    ASSERT_EQ(rules4.size(), 1U) << rules4.dump();  // no suppress rule without a default route
    EXPECT_EQ(rules4[0].value("priority", 0), 101);
    const json routes4 = table_routes("-4");
    ASSERT_EQ(routes4.size(), 1U);
    EXPECT_EQ(routes4[0].value("dst", ""), "10.0.0.0/8");
    EXPECT_EQ(routes4[0].value("dev", ""), kTun);

    EXPECT_EQ(route_via("10.1.2.3"), kTun);
    EXPECT_EQ(route_via("10.1.2.3", true), kUplink);
    EXPECT_EQ(route_via("203.0.113.5"), kUplink);
    EXPECT_EQ(route_via("2001:db8:aaaa::1"), kTun);
    EXPECT_EQ(route_via("2001:db8:aaaa::1", true), kUplink);
    EXPECT_EQ(route_via("2001:db8:bbbb::1"), kUplink);
  }  // the destructor removes the plan
  expect_clean();
  EXPECT_EQ(route_via("10.1.2.3"), kUplink);
}

TEST_F(VpnRoutes, Ipv6NotCarriedIsRefusedNotLeaked) {
  auto in = plan_input({});
  in.ipv6_carried = false;
  auto installed = apply(gateway::vpn::plan_routes(in));
  ASSERT_TRUE(installed);
  EXPECT_EQ(route_via("203.0.113.5"), kTun);
  // Refused in the table (the kernel's "No route to host"), not sent out through main's default.
  EXPECT_EQ(route_via("2001:db8:77::1").rfind("error:", 0), 0U) << route_via("2001:db8:77::1");
  EXPECT_EQ(route_via("2001:db8:77::1", true), kUplink);
  EXPECT_EQ(route_via("2001:db8:1::9"), kUplink);  // the LAN still
  const json routes6 = table_routes("-6");
  ASSERT_EQ(routes6.size(), 1U);
  EXPECT_EQ(routes6[0].value("type", ""), "unreachable");
  installed.reset();
  expect_clean();
}

TEST_F(VpnRoutes, RoutesGoneWithTheDeviceAreNotAnError) {
  auto installed = apply(gateway::vpn::plan_routes(plan_input({cidr("10.0.0.0/8")}, {cidr("10.7.0.0/16")})));
  ASSERT_TRUE(installed);
  ::close(tun_fd_);  // the device goes, and with it its device routes
  tun_fd_ = -1;
  std::string error;
  EXPECT_TRUE(installed->remove(error)) << error;
  expect_clean();
}

TEST_F(VpnRoutes, LeftoversOfADeadRunAreRemoved) {
  const RoutePlan plan = gateway::vpn::plan_routes(plan_input({}, {cidr("198.51.100.7")}));
  // A run that applied its plan and died: a child with its own netlink socket that never removes.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0) << std::strerror(errno);
  if (child == 0) {
    std::string error;
    auto netlink = Netlink::open(error);
    if (!netlink) ::_exit(1);
    auto installed = InstalledRoutes::apply(*netlink, plan, tun_index_, error);
    ::_exit(installed ? 0 : 2);  // no destructors: the routes and rules stay
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  ASSERT_EQ(table_routes("-4").size(), 2U);

  // Others' entries stay: a route in another table, a rule outside the block to another table.
  ASSERT_TRUE(ip({"route", "add", "10.0.0.0/8", "dev", kUplink, "table", "200"}).ok);
  ASSERT_TRUE(ip({"rule", "add", "pref", "300", "lookup", "200"}).ok);
  // A stray rule to the table outside the block, and one inside the block to another table.
  ASSERT_TRUE(ip({"rule", "add", "pref", "400", "lookup", std::to_string(kTable)}).ok);
  ASSERT_TRUE(ip({"rule", "add", "pref", "102", "lookup", "201"}).ok);

  std::string error;
  const std::size_t removed = netlink_->remove_table_and_rules(kTable, kPriority, 3, error);
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_EQ(removed, plan.routes.size() + plan.rules.size() + 2);
  EXPECT_EQ(table_routes("-4"), json::array());
  EXPECT_EQ(table_routes("-6"), json::array());
  const json rules4 = own_rules("-4");
  ASSERT_EQ(rules4.size(), 1U) << rules4.dump();
  EXPECT_EQ(rules4[0].value("priority", 0), 300);
  EXPECT_EQ(own_rules("-6"), json::array());
  EXPECT_EQ(ip_json({"route", "show", "table", "200"}).size(), 1U);
  EXPECT_EQ(route_via("203.0.113.5"), kUplink);

  // Nothing left: a second sweep removes nothing, and the plan applies again cleanly.
  EXPECT_EQ(netlink_->remove_table_and_rules(kTable, kPriority, 3, error), 0U);
  auto installed = apply(plan);
  EXPECT_TRUE(installed);
}

TEST_F(VpnRoutes, SweepRefusesTheKernelsRules) {
  std::string error;
  EXPECT_EQ(netlink_->remove_table_and_rules(kTable, 32760, 10, error), 0U);
  EXPECT_NE(error.find("the kernel's rule 32766"), std::string::npos) << error;
  EXPECT_EQ(own_rules("-4"), rules4_before_);
}

TEST_F(VpnRoutes, FailedRouteUndoesWhatWentBefore) {
  // 10.0.0.0/8 is already in the table: the second route of the plan fails.
  ASSERT_TRUE(ip({"route", "add", "10.0.0.0/8", "dev", kUplink, "table", std::to_string(kTable)}).ok);
  const RoutePlan plan =
      gateway::vpn::plan_routes(plan_input({cidr("172.16.0.0/12"), cidr("10.0.0.0/8"), cidr("2001:db8:aaaa::/48")}));
  std::string error;
  EXPECT_FALSE(InstalledRoutes::apply(*netlink_, plan, tun_index_, error));
  EXPECT_EQ(error, "cannot add route 10.0.0.0/8 to table 7368: File exists");
  const json routes4 = table_routes("-4");
  ASSERT_EQ(routes4.size(), 1U) << routes4.dump();  // only the one that was there before
  EXPECT_EQ(routes4[0].value("dev", ""), kUplink);
  EXPECT_EQ(table_routes("-6"), json::array());
  EXPECT_EQ(own_rules("-4"), rules4_before_);
}

TEST_F(VpnRoutes, FailedRuleUndoesRoutesAndRules) {
  // The IPv6 rule exists already: every route and the IPv4 rule went in before it failed.
  ASSERT_TRUE(
      ip({"-6", "rule", "add", "pref", "101", "not", "fwmark", kMarkText, "lookup", std::to_string(kTable)}).ok);
  const json rules6 = own_rules("-6");
  const RoutePlan plan = gateway::vpn::plan_routes(plan_input({cidr("10.0.0.0/8"), cidr("2001:db8:aaaa::/48")}));
  std::string error;
  EXPECT_FALSE(InstalledRoutes::apply(*netlink_, plan, tun_index_, error));
  EXPECT_EQ(error, "cannot add rule -6 pref 101 not fwmark 0x1cc0 lookup 7368: File exists");
  EXPECT_EQ(table_routes("-4"), json::array());
  EXPECT_EQ(table_routes("-6"), json::array());
  EXPECT_EQ(own_rules("-4"), rules4_before_);
  EXPECT_EQ(own_rules("-6"), rules6);  // the rule that was there stays
}

TEST_F(VpnRoutes, DeleteOfWhatIsNotThereIsFine) {
  std::string error;
  const gateway::vpn::Route route{cidr("10.0.0.0/8"), gateway::vpn::Route::Type::device, kTable};
  EXPECT_TRUE(netlink_->delete_route(route, tun_index_, error)) << error;
  gateway::vpn::Rule rule;
  rule.priority = 101;
  rule.table = kTable;
  rule.fwmark = kMark;
  rule.invert = true;
  EXPECT_TRUE(netlink_->delete_rule(rule, error)) << error;
  EXPECT_TRUE(netlink_->add_route(route, tun_index_, error)) << error;
  EXPECT_FALSE(netlink_->add_route(route, tun_index_, error));
  EXPECT_EQ(error, "cannot add route 10.0.0.0/8 to table 7368: File exists");
  EXPECT_TRUE(netlink_->delete_route(route, tun_index_, error)) << error;
  expect_clean();
}

TEST_F(VpnRoutes, MarkedSocketCarriesTheMark) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  std::string error;
  EXPECT_TRUE(gateway::net::mark_socket(fd, kMark, error)) << error;
  std::uint32_t mark = 0;
  socklen_t size = sizeof(mark);
  ASSERT_EQ(::getsockopt(fd, SOL_SOCKET, SO_MARK, &mark, &size), 0);
  EXPECT_EQ(mark, kMark);
  ::close(fd);
  EXPECT_FALSE(gateway::net::mark_socket(fd, kMark, error));
  EXPECT_EQ(error, "cannot mark socket " + std::to_string(fd) + " with 0x1cc0 (SO_MARK): Bad file descriptor");
}

}  // namespace
