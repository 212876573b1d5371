// AddressFamily / -4 / -6, BindAddress / -b and BindInterface / -B against a real sshd listening on
// 127.0.0.1 and ::1: the server's log says which address the connection came from.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;
using namespace std::chrono_literals;

class AddressFamilyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    if (read_file("/proc/net/if_inet6").find("00000000000000000000000000000001") == std::string::npos) {
      GTEST_SKIP() << "no ::1 on this machine";
    }
    SshdOptions o;
    o.log_level = "VERBOSE";
    o.also_listen = {"::1"};
    sshd_ = std::make_unique<SshdServer>(o);
    sshd_->authorize_key(key().public_line);
    ASSERT_TRUE(sshd_->start());
  }

  static const KeyPair& key() { return cached_key(KeyType::Ed25519, "user"); }

  // `sshplex [flags] root@HOST true`; the host key is learnt on first use into a fresh file.
  ProcessResult run(const std::string& host, const std::vector<std::string>& flags, std::string& err) {
    ClientOptions o = client_options_for(sshd_->port(), tmp_.file("known_hosts." + std::to_string(++runs_)), key());
    o.host = host;
    o.strict_host_key_checking = "accept-new";
    o.no_command = false;
    o.command = {"true"};
    o.extra_args = flags;
    ClientRun client(std::move(o));
    EXPECT_TRUE(client.start());
    const ProcessResult r = client.wait_exit(30s);
    err = client.stderr_text();
    return r;
  }

  // The address of the last login in sshd's log.
  std::string last_login_from() const {
    const std::string log = sshd_->log();
    const auto at = log.rfind("Accepted publickey for root from ");
    if (at == std::string::npos) return {};
    const auto start = at + std::string("Accepted publickey for root from ").size();
    return log.substr(start, log.find(' ', start) - start);
  }

  TempDir tmp_{"sshplex-af"};
  std::unique_ptr<SshdServer> sshd_;
  int runs_ = 0;
};

// Names with both families depend on the machine's /etc/hosts; the literals do not: an address of
// the other family is not used.
TEST_F(AddressFamilyTest, FourAndSixChooseTheFamily) {
  std::string err;
  ProcessResult r = run("::1", {"-6"}, err);
  ASSERT_EQ(r.exit_code, 0) << err;
  EXPECT_EQ(last_login_from(), "::1");
  r = run("127.0.0.1", {"-4"}, err);
  ASSERT_EQ(r.exit_code, 0) << err;
  EXPECT_EQ(last_login_from(), "127.0.0.1");
  r = run("127.0.0.1", {"-o", "AddressFamily=inet6"}, err);
  EXPECT_EQ(r.exit_code, 255);
  EXPECT_NE(err.find("no IPv6 address (AddressFamily)"), std::string::npos) << err;
  r = run("::1", {"-4"}, err);
  EXPECT_EQ(r.exit_code, 255);
  EXPECT_NE(err.find("no IPv4 address (AddressFamily)"), std::string::npos) << err;
}

TEST_F(AddressFamilyTest, BindAddressAndInterfaceChooseTheSource) {
  std::string err;
  ProcessResult r = run("127.0.0.1", {"-b", "127.0.0.2"}, err);
  ASSERT_EQ(r.exit_code, 0) << err;
  EXPECT_EQ(last_login_from(), "127.0.0.2");
  r = run("127.0.0.1", {"-B", "lo"}, err);
  ASSERT_EQ(r.exit_code, 0) << err;
  EXPECT_EQ(last_login_from(), "127.0.0.1");
  // A source that cannot reach the destination's family: a clear failure, exit 255.
  r = run("::1", {"-b", "127.0.0.2"}, err);
  EXPECT_EQ(r.exit_code, 255);
  EXPECT_NE(err.find("BindAddress 127.0.0.2 is not an IPv6 address"), std::string::npos) << err;
}

}  // namespace
