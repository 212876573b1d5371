// Host key policy: known_hosts decisions as the gateway applies them (StrictHostKeyChecking,
// accept-new writing the file, changed and revoked keys always refused).
#include "gateway/auth/host_key_policy.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gateway/util/log.hpp"
#include "ssh/crypto/host_key.hpp"
#include "ssh/keys/public_key.hpp"

namespace {

namespace fs = std::filesystem;
using gateway::auth::HostKeyPolicySettings;
using gateway::auth::StrictHostKeyChecking;

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class HostKeyPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway::log::set_level(gateway::log::Level::error);
    char templ[] = "/tmp/sshplex-hkp-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    dir_ = templ;
    for (const char* name : {"a", "b"}) {
      const fs::path key = dir_ / name;
      const std::string cmd = "ssh-keygen -q -t ed25519 -N '' -f " + key.string() + " >/dev/null 2>&1";
      ASSERT_EQ(std::system(cmd.c_str()), 0) << "ssh-keygen is needed for this test";
    }
    line_a_ = read_text(dir_ / "a.pub");
    line_b_ = read_text(dir_ / "b.pub");
    auto a = ssh::keys::parse_public_key_line(line_a_);
    auto b = ssh::keys::parse_public_key_line(line_b_);
    ASSERT_TRUE(a && b);
    key_a_.algorithm = key_b_.algorithm = "ssh-ed25519";
    key_a_.key_blob = a->blob;
    key_a_.fingerprint = ssh::crypto::sha256_fingerprint(a->blob);
    key_b_.key_blob = b->blob;
    key_b_.fingerprint = ssh::crypto::sha256_fingerprint(b->blob);
    settings_.host = "server.example";
    settings_.port = 2222;
    settings_.user_files = {(dir_ / "known_hosts").string()};
    settings_.prompt.batch_mode = true;
  }
  void TearDown() override {
    fs::remove_all(dir_);
    gateway::log::set_level(gateway::log::Level::info);
  }

  void write_known_hosts(const std::string& text) { std::ofstream(dir_ / "known_hosts") << text; }

  fs::path dir_;
  std::string line_a_, line_b_;
  ssh::event::HostKey key_a_, key_b_;
  HostKeyPolicySettings settings_;
};

TEST_F(HostKeyPolicyTest, KnownKeyIsAccepted) {
  write_known_hosts("[server.example]:2222 " + line_a_);
  settings_.strict = StrictHostKeyChecking::yes;
  EXPECT_TRUE(gateway::auth::verify_host_key(settings_, key_a_));
}

TEST_F(HostKeyPolicyTest, ChangedKeyIsRefusedEvenWithCheckingOff) {
  write_known_hosts("[server.example]:2222 " + line_a_);
  for (auto mode : {StrictHostKeyChecking::yes, StrictHostKeyChecking::accept_new, StrictHostKeyChecking::no}) {
    settings_.strict = mode;
    EXPECT_FALSE(gateway::auth::verify_host_key(settings_, key_b_));
  }
  EXPECT_EQ(read_text(dir_ / "known_hosts"), "[server.example]:2222 " + line_a_) << "file must be untouched";
}

TEST_F(HostKeyPolicyTest, UnknownHostRefusedWhenStrict) {
  settings_.strict = StrictHostKeyChecking::yes;
  EXPECT_FALSE(gateway::auth::verify_host_key(settings_, key_a_));
  EXPECT_FALSE(fs::exists(dir_ / "known_hosts"));
}

TEST_F(HostKeyPolicyTest, AskWithoutTerminalRefuses) {
  settings_.strict = StrictHostKeyChecking::ask;
  EXPECT_FALSE(gateway::auth::verify_host_key(settings_, key_a_));
}

TEST_F(HostKeyPolicyTest, AcceptNewRecordsTheKeyThenMatchesIt) {
  settings_.strict = StrictHostKeyChecking::accept_new;
  EXPECT_TRUE(gateway::auth::verify_host_key(settings_, key_a_));
  const std::string written = read_text(dir_ / "known_hosts");
  EXPECT_NE(written.find("[server.example]:2222 ssh-ed25519 "), std::string::npos) << written;
  settings_.strict = StrictHostKeyChecking::yes;
  EXPECT_TRUE(gateway::auth::verify_host_key(settings_, key_a_));
  EXPECT_FALSE(gateway::auth::verify_host_key(settings_, key_b_));
}

TEST_F(HostKeyPolicyTest, RevokedKeyIsRefused) {
  write_known_hosts("@revoked * " + line_a_ + "[server.example]:2222 " + line_a_);
  settings_.strict = StrictHostKeyChecking::no;
  EXPECT_FALSE(gateway::auth::verify_host_key(settings_, key_a_));
}

TEST_F(HostKeyPolicyTest, KnownKeyTypesComeFromTheFile) {
  write_known_hosts("[server.example]:2222 " + line_a_ + "other.example " + line_b_);
  const auto types = gateway::auth::known_host_key_types(settings_);
  ASSERT_EQ(types.size(), 1u);
  EXPECT_EQ(types[0], "ssh-ed25519");
}

}  // namespace
