// End-to-end against a second, independent server implementation: Dropbear. Public-key logins
// (ed25519, RSA with SHA-2 signatures) and each cipher Dropbear 2022.83 offers, forced from the client
// side (Dropbear has no server option for it), with a -L forward and a SHA-256 check of the data.
#include <gtest/gtest.h>

#include <cctype>

#include "support/client_run.hpp"
#include "support/dropbear_server.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;

constexpr std::size_t kBytes = 1024 * 1024;

class Dropbear : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(DropbearServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    ASSERT_TRUE(echo_.start_tcp());
  }
  ::testing::AssertionResult start(DropbearServer& server) {
    auto r = server.start();
    if (!r) return r;
    if (!server.write_known_hosts(tmp_.file("known_hosts"))) return ::testing::AssertionFailure() << "known_hosts";
    return ::testing::AssertionSuccess();
  }

  TempDir tmp_{"sshplex-dropbear-client"};
  EchoServer echo_;
};

class DropbearUserKey : public Dropbear, public ::testing::WithParamInterface<KeyType> {};

TEST_P(DropbearUserKey, PublicKeyLoginThenForward) {
  const KeyPair& key = cached_key(GetParam(), "user");
  DropbearServer server;
  server.authorize_key(key.public_line);
  ASSERT_TRUE(start(server));
  ClientOptions o = client_options_for(server.port(), tmp_.file("known_hosts"), key, server.user().name);
  EXPECT_TRUE(forward_and_verify(o, tcp_forward_to(echo_.endpoint()), kBytes));
  EXPECT_NE(server.log().find("Pubkey auth succeeded for '" + server.user().name + "'"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Keys, DropbearUserKey, ::testing::Values(KeyType::Ed25519, KeyType::Rsa3072),
                         [](const ::testing::TestParamInfo<KeyType>& p) { return key_type_name(p.param); });

// One client option forced per case ("Ciphers=aes128-ctr"...): Dropbear offers its whole set.
class DropbearAlgorithm : public Dropbear, public ::testing::WithParamInterface<std::string> {};

TEST_P(DropbearAlgorithm, ForcedAlgorithmCarriesDataIntact) {
  const KeyPair& key = cached_key(KeyType::Ed25519, "user");
  DropbearServer server;
  server.authorize_key(key.public_line);
  ASSERT_TRUE(start(server));
  ClientOptions o = client_options_for(server.port(), tmp_.file("known_hosts"), key, server.user().name);
  std::string option = GetParam();
  std::size_t plus = option.find('+');  // "A+B": two options at once (a MAC needs a non-AEAD cipher)
  while (plus != std::string::npos) {
    o.options.push_back(option.substr(0, plus));
    option = option.substr(plus + 1);
    plus = option.find('+');
  }
  o.options.push_back(option);
  EXPECT_TRUE(forward_and_verify(o, tcp_forward_to(echo_.endpoint()), kBytes));
}

std::string option_name(const ::testing::TestParamInfo<std::string>& p) {
  std::string out;
  for (char c : p.param.substr(p.param.rfind('=') + 1)) {
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  }
  return out;
}

// Debian's dropbear 2022.83 is built without the AES-GCM modes, hmac-sha2-512 and
// diffie-hellman-group16-sha512 ("No matching algo" in its log), so those are not listed.
INSTANTIATE_TEST_SUITE_P(Cipher, DropbearAlgorithm,
                         ::testing::Values("Ciphers=chacha20-poly1305@openssh.com", "Ciphers=aes128-ctr",
                                           "Ciphers=aes256-ctr"),
                         option_name);
INSTANTIATE_TEST_SUITE_P(Mac, DropbearAlgorithm, ::testing::Values("Ciphers=aes128-ctr+MACs=hmac-sha2-256"),
                         option_name);
INSTANTIATE_TEST_SUITE_P(Kex, DropbearAlgorithm,
                         ::testing::Values("KexAlgorithms=curve25519-sha256",
                                           "KexAlgorithms=curve25519-sha256@libssh.org",
                                           "KexAlgorithms=ecdh-sha2-nistp256", "KexAlgorithms=ecdh-sha2-nistp384",
                                           "KexAlgorithms=ecdh-sha2-nistp521",
                                           "KexAlgorithms=diffie-hellman-group14-sha256"),
                         option_name);

TEST_F(Dropbear, UnknownKeyIsDenied) {
  DropbearServer server;
  server.authorize_key(cached_key(KeyType::Ed25519, "user").public_line);
  ASSERT_TRUE(start(server));
  ClientOptions o = client_options_for(server.port(), tmp_.file("known_hosts"),
                                       cached_key(KeyType::Ed25519, "stranger"), server.user().name);
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ProcessResult r = client.wait_exit(std::chrono::seconds(30));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 255);
  EXPECT_NE(client.stderr_text().find("Permission denied"), std::string::npos);
}

}  // namespace
