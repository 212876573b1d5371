// Keys added through AgentClient::add_identity land in a real OpenSSH ssh-agent as ssh-add would
// put them there: `ssh-add -L` lists the same public key with our comment, and the agent signs
// with it (the signature checked against the public key).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "gateway/auth/agent_client.hpp"
#include "ssh/crypto/host_key.hpp"
#include "ssh/keys/private_key.hpp"
#include "unit/keys/key_test_support.hpp"

namespace {

// ssh-agent -D on a socket in a scratch directory, stopped with the fixture.
class AgentAddIdentity : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!keytest::run("command -v ssh-agent && command -v ssh-add && command -v ssh-keygen")) {
      GTEST_SKIP() << "ssh-agent / ssh-add / ssh-keygen not installed";
    }
    socket_ = dir_.file("agent.sock");
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      std::freopen("/dev/null", "w", stdout);
      ::execlp("ssh-agent", "ssh-agent", "-D", "-a", socket_.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    std::string error;
    for (int i = 0; i < 200 && !agent_; ++i) {
      agent_ = gateway::auth::AgentClient::connect(socket_, error);
      if (!agent_) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ASSERT_TRUE(agent_) << error;
  }

  void TearDown() override {
    agent_.reset();
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  // Output of `ssh-add ARG` against our agent.
  std::string ssh_add(const std::string& arg) {
    const std::string out = dir_.file("ssh-add.out");
    std::system(
        ("SSH_AUTH_SOCK=" + keytest::quote(socket_) + " ssh-add " + arg + " >" + keytest::quote(out) + " 2>/dev/null")
            .c_str());
    return keytest::read_file(out);
  }

  keytest::ScratchDir dir_;
  std::string socket_;
  pid_t pid_ = -1;
  std::unique_ptr<gateway::auth::AgentClient> agent_;
};

// "type base64" of a .pub line, without its comment.
std::string key_part(const std::string& line) {
  const auto first = line.find(' ');
  const auto second = line.find_first_of(" \n", first + 1);
  return line.substr(0, second);
}

TEST_F(AgentAddIdentity, EveryKeyTypeIsListedAndSignsThroughTheAgent) {
  struct Spec {
    const char* args;
    const char* algorithm;
  };
  const std::vector<Spec> specs = {{"-t ed25519", "ssh-ed25519"},
                                   {"-t ecdsa -b 256", "ecdsa-sha2-nistp256"},
                                   {"-t ecdsa -b 384", "ecdsa-sha2-nistp384"},
                                   {"-t ecdsa -b 521", "ecdsa-sha2-nistp521"},
                                   {"-t rsa -b 2048", "rsa-sha2-512"}};
  int n = 0;
  for (const auto& spec : specs) {
    SCOPED_TRACE(spec.algorithm);
    const std::string path = dir_.file("id_" + std::to_string(n++));
    ASSERT_TRUE(keytest::run(std::string("ssh-keygen -q ") + spec.args + " -N '' -C 'file comment' -f " +
                             keytest::quote(path)));
    auto loaded = ssh::keys::load_private_key(ssh::as_bytes(keytest::read_file(path)), "");
    ASSERT_EQ(loaded.status, ssh::keys::LoadStatus::ok) << loaded.message;
    auto key = loaded.signer->agent_private_key();
    ASSERT_TRUE(key);

    std::string error;
    ASSERT_TRUE(agent_->add_identity(*key, path, {}, error)) << error;

    const std::string listed = ssh_add("-L");
    EXPECT_EQ(listed, key_part(keytest::read_file(path + ".pub")) + " " + path + "\n");

    auto identities = agent_->identities(error);
    ASSERT_TRUE(identities) << error;
    ASSERT_EQ(identities->size(), 1u);
    EXPECT_EQ((*identities)[0].key_blob, loaded.signer->public_blob());
    EXPECT_EQ((*identities)[0].comment, path);

    const std::string data = "data to sign " + path;
    auto signature = agent_->sign(loaded.signer->public_blob(), ssh::as_bytes(data), spec.algorithm, error);
    ASSERT_TRUE(signature) << error;
    EXPECT_TRUE(
        ssh::crypto::verify_signature(spec.algorithm, loaded.signer->public_blob(), *signature, ssh::as_bytes(data)));

    ssh_add("-D");
    EXPECT_EQ(ssh_add("-L").find(key_part(listed)), std::string::npos);
  }
}

TEST_F(AgentAddIdentity, ConstrainedKeysAreAccepted) {
  const std::string path = dir_.file("id");
  ASSERT_TRUE(keytest::run("ssh-keygen -q -t ed25519 -N '' -C c -f " + keytest::quote(path)));
  auto loaded = ssh::keys::load_private_key(ssh::as_bytes(keytest::read_file(path)), "");
  ASSERT_EQ(loaded.status, ssh::keys::LoadStatus::ok);
  auto key = loaded.signer->agent_private_key();
  ASSERT_TRUE(key);
  ssh::agent::KeyConstraints constraints;
  constraints.lifetime_seconds = 600;
  constraints.confirm = true;
  std::string error;
  ASSERT_TRUE(agent_->add_identity(*key, "constrained", constraints, error)) << error;
  EXPECT_NE(ssh_add("-L").find(key_part(keytest::read_file(path + ".pub")) + " constrained"), std::string::npos);
}

TEST_F(AgentAddIdentity, TheAgentsRefusalIsAnError) {
  const ssh::Bytes garbage = {0, 0, 0, 7, 'n', 'o', '-', 's', 'u', 'c', 'h', 0, 0, 0, 0};
  std::string error;
  EXPECT_FALSE(agent_->add_identity(garbage, "x", {}, error));
  EXPECT_EQ(error, "agent refused the key");
  EXPECT_EQ(ssh_add("-L").find("no-such"), std::string::npos);
}

}  // namespace
