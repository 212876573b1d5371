// End-to-end: sshd forces frequent key re-exchanges (RFC 4253 §9) by volume and by time while data
// flows through a -L forward; every byte must survive the key changes (SHA-256 compared).
#include <gtest/gtest.h>

#include <thread>

#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;

// Each completed key exchange, the first included, ends with the peer's NEWKEYS.
std::size_t key_exchanges(const SshdServer& sshd) {
  return count_occurrences(sshd.log(), "SSH2_MSG_NEWKEYS received");
}

class Rekey : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
  }
};

TEST_F(Rekey, ByVolumeWhileFiftyMegabytesFlow) {
  SshdOptions o;
  o.rekey_limit = "1M";
  // ~100 re-exchanges: use a cheap KEX so the test measures correctness, not post-quantum keygen.
  o.kex_algorithms = "curve25519-sha256";
  SshdServer sshd(o);
  const KeyPair& key = cached_key(KeyType::Ed25519, "user");
  sshd.authorize_key(key.public_line);
  ASSERT_TRUE(sshd.start());
  TempDir tmp("sshplex-rekey");
  ASSERT_TRUE(sshd.write_known_hosts(tmp.file("known_hosts")));
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());

  ForwardTarget fwd = tcp_forward_to(echo.endpoint());
  ClientOptions opts = client_options_for(sshd.port(), tmp.file("known_hosts"), key);
  opts.local_forwards.push_back(fwd.spec);
  ClientRun client(opts);
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(fwd.listen));

  constexpr std::size_t kBytes = 50u * 1024 * 1024;
  TransferResult r = echo_transfer(fwd.listen, kBytes, 42, std::chrono::seconds(120));
  EXPECT_TRUE(r.ok) << r.error << " (sent " << r.sent << ", received " << r.received << ")";
  // 50 MiB each way with a 1 MiB limit: dozens of re-exchanges, not just the initial one.
  EXPECT_GE(key_exchanges(sshd), 20u);
  EXPECT_TRUE(client.running());
}

TEST_F(Rekey, ByTimeOnAnIdleConnection) {
  SshdOptions o;
  o.rekey_limit = "default 1s";
  o.kex_algorithms = "curve25519-sha256";
  SshdServer sshd(o);
  const KeyPair& key = cached_key(KeyType::Ed25519, "user");
  sshd.authorize_key(key.public_line);
  ASSERT_TRUE(sshd.start());
  TempDir tmp("sshplex-rekey");
  ASSERT_TRUE(sshd.write_known_hosts(tmp.file("known_hosts")));
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());

  ForwardTarget fwd = tcp_forward_to(echo.endpoint());
  ClientOptions opts = client_options_for(sshd.port(), tmp.file("known_hosts"), key);
  opts.local_forwards.push_back(fwd.spec);
  ClientRun client(opts);
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(fwd.listen));
  const std::size_t before = key_exchanges(sshd);

  TransferResult first = echo_transfer(fwd.listen, 256 * 1024, 7);
  EXPECT_TRUE(first.ok) << first.error;
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  TransferResult second = echo_transfer(fwd.listen, 1024 * 1024, 8);
  EXPECT_TRUE(second.ok) << second.error;
  EXPECT_GE(key_exchanges(sshd), before + 2) << "sshd did not re-key by time";
  EXPECT_TRUE(client.running());
}

}  // namespace
