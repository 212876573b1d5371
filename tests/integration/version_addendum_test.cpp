// VersionAddendum: the text follows our software version in the identification string the server
// sees (OpenSSH 10's keyword).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;

TEST(VersionAddendum, TheServerSeesIt) {
  TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
  TESTSUPPORT_SKIP_IF(client_unavailable_reason());
  if (client_binary().find("sshplex") == std::string::npos) GTEST_SKIP() << "OpenSSH 9.2 has no VersionAddendum";
  TempDir tmp("sshplex-version");
  SshdOptions so;
  so.log_level = "DEBUG1";
  SshdServer sshd(so);
  const KeyPair& key = cached_key(KeyType::Ed25519, "user");
  sshd.authorize_key(key.public_line);
  ASSERT_TRUE(sshd.start());
  ASSERT_TRUE(sshd.write_known_hosts(tmp.file("known_hosts")));
  ClientOptions o = client_options_for(sshd.port(), tmp.file("known_hosts"), key);
  o.options = {"VersionAddendum=corp build 7"};
  o.no_command = false;
  o.command = {"true"};
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  EXPECT_EQ(client.wait_exit(std::chrono::seconds(30)).exit_code, 0) << client.stderr_text();
  EXPECT_NE(sshd.log().find("remote software version sshplex_0.1 corp build 7"), std::string::npos) << sshd.log();
}

}  // namespace
