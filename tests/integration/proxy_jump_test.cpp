// End-to-end ProxyJump (-J): the client reaches a destination sshd through one or two jump sshd
// instances on loopback (each with its own host key type and known_hosts entry), with a -L forward
// whose data is checked by SHA-256. The hops are configured the ssh way: Host blocks in the -F file
// (the destination's -o / -i options do not apply to jump hosts, in ssh as in sshplex).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/client_run.hpp"
#include "support/files.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;

constexpr std::size_t kBytes = 4 * 1024 * 1024;

bool is_sshplex() { return client_binary().find("sshplex") != std::string::npos; }

class ProxyJumpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
  }

  static SshdOptions with_key(KeyType type, std::vector<std::string> extra = {}) {
    SshdOptions o;
    o.host_key = type;
    o.log_level = "DEBUG1";  // names the direct-tcpip targets
    o.extra_lines = std::move(extra);
    return o;
  }

  // A Host block for a jump host at 127.0.0.1:port, logging in as root with the test key and
  // checking its host key strictly against `known_hosts`.
  static std::string host_block(const std::string& name, int port, const KeyPair& key,
                                const std::string& known_hosts) {
    return "Host " + name + "\n  HostName 127.0.0.1\n  Port " + std::to_string(port) +
           "\n  User root\n  IdentityFile " + key.private_path +
           "\n  IdentitiesOnly yes\n  UserKnownHostsFile " + known_hosts +
           "\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n  ConnectTimeout 10\n";
  }

  // sshd's debug line for a direct-tcpip open towards `to`.
  static std::string direct_tcpip_to(const SshdServer& to) {
    return "target 127.0.0.1 port " + std::to_string(to.port());
  }

  static bool append_known_hosts(const SshdServer& sshd, const std::string& path) {
    std::string text = read_file(path);
    for (const auto& line : sshd.known_hosts_lines()) text += line + "\n";
    return write_file(path, text, 0600);
  }

  // Runs the client to `dest` through the config's "bastion"; it must end by itself with 255.
  static void run_expecting_255(const SshdServer& dest, const std::string& known_hosts, const KeyPair& user_key,
                                const std::string& config, std::string& err) {
    ClientOptions options = client_options_for(dest.port(), known_hosts, user_key);
    options.extra_args = {"-F", config, "-J", "bastion"};
    ClientRun client(options);
    ASSERT_TRUE(client.start());
    ProcessResult r = client.wait_exit();
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 255);
    err = client.stderr_text();
  }
};

TEST_F(ProxyJumpTest, OneJumpHostCarriesForwardIntact) {
  const KeyPair& user_key = cached_key(KeyType::Ed25519, "user");
  SshdServer jump(with_key(KeyType::Ecdsa256));
  SshdServer dest(with_key(KeyType::Ed25519));
  for (SshdServer* s : {&jump, &dest}) {
    s->authorize_key(user_key.public_line);
    ASSERT_TRUE(s->start());
  }
  TempDir tmp("sshplex-jump");
  const std::string known_hosts = tmp.file("known_hosts");
  ASSERT_TRUE(append_known_hosts(jump, known_hosts));
  ASSERT_TRUE(append_known_hosts(dest, known_hosts));
  // Host * also covers the jump host named by address, user and port on the command line.
  const std::string config = tmp.file("config");
  ASSERT_TRUE(write_file(config,
                         "Host *\n  IdentityFile " + user_key.private_path + "\n  IdentitiesOnly yes\n"
                             "  UserKnownHostsFile " + known_hosts +
                             "\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n",
                         0600));
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());

  ClientOptions options = client_options_for(dest.port(), known_hosts, user_key);
  options.extra_args = {"-F", config, "-J", "root@127.0.0.1:" + std::to_string(jump.port())};
  EXPECT_TRUE(forward_and_verify(options, tcp_forward_to(echo.endpoint()), kBytes));
  // The jump host's sshd opened the connection to the destination for us.
  EXPECT_NE(jump.log().find(direct_tcpip_to(dest)), std::string::npos) << "the jump host opened no channel";
  EXPECT_NE(dest.log().find("Accepted publickey for root"), std::string::npos);
}

TEST_F(ProxyJumpTest, TwoJumpHostsCarryForwardIntact) {
  const KeyPair& user_key = cached_key(KeyType::Ed25519, "user");
  SshdServer jump1(with_key(KeyType::Ecdsa256));
  SshdServer jump2(with_key(KeyType::Ecdsa384));
  SshdServer dest(with_key(KeyType::Ed25519));
  for (SshdServer* s : {&jump1, &jump2, &dest}) {
    s->authorize_key(user_key.public_line);
    ASSERT_TRUE(s->start());
  }
  TempDir tmp("sshplex-jump2");
  const std::string known_hosts = tmp.file("known_hosts");
  for (SshdServer* s : {&jump1, &jump2, &dest}) ASSERT_TRUE(append_known_hosts(*s, known_hosts));
  const std::string config = tmp.file("config");
  ASSERT_TRUE(write_file(config,
                         host_block("bastion-one", jump1.port(), user_key, known_hosts) +
                             host_block("bastion-two", jump2.port(), user_key, known_hosts),
                         0600));
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());

  ClientOptions options = client_options_for(dest.port(), known_hosts, user_key);
  options.extra_args = {"-F", config, "-J", "bastion-one,bastion-two"};
  EXPECT_TRUE(forward_and_verify(options, tcp_forward_to(echo.endpoint()), kBytes, 7));
  EXPECT_NE(jump1.log().find(direct_tcpip_to(jump2)), std::string::npos) << "first hop opened no channel";
  EXPECT_NE(jump2.log().find(direct_tcpip_to(dest)), std::string::npos) << "second hop opened no channel";
  EXPECT_NE(jump2.log().find("Accepted publickey for root"), std::string::npos);
  EXPECT_NE(dest.log().find("Accepted publickey for root"), std::string::npos);
}

TEST_F(ProxyJumpTest, UnknownJumpHostKeyIsRefused) {
  const KeyPair& user_key = cached_key(KeyType::Ed25519, "user");
  SshdServer jump(with_key(KeyType::Ecdsa256));
  SshdServer dest(with_key(KeyType::Ed25519));
  for (SshdServer* s : {&jump, &dest}) {
    s->authorize_key(user_key.public_line);
    ASSERT_TRUE(s->start());
  }
  TempDir tmp("sshplex-jump-hk");
  const std::string known_hosts = tmp.file("known_hosts");
  ASSERT_TRUE(append_known_hosts(dest, known_hosts));  // only the destination is known
  const std::string config = tmp.file("config");
  ASSERT_TRUE(write_file(config, host_block("bastion", jump.port(), user_key, known_hosts), 0600));

  std::string err;
  ASSERT_NO_FATAL_FAILURE(run_expecting_255(dest, known_hosts, user_key, config, err));
  EXPECT_NE(err.find("Host key verification failed"), std::string::npos) << err;
  if (is_sshplex()) {
    EXPECT_NE(err.find("jump host bastion"), std::string::npos) << err;
  }
  // Nothing reached the destination: no key of ours was offered there.
  EXPECT_EQ(dest.log().find("Accepted publickey"), std::string::npos);
}

TEST_F(ProxyJumpTest, JumpHostRefusingTheChannelIsReported) {
  const KeyPair& user_key = cached_key(KeyType::Ed25519, "user");
  SshdServer jump(with_key(KeyType::Ecdsa256, {"DisableForwarding yes"}));
  SshdServer dest(with_key(KeyType::Ed25519));
  for (SshdServer* s : {&jump, &dest}) {
    s->authorize_key(user_key.public_line);
    ASSERT_TRUE(s->start());
  }
  TempDir tmp("sshplex-jump-deny");
  const std::string known_hosts = tmp.file("known_hosts");
  ASSERT_TRUE(append_known_hosts(jump, known_hosts));
  ASSERT_TRUE(append_known_hosts(dest, known_hosts));
  const std::string config = tmp.file("config");
  ASSERT_TRUE(write_file(config, host_block("bastion", jump.port(), user_key, known_hosts), 0600));

  std::string err;
  ASSERT_NO_FATAL_FAILURE(run_expecting_255(dest, known_hosts, user_key, config, err));
  if (is_sshplex()) {
    EXPECT_NE(err.find("jump host bastion: cannot open a channel to 127.0.0.1 port " + std::to_string(dest.port()) +
                       ": administratively prohibited"),
              std::string::npos)
        << err;
  } else {
    EXPECT_NE(err.find("administratively prohibited"), std::string::npos) << err;
  }
}

TEST_F(ProxyJumpTest, JumpHostRefusingTheUserKeyIsReported) {
  const KeyPair& user_key = cached_key(KeyType::Ed25519, "user");
  SshdServer jump(with_key(KeyType::Ecdsa256));  // our key is not authorized here
  SshdServer dest(with_key(KeyType::Ed25519));
  dest.authorize_key(user_key.public_line);
  ASSERT_TRUE(jump.start());
  ASSERT_TRUE(dest.start());
  TempDir tmp("sshplex-jump-auth");
  const std::string known_hosts = tmp.file("known_hosts");
  ASSERT_TRUE(append_known_hosts(jump, known_hosts));
  ASSERT_TRUE(append_known_hosts(dest, known_hosts));
  const std::string config = tmp.file("config");
  ASSERT_TRUE(write_file(config, host_block("bastion", jump.port(), user_key, known_hosts), 0600));

  std::string err;
  ASSERT_NO_FATAL_FAILURE(run_expecting_255(dest, known_hosts, user_key, config, err));
  if (is_sshplex()) {
    EXPECT_NE(err.find("jump host bastion: root@127.0.0.1: Permission denied (publickey"), std::string::npos) << err;
  } else {
    EXPECT_NE(err.find("Permission denied (publickey"), std::string::npos) << err;
  }
}

TEST_F(ProxyJumpTest, LosingTheJumpHostEndsTheSessionNamingIt) {
  const KeyPair& user_key = cached_key(KeyType::Ed25519, "user");
  SshdServer jump(with_key(KeyType::Ecdsa256));
  SshdServer dest(with_key(KeyType::Ed25519));
  for (SshdServer* s : {&jump, &dest}) {
    s->authorize_key(user_key.public_line);
    ASSERT_TRUE(s->start());
  }
  TempDir tmp("sshplex-jump-lost");
  const std::string known_hosts = tmp.file("known_hosts");
  ASSERT_TRUE(append_known_hosts(jump, known_hosts));
  ASSERT_TRUE(append_known_hosts(dest, known_hosts));
  const std::string config = tmp.file("config");
  ASSERT_TRUE(write_file(config, host_block("bastion", jump.port(), user_key, known_hosts), 0600));
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  const ForwardTarget fwd = tcp_forward_to(echo.endpoint());

  ClientOptions options = client_options_for(dest.port(), known_hosts, user_key);
  options.extra_args = {"-F", config, "-J", "bastion"};
  if (is_sshplex()) options.options = {"Reconnect=no"};  // exit as ssh does instead of reconnecting
  options.local_forwards.push_back(fwd.spec);
  ClientRun client(options);
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(fwd.listen));
  jump.stop();  // the listener and its per-connection processes: the hop's TCP connection dies
  ProcessResult r = client.wait_exit();
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 255);
  if (is_sshplex()) {
    EXPECT_NE(client.stderr_text().find("jump host bastion: "), std::string::npos) << client.stderr_text();
  }
}

TEST_F(ProxyJumpTest, MalformedJumpSpecIsRefused) {
  ClientOptions options;
  options.port = 22;
  options.extra_args = {"-J", "bastion:notaport"};
  ClientRun client(options);
  ASSERT_TRUE(client.start());
  ProcessResult r = client.wait_exit();
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 255);
  if (is_sshplex()) {
    EXPECT_NE(client.stderr_text().find("invalid port \"notaport\""), std::string::npos) << client.stderr_text();
  }
}

}  // namespace
