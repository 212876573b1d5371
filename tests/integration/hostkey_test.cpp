// End-to-end server authentication by the client against OpenSSH sshd (RFC 4251 §4.1, known_hosts as
// in sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): changed keys, unknown hosts, accept-new, hashed host
// names, @revoked. Every refusal must be exit status 255 before any user authentication happens.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;

constexpr std::size_t kBytes = 128 * 1024;
constexpr auto kFailureTimeout = std::chrono::seconds(30);

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string blob_of(const std::string& public_line) {
  return public_line.substr(public_line.find(' ') + 1);
}

class HostKey : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    ASSERT_TRUE(echo_.start_tcp());
  }
  ClientOptions options(const SshdServer& sshd, const std::string& known_hosts) const {
    return client_options_for(sshd.port(), known_hosts, user_key());
  }
  static const KeyPair& user_key() { return cached_key(KeyType::Ed25519, "user"); }

  // Runs the client expecting a refusal: exit 255, no login on the server. Returns its stderr.
  std::string expect_refused(const SshdServer& sshd, ClientOptions o) {
    ForwardTarget fwd = tcp_forward_to(echo_.endpoint());
    o.local_forwards.push_back(fwd.spec);
    ClientRun client(o);
    EXPECT_TRUE(client.start());
    ProcessResult r = client.wait_exit(kFailureTimeout);
    EXPECT_FALSE(r.timed_out) << "client did not give up";
    EXPECT_TRUE(r.exited);
    EXPECT_EQ(r.exit_code, 255);
    EXPECT_EQ(sshd.log().find("Accepted publickey"), std::string::npos) << "client authenticated anyway";
    EXPECT_EQ(echo_.connections_accepted(), 0u);
    return client.stderr_text();
  }

  TempDir tmp_{"sshplex-hostkey"};
  EchoServer echo_;
};

class ChangedHostKey : public HostKey, public ::testing::WithParamInterface<KeyType> {};

TEST_P(ChangedHostKey, RefusedNamingFingerprintAndFile) {
  SshdOptions so;
  so.host_key = GetParam();
  SshdServer sshd(so);
  sshd.authorize_key(user_key().public_line);
  ASSERT_TRUE(sshd.start());
  const KeyPair& impostor = cached_key(GetParam(), "other-host");
  const std::string known_hosts = tmp_.file("known_hosts");
  ASSERT_TRUE(write_file(known_hosts, sshd.host_pattern() + " " + impostor.public_line + "\n", 0644));

  const std::string err = expect_refused(sshd, options(sshd, known_hosts));
  const std::string server_fp = sshd.host_keys().at(0).fingerprint;
  ASSERT_FALSE(server_fp.empty());
  EXPECT_NE(err.find(server_fp), std::string::npos) << "stderr does not name the server key " << server_fp;
  EXPECT_NE(err.find(known_hosts), std::string::npos) << "stderr does not name " << known_hosts;
  EXPECT_EQ(read_file(known_hosts), sshd.host_pattern() + " " + impostor.public_line + "\n")
      << "known_hosts must not be rewritten";
}

INSTANTIATE_TEST_SUITE_P(Types, ChangedHostKey,
                         ::testing::Values(KeyType::Ed25519, KeyType::Ecdsa256, KeyType::Ecdsa384, KeyType::Ecdsa521,
                                           KeyType::Rsa3072),
                         [](const ::testing::TestParamInfo<KeyType>& p) { return key_type_name(p.param); });

TEST_F(HostKey, UnknownHostRefusedUnderStrictChecking) {
  SshdServer sshd;
  sshd.authorize_key(user_key().public_line);
  ASSERT_TRUE(sshd.start());
  const std::string known_hosts = tmp_.file("known_hosts");
  ASSERT_TRUE(write_file(known_hosts, "", 0644));
  expect_refused(sshd, options(sshd, known_hosts));
  EXPECT_EQ(read_file(known_hosts), "");
}

TEST_F(HostKey, EntryForAnotherPortDoesNotMatch) {
  SshdOptions so;
  so.host_key = KeyType::Ed25519;
  SshdServer sshd(so);
  sshd.authorize_key(user_key().public_line);
  ASSERT_TRUE(sshd.start());
  const std::string known_hosts = tmp_.file("known_hosts");
  // The right key, but recorded for another port. (An entry for plain "127.0.0.1", i.e. port 22, is
  // left out on purpose: stock ssh falls back to port-less entries, which is its own policy.)
  const std::string content = "[127.0.0.1]:" + std::to_string(sshd.port() == 65535 ? 1 : sshd.port() + 1) + " " +
                              sshd.host_keys().at(0).public_line + "\n";
  ASSERT_TRUE(write_file(known_hosts, content, 0644));
  expect_refused(sshd, options(sshd, known_hosts));
}

TEST_F(HostKey, AcceptNewRecordsKeyThenStrictCheckingPasses) {
  SshdOptions so;
  so.host_key = KeyType::Ed25519;
  SshdServer sshd(so);
  sshd.authorize_key(user_key().public_line);
  ASSERT_TRUE(sshd.start());
  const std::string known_hosts = tmp_.file("known_hosts");  // does not exist yet

  ClientOptions o = options(sshd, known_hosts);
  o.strict_host_key_checking = "accept-new";
  EXPECT_TRUE(forward_and_verify(o, tcp_forward_to(echo_.endpoint()), kBytes));
  const std::string recorded = read_file(known_hosts);
  EXPECT_NE(recorded.find(blob_of(sshd.host_keys().at(0).public_line)), std::string::npos)
      << "accept-new did not record the server key; file:\n"
      << recorded;

  o.strict_host_key_checking = "yes";
  EXPECT_TRUE(forward_and_verify(o, tcp_forward_to(echo_.endpoint()), kBytes, 2));
}

TEST_F(HostKey, AcceptNewStillRefusesAChangedKey) {
  SshdOptions so;
  so.host_key = KeyType::Ed25519;
  SshdServer sshd(so);
  sshd.authorize_key(user_key().public_line);
  ASSERT_TRUE(sshd.start());
  const std::string known_hosts = tmp_.file("known_hosts");
  const std::string content = sshd.host_pattern() + " " + cached_key(KeyType::Ed25519, "other-host").public_line + "\n";
  ASSERT_TRUE(write_file(known_hosts, content, 0644));
  ClientOptions o = options(sshd, known_hosts);
  o.strict_host_key_checking = "accept-new";
  expect_refused(sshd, o);
  EXPECT_EQ(read_file(known_hosts), content);
}

TEST_F(HostKey, HashedEntryMatches) {
  SshdOptions so;
  so.host_key = KeyType::Ecdsa256;
  SshdServer sshd(so);
  sshd.authorize_key(user_key().public_line);
  ASSERT_TRUE(sshd.start());
  const std::string known_hosts = tmp_.file("known_hosts");
  ASSERT_TRUE(write_file(known_hosts,
                         "# test entries\nexample.invalid " + cached_key(KeyType::Ed25519, "other-host").public_line +
                             "\n" + sshd.known_hosts_lines().at(0) + "\n",
                         0644));
  std::string out;
  ASSERT_TRUE(run_quiet({"ssh-keygen", "-H", "-f", known_hosts}, &out)) << out;
  const std::string hashed = read_file(known_hosts);
  ASSERT_EQ(hashed.find("127.0.0.1"), std::string::npos) << "ssh-keygen -H left the name in clear:\n" << hashed;
  ASSERT_NE(hashed.find("|1|"), std::string::npos);

  EXPECT_TRUE(forward_and_verify(options(sshd, known_hosts), tcp_forward_to(echo_.endpoint()), kBytes));
}

TEST_F(HostKey, RevokedKeyRefusedEvenIfAlsoListed) {
  SshdOptions so;
  so.host_key = KeyType::Ed25519;
  SshdServer sshd(so);
  sshd.authorize_key(user_key().public_line);
  ASSERT_TRUE(sshd.start());
  const std::string known_hosts = tmp_.file("known_hosts");
  const std::string line = sshd.known_hosts_lines().at(0);
  ASSERT_TRUE(write_file(known_hosts, "@revoked " + line + "\n" + line + "\n", 0644));
  const std::string err = expect_refused(sshd, options(sshd, known_hosts));
  EXPECT_NE(lower(err).find("revoked"), std::string::npos) << "stderr does not say the key is revoked";
}

// known_hosts holds only one of the server's five keys: the client must ask for that key's algorithm
// (ordering its host key algorithms by what it already knows) rather than fail on another type.
TEST_F(HostKey, KnownKeyTypeIsTheOneNegotiated) {
  SshdServer sshd;  // every host key type
  sshd.authorize_key(user_key().public_line);
  ASSERT_TRUE(sshd.start());
  const std::string known_hosts = tmp_.file("known_hosts");
  std::string line;
  for (const auto& k : sshd.host_keys()) {
    if (k.type == KeyType::Ecdsa384) line = sshd.host_pattern() + " " + k.public_line + "\n";
  }
  ASSERT_FALSE(line.empty());
  ASSERT_TRUE(write_file(known_hosts, line, 0644));
  EXPECT_TRUE(forward_and_verify(options(sshd, known_hosts), tcp_forward_to(echo_.endpoint()), kBytes));
  EXPECT_NE(sshd.log().find("kex: host key algorithm: ecdsa-sha2-nistp384"), std::string::npos);
}

}  // namespace

namespace {

// HostKeyAlias: the key is looked up, and recorded, under the alias (without the port).
TEST_F(HostKey, HostKeyAliasIsTheNameLookedUpAndRecorded) {
  SshdOptions so;
  so.host_key = KeyType::Ed25519;
  SshdServer sshd(so);
  sshd.authorize_key(user_key().public_line);
  ASSERT_TRUE(sshd.start());
  const std::string known_hosts = tmp_.file("known_hosts");
  ASSERT_TRUE(write_file(known_hosts, "db-primary " + sshd.host_keys().at(0).public_line + "\n", 0644));
  // Without the alias the file does not know [127.0.0.1]:PORT (refusals first: expect_refused reads
  // the server's whole log).
  expect_refused(sshd, options(sshd, known_hosts));
  ClientOptions o = options(sshd, known_hosts);
  o.options.push_back("HostKeyAlias=db-primary");
  EXPECT_TRUE(forward_and_verify(o, tcp_forward_to(echo_.endpoint()), kBytes));

  const std::string fresh = tmp_.file("known_hosts.new");
  o = options(sshd, fresh);
  o.strict_host_key_checking = "accept-new";
  o.options.push_back("HostKeyAlias=db-replica");
  EXPECT_TRUE(forward_and_verify(o, tcp_forward_to(echo_.endpoint()), kBytes, 2));
  EXPECT_EQ(read_file(fresh).rfind("db-replica ssh-ed25519 ", 0), 0u) << read_file(fresh);
}

// KnownHostsCommand: its output is one more known_hosts file, and it is told what is asked.
TEST_F(HostKey, KnownHostsCommandSuppliesTheKey) {
  SshdOptions so;
  so.host_key = KeyType::Ed25519;
  SshdServer sshd(so);
  sshd.authorize_key(user_key().public_line);
  ASSERT_TRUE(sshd.start());
  const std::string lines = tmp_.file("from-command");
  ASSERT_TRUE(sshd.write_known_hosts(lines));
  // A command that fails gives nothing: the host stays unknown (refusals first: expect_refused
  // reads the server's whole log).
  ClientOptions o = options(sshd, tmp_.file("empty_known_hosts"));
  o.options.push_back("KnownHostsCommand=/bin/sh -c 'cat " + lines + "; exit 1'");
  const std::string err = expect_refused(sshd, o);
  if (client_binary().find("sshplex") != std::string::npos) {
    EXPECT_NE(err.find("KnownHostsCommand /bin/sh failed (status 1)"), std::string::npos) << err;
  }

  const std::string asked = tmp_.file("asked");
  o = options(sshd, tmp_.file("empty_known_hosts"));
  // As ssh: an absolute path and its arguments, no shell; tokens expanded in each argument.
  o.options.push_back("KnownHostsCommand=/bin/sh -c 'echo \"$0\" >> " + asked + "; cat " + lines + "' '%H %I %t %f'");
  EXPECT_TRUE(forward_and_verify(o, tcp_forward_to(echo_.endpoint()), kBytes));
  const std::string log = read_file(asked);
  EXPECT_NE(log.find(sshd.host_pattern() + " HOSTNAME ssh-ed25519 " + sshd.host_keys().at(0).fingerprint),
            std::string::npos)
      << log;
}

// RevokedHostKeys refuses a key that known_hosts accepts; NoHostAuthenticationForLocalhost skips the
// check for a loopback host.
TEST_F(HostKey, RevokedHostKeysFileAndLoopbackExemption) {
  SshdOptions so;
  so.host_key = KeyType::Ed25519;
  SshdServer sshd(so);
  sshd.authorize_key(user_key().public_line);
  ASSERT_TRUE(sshd.start());
  const std::string known_hosts = tmp_.file("known_hosts");
  ASSERT_TRUE(sshd.write_known_hosts(known_hosts));
  const std::string revoked = tmp_.file("revoked_keys");
  ASSERT_TRUE(write_file(revoked, "# revoked\n" + sshd.host_keys().at(0).public_line + " old server\n", 0644));
  ClientOptions o = options(sshd, known_hosts);
  o.options.push_back("RevokedHostKeys=" + revoked);
  const std::string err = expect_refused(sshd, o);
  if (client_binary().find("sshplex") != std::string::npos) {
    EXPECT_NE(err.find("revoked by RevokedHostKeys " + revoked + ":2"), std::string::npos) << err;
  }

  o = options(sshd, tmp_.file("nothing_known"));
  o.options.push_back("NoHostAuthenticationForLocalhost=yes");
  EXPECT_TRUE(forward_and_verify(o, tcp_forward_to(echo_.endpoint()), kBytes, 3));
  EXPECT_FALSE(std::filesystem::exists(tmp_.file("nothing_known"))) << "nothing is recorded";
}

}  // namespace

namespace {

// CheckHostIP does nothing for a loopback address, as in ssh (the address logic itself is unit-tested
// in tests/unit/auth/host_key_policy_test.cpp with a routable address).
TEST_F(HostKey, CheckHostIpLeavesLoopbackAlone) {
  SshdOptions so;
  so.host_key = KeyType::Ed25519;
  SshdServer sshd(so);
  sshd.authorize_key(user_key().public_line);
  ASSERT_TRUE(sshd.start());
  const std::string port = std::to_string(sshd.port());
  const std::string known = tmp_.file("known_hosts");
  const std::string content = "[localhost]:" + port + " " + sshd.host_keys().at(0).public_line + "\n";
  ASSERT_TRUE(write_file(known, content, 0644));
  ClientOptions o = options(sshd, known);
  o.host = "localhost";
  o.options.push_back("CheckHostIP=yes");
  EXPECT_TRUE(forward_and_verify(o, tcp_forward_to(echo_.endpoint()), kBytes));
  EXPECT_EQ(read_file(known), content);
}

}  // namespace
