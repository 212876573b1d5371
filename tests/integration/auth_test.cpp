// End-to-end user authentication (RFC 4252, RFC 4256) of the client against OpenSSH sshd: encrypted
// keys unlocked through SSH_ASKPASS, keys held by a real ssh-agent, passwords, keyboard-interactive,
// two-step AuthenticationMethods, and the failures that must end with exit status 255, not a hang.
#include <gtest/gtest.h>

#include "support/client_run.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"
#include "support/ssh_agent.hpp"
#include "support/sshd_server.hpp"
#include "support/test_user.hpp"

namespace {

using namespace testsupport;

constexpr std::size_t kBytes = 256 * 1024;
constexpr auto kFailureTimeout = std::chrono::seconds(30);

class Auth : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    ASSERT_TRUE(echo_.start_tcp());
  }

  // Starts sshd and writes a known_hosts file for it.
  ::testing::AssertionResult start(SshdServer& sshd) {
    auto r = sshd.start();
    if (!r) return r;
    if (!sshd.write_known_hosts(tmp_.file("known_hosts"))) return ::testing::AssertionFailure() << "known_hosts";
    return ::testing::AssertionSuccess();
  }
  ClientOptions options(const SshdServer& sshd, const std::string& user = "root") const {
    ClientOptions o;
    o.port = sshd.port();
    o.user = user;
    o.known_hosts_file = tmp_.file("known_hosts");
    return o;
  }

  TempDir tmp_{"sshplex-auth"};
  EchoServer echo_;
};

TEST_F(Auth, EncryptedKeyPassphraseFromAskpass) {
  const std::string passphrase = "correct horse battery staple";
  std::string error;
  KeyPair key = generate_key(tmp_.str(), "id_encrypted", KeyType::Ed25519, passphrase, &error);
  ASSERT_FALSE(key.private_path.empty()) << error;
  SshdServer sshd;
  sshd.authorize_key(key.public_line);
  ASSERT_TRUE(start(sshd));

  ClientOptions o = options(sshd);
  o.identities = {key.private_path};
  o.askpass_secret = passphrase;
  EXPECT_TRUE(forward_and_verify(o, tcp_forward_to(echo_.endpoint()), kBytes));
  EXPECT_NE(sshd.log().find("Accepted publickey for root"), std::string::npos);
  EXPECT_NE(sshd.log().find(key.fingerprint), std::string::npos);
}

TEST_F(Auth, WrongPassphraseIsDeniedWithoutHanging) {
  std::string error;
  KeyPair key = generate_key(tmp_.str(), "id_encrypted", KeyType::Ed25519, "the real passphrase", &error);
  ASSERT_FALSE(key.private_path.empty()) << error;
  SshdServer sshd;
  sshd.authorize_key(key.public_line);
  ASSERT_TRUE(start(sshd));

  ClientOptions o = options(sshd);
  o.identities = {key.private_path};
  o.askpass_secret = "not the passphrase";
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ProcessResult r = client.wait_exit(kFailureTimeout);
  EXPECT_FALSE(r.timed_out) << "client hung after a wrong passphrase";
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 255);
  EXPECT_NE(client.stderr_text().find("Permission denied"), std::string::npos);
  EXPECT_FALSE(client.askpass_prompts().empty()) << "the passphrase was never asked through SSH_ASKPASS";
  EXPECT_EQ(sshd.log().find("Accepted publickey"), std::string::npos);
}

TEST_F(Auth, UnacceptableKeyIsDenied) {
  SshdServer sshd;
  sshd.authorize_key(cached_key(KeyType::Ed25519, "user").public_line);
  ASSERT_TRUE(start(sshd));

  ClientOptions o = options(sshd);
  o.identities = {cached_key(KeyType::Ed25519, "stranger").private_path};
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ProcessResult r = client.wait_exit(kFailureTimeout);
  EXPECT_FALSE(r.timed_out);
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 255);
  EXPECT_NE(client.stderr_text().find("Permission denied"), std::string::npos);
  EXPECT_EQ(sshd.log().find("Accepted publickey"), std::string::npos);
}

class AgentAuth : public Auth {
 protected:
  void SetUp() override {
    Auth::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    TESTSUPPORT_SKIP_IF(SshAgent::unavailable_reason());
    ASSERT_TRUE(agent_.start());
    ASSERT_TRUE(agent_.add_key(key().private_path));
    ASSERT_NE(agent_.list_keys().find(key().public_line), std::string::npos);
  }
  static const KeyPair& key() { return cached_key(KeyType::Ecdsa256, "agent"); }

  SshAgent agent_;
};

TEST_F(AgentAuth, KeyFromSshAuthSock) {
  SshdServer sshd;
  sshd.authorize_key(key().public_line);
  ASSERT_TRUE(start(sshd));
  ClientOptions o = options(sshd);
  o.identities_only = false;  // no -i: the agent's keys are the only candidates
  o.auth_sock = agent_.socket_path();
  EXPECT_TRUE(forward_and_verify(o, tcp_forward_to(echo_.endpoint()), kBytes));
  EXPECT_NE(sshd.log().find(key().fingerprint), std::string::npos);
}

TEST_F(AgentAuth, KeyFromIdentityAgentOption) {
  SshdServer sshd;
  sshd.authorize_key(key().public_line);
  ASSERT_TRUE(start(sshd));
  ClientOptions o = options(sshd);
  o.identities_only = false;
  o.options.push_back("IdentityAgent=" + agent_.socket_path());
  EXPECT_TRUE(forward_and_verify(o, tcp_forward_to(echo_.endpoint()), kBytes));
  EXPECT_NE(sshd.log().find(key().fingerprint), std::string::npos);
}

// Password and keyboard-interactive need the local sshplex-test account (root only).
class PasswordAuth : public Auth {
 protected:
  void SetUp() override {
    Auth::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    std::string reason;
    if (!ensure_test_user(&user_, &reason)) GTEST_SKIP() << reason;
  }
  TestUser user_;
};

TEST_F(PasswordAuth, PasswordFromAskpass) {
  SshdOptions so;
  so.pubkey_authentication = false;
  so.password_authentication = true;
  SshdServer sshd(so);
  ASSERT_TRUE(start(sshd));
  ClientOptions o = options(sshd, user_.name);
  o.askpass_secret = user_.password;
  EXPECT_TRUE(forward_and_verify(o, tcp_forward_to(echo_.endpoint()), kBytes));
  EXPECT_NE(sshd.log().find("Accepted password for " + user_.name), std::string::npos);
}

TEST_F(PasswordAuth, WrongPasswordIsDenied) {
  SshdOptions so;
  so.pubkey_authentication = false;
  so.password_authentication = true;
  SshdServer sshd(so);
  ASSERT_TRUE(start(sshd));
  ClientOptions o = options(sshd, user_.name);
  o.askpass_secret = user_.password + "-wrong";
  o.options.push_back("NumberOfPasswordPrompts=2");
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ProcessResult r = client.wait_exit(kFailureTimeout);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 255);
  EXPECT_NE(client.stderr_text().find("Permission denied"), std::string::npos);
  EXPECT_EQ(sshd.log().find("Accepted password"), std::string::npos);
}

TEST_F(PasswordAuth, PublicKeyThenPasswordPartialSuccess) {
  SshdOptions so;
  so.password_authentication = true;
  so.authentication_methods = "publickey,password";
  SshdServer sshd(so);
  const KeyPair& key = cached_key(KeyType::Ed25519, "user");
  sshd.authorize_key(key.public_line);
  ASSERT_TRUE(start(sshd));
  ClientOptions o = options(sshd, user_.name);
  o.identities = {key.private_path};
  o.askpass_secret = user_.password;
  EXPECT_TRUE(forward_and_verify(o, tcp_forward_to(echo_.endpoint()), kBytes));
  const std::string log = sshd.log();
  EXPECT_NE(log.find("Partial publickey for " + user_.name), std::string::npos);
  EXPECT_NE(log.find("Accepted password for " + user_.name), std::string::npos);
}

TEST_F(PasswordAuth, KeyboardInteractiveFromAskpass) {
  TESTSUPPORT_SKIP_IF(SshdServer::kbd_interactive_unavailable_reason());
  SshdOptions so;
  so.pubkey_authentication = false;
  so.kbd_interactive_authentication = true;
  so.use_pam = true;  // OpenSSH on Linux has no keyboard-interactive device without PAM
  SshdServer sshd(so);
  ASSERT_TRUE(start(sshd));
  ClientOptions o = options(sshd, user_.name);
  o.askpass_secret = user_.password;
  o.options.push_back("PreferredAuthentications=keyboard-interactive");
  EXPECT_TRUE(forward_and_verify(o, tcp_forward_to(echo_.endpoint()), kBytes));
  EXPECT_NE(sshd.log().find("Accepted keyboard-interactive/pam for " + user_.name), std::string::npos);
}

}  // namespace
