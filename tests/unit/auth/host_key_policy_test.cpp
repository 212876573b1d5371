// The host key policy with files on disk and a routable server address (no connection needed):
// CheckHostIP, HostKeyAlias and RevokedHostKeys decisions.
#include "gateway/auth/host_key_policy.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ssh/crypto/base64.hpp"
#include "ssh/crypto/host_key.hpp"

namespace {

using namespace gateway::auth;

// Two distinct ed25519 public key blobs (from ssh-keygen; only their bytes matter here).
const char* const kServer = "AAAAC3NzaC1lZDI1NTE5AAAAIHp4q/nv8St6KDhsllpaPBur4YLi6tL21EJ6dIe9zw0s";
const char* const kOther = "AAAAC3NzaC1lZDI1NTE5AAAAIHc8fEg8QsoKhTIcQVcqMZF9FDZXyWE1aglcQ6XhZjPT";

class PolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sshplex-policy-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    settings_.host = "db.example";
    settings_.port = 22;
    settings_.user_files = {dir_ + "/known_hosts"};
    settings_.strict = StrictHostKeyChecking::yes;
    settings_.check_host_ip = true;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write_known(const std::string& text) { std::ofstream(dir_ + "/known_hosts") << text; }
  std::string read_known() const {
    std::ifstream in(dir_ + "/known_hosts");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static ssh::event::HostKey key(const char* base64) {
    ssh::event::HostKey k;
    k.algorithm = "ssh-ed25519";
    k.key_blob = *ssh::crypto::base64_decode(base64);
    k.fingerprint = ssh::crypto::sha256_fingerprint(k.key_blob);
    return k;
  }

  std::string dir_;
  HostKeyPolicySettings settings_;
};

TEST_F(PolicyTest, CheckHostIpRecordsAMissingAddress) {
  write_known(std::string("db.example ssh-ed25519 ") + kServer + "\n");
  EXPECT_TRUE(verify_host_key(settings_, key(kServer), "192.0.2.10"));
  EXPECT_EQ(read_known(),
            std::string("db.example ssh-ed25519 ") + kServer + "\n192.0.2.10 ssh-ed25519 " + kServer + "\n");
  // Known now: nothing more is written.
  EXPECT_TRUE(verify_host_key(settings_, key(kServer), "192.0.2.10"));
  EXPECT_EQ(read_known(),
            std::string("db.example ssh-ed25519 ") + kServer + "\n192.0.2.10 ssh-ed25519 " + kServer + "\n");
}

TEST_F(PolicyTest, CheckHostIpRefusesAnAddressWithAnotherKeyUnderStrictChecking) {
  write_known(std::string("db.example ssh-ed25519 ") + kServer + "\n192.0.2.10 ssh-ed25519 " + kOther + "\n");
  EXPECT_FALSE(verify_host_key(settings_, key(kServer), "192.0.2.10"));
  settings_.strict = StrictHostKeyChecking::accept_new;
  EXPECT_TRUE(verify_host_key(settings_, key(kServer), "192.0.2.10")) << "a warning only";
}

TEST_F(PolicyTest, CheckHostIpRecordsNameAndAddressTogetherForANewHost) {
  settings_.strict = StrictHostKeyChecking::accept_new;
  EXPECT_TRUE(verify_host_key(settings_, key(kServer), "192.0.2.10"));
  EXPECT_EQ(read_known(), std::string("db.example,192.0.2.10 ssh-ed25519 ") + kServer + "\n");
}

TEST_F(PolicyTest, CheckHostIpSkipsLoopbackLiteralsAndAliases) {
  write_known(std::string("db.example ssh-ed25519 ") + kServer + "\n");
  EXPECT_TRUE(verify_host_key(settings_, key(kServer), "127.0.0.1"));
  settings_.check_host_ip = false;
  EXPECT_TRUE(verify_host_key(settings_, key(kServer), "192.0.2.10"));
  EXPECT_EQ(read_known(), std::string("db.example ssh-ed25519 ") + kServer + "\n");
}

TEST_F(PolicyTest, RevokedHostKeysFileRefusesAndKrlRefusesEverything) {
  write_known(std::string("db.example ssh-ed25519 ") + kServer + "\n");
  std::ofstream(dir_ + "/revoked") << "ssh-ed25519 " << kOther << "\n";
  settings_.revoked_files = {dir_ + "/revoked"};
  EXPECT_TRUE(verify_host_key(settings_, key(kServer)));
  std::ofstream(dir_ + "/revoked", std::ios::app) << "ssh-ed25519 " << kServer << " retired\n";
  EXPECT_FALSE(verify_host_key(settings_, key(kServer)));
  std::ofstream(dir_ + "/revoked") << "SSHKRL\n";
  EXPECT_FALSE(verify_host_key(settings_, key(kServer))) << "a KRL cannot be read: refuse";
  settings_.revoked_files = {dir_ + "/missing"};
  EXPECT_FALSE(verify_host_key(settings_, key(kServer))) << "an unreadable file: refuse";
}

}  // namespace
