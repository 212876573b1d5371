// AddKeysToAgent (ssh_config(5)) end to end: an identity file's key, loaded to log in to a real
// sshd, ends up in a real ssh-agent that did not hold it, as ssh puts it there (sshconnect2.c's
// maybe_add_key_to_agent): with the key file's comment, with a lifetime when one is given, after a
// yes through SSH_ASKPASS for `ask`, and not at all for `no`.
// Run with SSHPLEX_TEST_CLIENT=/usr/bin/ssh to check the expectations against ssh itself.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "support/client_run.hpp"
#include "support/keys.hpp"
#include "support/ssh_agent.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;
using namespace std::chrono_literals;

class AddKeysToAgent : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    TESTSUPPORT_SKIP_IF(SshAgent::unavailable_reason());
    ASSERT_TRUE(agent_.start());
    ASSERT_EQ(agent_keys(), "") << "the agent must start empty";
  }

  // A fresh key (never in any agent), authorized for root on a started sshd.
  void start_sshd_for(const std::string& name, const std::string& passphrase = {}) {
    std::string error;
    key_ = generate_key(tmp_.str(), name, KeyType::Ed25519, passphrase, &error);
    ASSERT_FALSE(key_.private_path.empty()) << error;
    comment_ = "sshplex-test-" + name;
    sshd_.authorize_key(key_.public_line);
    ASSERT_TRUE(sshd_.start());
    ASSERT_TRUE(sshd_.write_known_hosts(tmp_.file("known_hosts")));
  }

  // Logs in with the identity file and the agent, runs `true`, and returns the client's stderr.
  std::string login(const std::vector<std::string>& options, std::optional<std::string> askpass = std::nullopt) {
    ClientOptions o;
    o.port = sshd_.port();
    o.known_hosts_file = tmp_.file("known_hosts");
    o.identities = {key_.private_path};
    o.auth_sock = agent_.socket_path();
    o.options = options;
    o.askpass_secret = std::move(askpass);
    o.no_command = false;
    o.command = {"true"};
    ClientRun client(o);
    EXPECT_TRUE(client.start());
    const ProcessResult r = client.wait_exit(30s);
    EXPECT_FALSE(r.timed_out);
    EXPECT_TRUE(r.exited);
    EXPECT_EQ(r.exit_code, 0) << client.stderr_text();
    askpass_prompts_ = client.askpass_prompts();
    return client.stderr_text();
  }

  // `ssh-add -L`: the agent's public keys with their comments; empty when it holds none (ssh-add
  // says "The agent has no identities." then).
  std::string agent_keys() const {
    std::string listed = agent_.list_keys();
    return listed.starts_with("The agent has no identities") ? std::string() : listed;
  }

  // The line `ssh-add -L` prints for our key: public key and the key file's comment.
  std::string agent_line() const { return key_.public_line + " " + comment_ + "\n"; }

  TempDir tmp_{"sshplex-addkeys"};
  SshAgent agent_;
  SshdServer sshd_;
  KeyPair key_;
  std::string comment_;
  std::string askpass_prompts_;
};

TEST_F(AddKeysToAgent, YesAddsTheKeyWithItsComment) {
  start_sshd_for("id_yes");
  const std::string err = login({"AddKeysToAgent=yes"});
  EXPECT_EQ(agent_keys(), agent_line());
  // ssh -v says so (debug1); sshplex -v the same words.
  EXPECT_NE(err.find("identity added to agent: " + key_.private_path), std::string::npos) << err;
  EXPECT_NE(sshd_.log().find(key_.fingerprint), std::string::npos);
}

TEST_F(AddKeysToAgent, EncryptedKeyIsAddedOnceUnlockedThroughAskpass) {
  const std::string passphrase = "correct horse battery staple";
  start_sshd_for("id_encrypted", passphrase);
  login({"AddKeysToAgent=yes"}, passphrase);
  EXPECT_NE(askpass_prompts_.find("Enter passphrase for key '" + key_.private_path + "'"), std::string::npos)
      << askpass_prompts_;
  EXPECT_EQ(agent_keys(), agent_line());
}

TEST_F(AddKeysToAgent, NoAndTheDefaultLeaveTheAgentEmpty) {
  start_sshd_for("id_no");
  login({"AddKeysToAgent=no"});
  EXPECT_EQ(agent_keys(), "");
  login({});
  EXPECT_EQ(agent_keys(), "");
}

TEST_F(AddKeysToAgent, ALifetimeAloneMeansYesUntilItRunsOut) {
  start_sshd_for("id_lifetime");
  const auto added = std::chrono::steady_clock::now();
  login({"AddKeysToAgent=4"});
  const std::string listed = agent_keys();
  if (std::chrono::steady_clock::now() - added < 4s) {
    EXPECT_EQ(listed, agent_line());
  }
  // ssh-agent drops expired keys when it next looks at its keys (at the latest each second).
  std::string now = listed;
  for (auto deadline = added + 15s; std::chrono::steady_clock::now() < deadline && !now.empty();) {
    std::this_thread::sleep_for(250ms);
    now = agent_keys();
  }
  EXPECT_EQ(now, "") << "the key outlived its lifetime";
}

TEST_F(AddKeysToAgent, ConfirmAddsTheKey) {
  start_sshd_for("id_confirm");
  login({"AddKeysToAgent=confirm"});
  EXPECT_EQ(agent_keys(), agent_line());
}

TEST_F(AddKeysToAgent, AskAddsTheKeyOnlyWhenTheUserAgrees) {
  start_sshd_for("id_ask");
  login({"AddKeysToAgent=ask"}, "no");
  EXPECT_NE(askpass_prompts_.find("Add key " + key_.private_path + " (" + comment_ + ") to agent?"), std::string::npos)
      << askpass_prompts_;
  EXPECT_EQ(agent_keys(), "");
  login({"AddKeysToAgent=ask"}, "yes");
  EXPECT_EQ(agent_keys(), agent_line());
}

TEST_F(AddKeysToAgent, AKeyTheAgentHoldsIsNotAddedAgain) {
  start_sshd_for("id_held");
  ASSERT_TRUE(agent_.add_key(key_.private_path));
  const std::string before = agent_keys();
  const std::string err = login({"AddKeysToAgent=yes"});
  EXPECT_EQ(agent_keys(), before);
  EXPECT_EQ(err.find("identity added to agent"), std::string::npos) << err;
}

}  // namespace
