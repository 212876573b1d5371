// LocalCommand with PermitLocalCommand: run on this machine once connected, with its tokens; never
// without PermitLocalCommand yes.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;
using namespace std::chrono_literals;

class LocalCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    sshd_ = std::make_unique<SshdServer>(SshdOptions{});
    sshd_->authorize_key(key().public_line);
    ASSERT_TRUE(sshd_->start());
    ASSERT_TRUE(sshd_->write_known_hosts(tmp_.file("known_hosts")));
    ASSERT_TRUE(echo_.start_tcp());
  }
  static const KeyPair& key() { return cached_key(KeyType::Ed25519, "user"); }

  // Runs sshplex -N with a forward (to know when it is up) and the given options; returns once the
  // forward works, with the client still running.
  std::unique_ptr<ClientRun> start(const std::vector<std::string>& options) {
    ClientOptions o = client_options_for(sshd_->port(), tmp_.file("known_hosts"), key());
    o.options = options;
    const ForwardTarget fwd = tcp_forward_to(echo_.endpoint());
    o.local_forwards.push_back(fwd.spec);
    auto client = std::make_unique<ClientRun>(o);
    EXPECT_TRUE(client->start());
    EXPECT_TRUE(client->wait_forward(fwd.listen)) << client->stderr_text();
    return client;
  }

  TempDir tmp_{"sshplex-localcmd"};
  std::unique_ptr<SshdServer> sshd_;
  EchoServer echo_;
};

TEST_F(LocalCommandTest, RunsOnceConnectedWithTokensOnlyWhenPermitted) {
  const std::string out = tmp_.file("ran");
  const std::string command = "LocalCommand=echo %n %r %p %%done >> " + out;
  auto not_permitted = start({command});
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(std::filesystem::exists(out)) << "ran without PermitLocalCommand";
  not_permitted->stop();

  auto permitted = start({command, "PermitLocalCommand=yes"});
  const std::string expected = "127.0.0.1 root " + std::to_string(sshd_->port()) + " %done\n";
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (read_file(out) != expected && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(read_file(out), expected);
  EXPECT_TRUE(permitted->running());
  permitted->stop();
}

}  // namespace
