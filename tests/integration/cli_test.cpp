// End-to-end checks of the sshplex program itself: the no-argument demo that the README promises,
// and clear errors with exit status 255 for bad configuration and bad forward specs.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>

#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/process.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;

ProcessResult run_sshplex(const std::vector<std::string>& args, const TempDir& dir, std::string& out,
                          std::string& err, std::chrono::seconds timeout = std::chrono::seconds(60)) {
  std::vector<std::string> argv = {SSHPLEX_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  Env env = base_env();
  const ProcessResult r = run_command(argv, env, dir.file("out"), dir.file("err"), timeout);
  out = read_file(dir.path() / "out");
  err = read_file(dir.path() / "err");
  return r;
}

TEST(Cli, DemoWithoutArgumentsShowsAWorkingForward) {
  TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
  TempDir dir("sshplex-cli");
  std::string out, err;
  const ProcessResult r = run_sshplex({}, dir, out, err);
  ASSERT_FALSE(r.timed_out) << out << err;
  EXPECT_EQ(r.exit_code, 0) << out << err;
  EXPECT_NE(out.find("OK: the tunnel works"), std::string::npos) << out << err;
  // The sent and received digests are printed and equal.
  const auto sent = out.find("sha256 sent     ");
  const auto received = out.find("sha256 received ");
  ASSERT_NE(sent, std::string::npos);
  ASSERT_NE(received, std::string::npos);
  EXPECT_EQ(out.substr(sent + 16, 64), out.substr(received + 16, 64));
}

TEST(Cli, BadConfigurationNamesFileAndLine) {
  TempDir dir("sshplex-cli");
  std::ofstream(dir.file("config")) << "Host example\n  Port 22\n  Bogus yes\n  Port twenty\n";
  std::string out, err;
  const ProcessResult r = run_sshplex({"-F", dir.file("config"), "example"}, dir, out, err);
  EXPECT_EQ(r.exit_code, 255);
  EXPECT_NE(err.find(dir.file("config") + ":3: unknown keyword 'Bogus'"), std::string::npos) << err;
}

TEST(Cli, BadForwardSpecIsRejected) {
  TempDir dir("sshplex-cli");
  std::string out, err;
  const ProcessResult r = run_sshplex({"-F", "none", "-L", "99999:host:22", "example"}, dir, out, err);
  EXPECT_EQ(r.exit_code, 255);
  EXPECT_NE(err.find("99999"), std::string::npos) << err;
}

TEST(Cli, VersionAndHelpExitZero) {
  TempDir dir("sshplex-cli");
  std::string out, err;
  EXPECT_EQ(run_sshplex({"-V"}, dir, out, err).exit_code, 0);
  EXPECT_NE(out.find("sshplex"), std::string::npos);
  EXPECT_EQ(run_sshplex({"-h"}, dir, out, err).exit_code, 0);
  EXPECT_NE(out.find("usage: sshplex"), std::string::npos);
}

}  // namespace

namespace {

TEST(Cli, OpenSocksProxyOnAReachableAddressStopsBeforeConnecting) {
  TempDir dir("sshplex-cli");
  std::string out, err;
  // Nothing listens on the destination: had sshplex tried to connect, it would say so.
  const ProcessResult r =
      run_sshplex({"-F", "none", "-N", "-o", "BatchMode=yes", "-D", "0.0.0.0:1080", "-p", "9", "127.0.0.1"}, dir, out, err,
                  std::chrono::seconds(20));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 255);
  EXPECT_NE(err.find("refusing dynamic forward SOCKS 0.0.0.0:1080"), std::string::npos) << err;
  EXPECT_NE(err.find("SocksCredentialsFile"), std::string::npos) << err;
  EXPECT_EQ(err.find("onnect"), std::string::npos) << "tried to connect first: " << err;
}

}  // namespace
