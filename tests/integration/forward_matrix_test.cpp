// End-to-end: the client (sshplex, or stock ssh via SSHPLEX_TEST_CLIENT) against a real OpenSSH sshd
// with one algorithm forced at a time, data pushed through a -L forward to an echo server and checked
// by SHA-256. The sshd debug log confirms the forced algorithm was the one negotiated.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "support/client_run.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;

constexpr std::size_t kBytes = 2 * 1024 * 1024;

// Every forward test: skip cleanly where sshd cannot run or the client is missing.
class ForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
  }
};

struct AlgoCase {
  std::string name;  // gtest parameter name
  SshdOptions sshd;
  std::string log_needle;                        // must appear in the sshd log once the connection is up
  std::vector<std::string> client_options = {};  // -o settings forcing the choice from the client side
};

// Readable parameter in failure messages instead of a byte dump.
void PrintTo(const AlgoCase& c, std::ostream* os) {
  *os << c.name;
}

std::string param_name(const std::string& s) {
  std::string out;
  for (char c : s) out.push_back((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_');
  return out;
}

class AlgorithmMatrix : public ForwardTest, public ::testing::WithParamInterface<AlgoCase> {};

TEST_P(AlgorithmMatrix, TcpForwardCarriesDataIntact) {
  const AlgoCase& c = GetParam();
  SshdServer sshd(c.sshd);
  const KeyPair& user_key = cached_key(KeyType::Ed25519, "user");
  sshd.authorize_key(user_key.public_line);
  ASSERT_TRUE(sshd.start());
  TempDir tmp("sshplex-fwd");
  ASSERT_TRUE(sshd.write_known_hosts(tmp.file("known_hosts")));
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());

  ClientOptions options = client_options_for(sshd.port(), tmp.file("known_hosts"), user_key);
  options.options = c.client_options;
  EXPECT_TRUE(forward_and_verify(options, tcp_forward_to(echo.endpoint()), kBytes));
  EXPECT_NE(sshd.log().find(c.log_needle), std::string::npos) << "sshd log lacks: " << c.log_needle;
}

std::vector<AlgoCase> kex_cases() {
  std::vector<AlgoCase> out;
  for (const char* kex :
       {"curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
        "ecdh-sha2-nistp521", "diffie-hellman-group14-sha256", "diffie-hellman-group16-sha512",
        "diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha256"}) {
    SshdOptions o;
    o.kex_algorithms = kex;
    out.push_back({param_name(kex), o, std::string("kex: algorithm: ") + kex});
  }
  return out;
}

std::vector<AlgoCase> cipher_cases() {
  std::vector<AlgoCase> out;
  for (const char* cipher : {"chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com",
                             "aes128-ctr", "aes192-ctr", "aes256-ctr"}) {
    SshdOptions o;
    o.ciphers = cipher;
    out.push_back({param_name(cipher), o, std::string("kex: client->server cipher: ") + cipher + " "});
  }
  return out;
}

std::vector<AlgoCase> mac_cases() {
  std::vector<AlgoCase> out;
  for (const char* mac :
       {"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512"}) {
    SshdOptions o;
    o.ciphers = "aes128-ctr";  // an AEAD cipher would make the MAC implicit
    o.macs = mac;
    out.push_back({param_name(mac), o, std::string("kex: client->server cipher: aes128-ctr MAC: ") + mac + " "});
  }
  return out;
}

std::vector<AlgoCase> host_key_cases() {
  struct H {
    const char* alg;
    KeyType key;
  };
  std::vector<AlgoCase> out;
  for (H h : {H{"ssh-ed25519", KeyType::Ed25519}, H{"ecdsa-sha2-nistp256", KeyType::Ecdsa256},
              H{"ecdsa-sha2-nistp384", KeyType::Ecdsa384}, H{"ecdsa-sha2-nistp521", KeyType::Ecdsa521},
              H{"rsa-sha2-512", KeyType::Rsa3072}, H{"rsa-sha2-256", KeyType::Rsa3072}}) {
    SshdOptions o;
    o.host_key = h.key;
    o.host_key_algorithms = h.alg;
    out.push_back({param_name(h.alg), o, std::string("kex: host key algorithm: ") + h.alg});
  }
  return out;
}

auto case_name = [](const ::testing::TestParamInfo<AlgoCase>& p) { return p.param.name; };

INSTANTIATE_TEST_SUITE_P(Kex, AlgorithmMatrix, ::testing::ValuesIn(kex_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(Cipher, AlgorithmMatrix, ::testing::ValuesIn(cipher_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(Mac, AlgorithmMatrix, ::testing::ValuesIn(mac_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(HostKey, AlgorithmMatrix, ::testing::ValuesIn(host_key_cases()), case_name);

// The same choices made by the client's -o options against sshd's full default lists.
std::vector<AlgoCase> client_forced_cases() {
  return {
      {"KexAlgorithms_ecdh_sha2_nistp384",
       {},
       "kex: algorithm: ecdh-sha2-nistp384",
       {"KexAlgorithms=ecdh-sha2-nistp384"}},
      {"KexAlgorithms_dh_group16_sha512",
       {},
       "kex: algorithm: diffie-hellman-group16-sha512",
       {"KexAlgorithms=diffie-hellman-group16-sha512"}},
      {"Ciphers_aes256_gcm",
       {},
       "kex: client->server cipher: aes256-gcm@openssh.com ",
       {"Ciphers=aes256-gcm@openssh.com"}},
      {"Ciphers_aes192_ctr_MACs_hmac_sha2_512_etm",
       {},
       "kex: client->server cipher: aes192-ctr MAC: hmac-sha2-512-etm@openssh.com ",
       {"Ciphers=aes192-ctr", "MACs=hmac-sha2-512-etm@openssh.com"}},
      {"HostKeyAlgorithms_ecdsa_sha2_nistp521",
       {},
       "kex: host key algorithm: ecdsa-sha2-nistp521",
       {"HostKeyAlgorithms=ecdsa-sha2-nistp521"}},
      {"HostKeyAlgorithms_rsa_sha2_256",
       {},
       "kex: host key algorithm: rsa-sha2-256",
       {"HostKeyAlgorithms=rsa-sha2-256"}},
  };
}

INSTANTIATE_TEST_SUITE_P(ClientForced, AlgorithmMatrix, ::testing::ValuesIn(client_forced_cases()), case_name);

struct UserKeyCase {
  std::string name;
  KeyType type;
  std::string accepted;  // sshd PubkeyAcceptedAlgorithms ("" = default)
  // The client's own restriction. OpenSSH's sshd advertises every algorithm in server-sig-algs
  // whatever it accepts, so a client only signs with rsa-sha2-256 when told to.
  std::string client_accepted;
};

void PrintTo(const UserKeyCase& c, std::ostream* os) {
  *os << c.name;
}

class UserKeyMatrix : public ForwardTest, public ::testing::WithParamInterface<UserKeyCase> {};

TEST_P(UserKeyMatrix, PublicKeyLoginThenForward) {
  const UserKeyCase& c = GetParam();
  SshdOptions o;
  o.pubkey_accepted_algorithms = c.accepted;
  SshdServer sshd(o);
  const KeyPair& user_key = cached_key(c.type, "user");
  sshd.authorize_key(user_key.public_line);
  ASSERT_TRUE(sshd.start());
  TempDir tmp("sshplex-fwd");
  ASSERT_TRUE(sshd.write_known_hosts(tmp.file("known_hosts")));
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());

  ClientOptions options = client_options_for(sshd.port(), tmp.file("known_hosts"), user_key);
  if (!c.client_accepted.empty()) options.options.push_back("PubkeyAcceptedAlgorithms=" + c.client_accepted);
  EXPECT_TRUE(forward_and_verify(options, tcp_forward_to(echo.endpoint()), kBytes));
  const std::string log = sshd.log();
  EXPECT_NE(log.find("Accepted publickey for root"), std::string::npos);
  EXPECT_NE(log.find(user_key.fingerprint), std::string::npos) << "login was not made with " << user_key.fingerprint;
  if (!c.accepted.empty()) {
    // The signature algorithm, not only the key type, is what PubkeyAcceptedAlgorithms restricts.
    EXPECT_NE(log.find("pkalg " + c.accepted), std::string::npos) << "no " << c.accepted << " signature in the log";
  }
}

INSTANTIATE_TEST_SUITE_P(UserKey, UserKeyMatrix,
                         ::testing::Values(UserKeyCase{"ed25519", KeyType::Ed25519, "", ""},
                                           UserKeyCase{"ecdsa256", KeyType::Ecdsa256, "", ""},
                                           UserKeyCase{"ecdsa384", KeyType::Ecdsa384, "", ""},
                                           UserKeyCase{"ecdsa521", KeyType::Ecdsa521, "", ""},
                                           UserKeyCase{"rsa3072_sha2_512", KeyType::Rsa3072, "rsa-sha2-512", ""},
                                           UserKeyCase{"rsa3072_sha2_256", KeyType::Rsa3072, "rsa-sha2-256",
                                                       "rsa-sha2-256"}),
                         [](const ::testing::TestParamInfo<UserKeyCase>& p) { return p.param.name; });

// The forward forms, with default algorithms.
class ForwardForms : public ForwardTest {
 protected:
  void SetUp() override {
    ForwardTest::SetUp();
    if (IsSkipped()) return;
    user_key_ = &cached_key(KeyType::Ed25519, "user");
    sshd_.authorize_key(user_key_->public_line);
    ASSERT_TRUE(sshd_.start());
    ASSERT_TRUE(sshd_.write_known_hosts(tmp_.file("known_hosts")));
  }
  ClientOptions options() const { return client_options_for(sshd_.port(), tmp_.file("known_hosts"), *user_key_); }

  SshdServer sshd_;
  TempDir tmp_{"sshplex-fwd"};
  const KeyPair* user_key_ = nullptr;
};

TEST_F(ForwardForms, TcpToTcp) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  EXPECT_TRUE(forward_and_verify(options(), tcp_forward_to(echo.endpoint()), kBytes));
}

TEST_F(ForwardForms, TcpWithoutBindAddressToTcp) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  int local = free_tcp_port();
  ForwardTarget fwd{Endpoint::tcp(local), std::to_string(local) + ":127.0.0.1:" + std::to_string(echo.port())};
  EXPECT_TRUE(forward_and_verify(options(), fwd, kBytes));
}

TEST_F(ForwardForms, TcpToRemoteUnixSocket) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_unix(tmp_.file("remote-echo.sock")));
  EXPECT_TRUE(forward_and_verify(options(), tcp_forward_to(echo.endpoint()), kBytes));
  EXPECT_GE(echo.connections_accepted(), 1u);
}

TEST_F(ForwardForms, LocalUnixSocketToTcp) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  EXPECT_TRUE(forward_and_verify(options(), unix_forward_to(tmp_.file("local.sock"), echo.endpoint()), kBytes));
}

TEST_F(ForwardForms, ConcurrentConnectionsThroughOneForward) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  ForwardTarget fwd = tcp_forward_to(echo.endpoint());
  ClientOptions o = options();
  o.local_forwards.push_back(fwd.spec);
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(fwd.listen));

  constexpr int kConnections = 8;
  std::vector<TransferResult> results(kConnections);
  std::vector<std::thread> threads;
  for (int i = 0; i < kConnections; ++i) {
    threads.emplace_back([&results, &fwd, i] {
      results[static_cast<std::size_t>(i)] =
          echo_transfer(fwd.listen, 512 * 1024 + static_cast<std::size_t>(i) * 4099, 100u + static_cast<unsigned>(i));
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kConnections; ++i) {
    const TransferResult& r = results[static_cast<std::size_t>(i)];
    EXPECT_TRUE(r.ok) << "connection " << i << ": " << r.error << " (sent " << r.sent << ", received " << r.received
                      << ")";
  }
  EXPECT_GE(echo.connections_accepted(), static_cast<std::size_t>(kConnections));
  EXPECT_TRUE(client.running()) << "client died while serving concurrent connections";
}

}  // namespace

namespace {

// StreamLocalBindUnlink / StreamLocalBindMask on a unix-socket listener: a socket file left at the
// path makes the forward fail unless unlinking is asked for; the mask sets the new socket's mode.
TEST_F(ForwardForms, LocalUnixSocketUnlinkAndMask) {
  EchoServer echo;
  ASSERT_TRUE(echo.start_tcp());
  const std::string path = tmp_.file("stale.sock");
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);  // the file stays, nobody listens: what a killed process leaves behind
  }
  const ForwardTarget fwd = unix_forward_to(path, echo.endpoint());
  ClientOptions o = options();
  o.local_forwards.push_back(fwd.spec);
  o.options.push_back("ExitOnForwardFailure=yes");
  {
    ClientRun refused(o);
    ASSERT_TRUE(refused.start());
    const ProcessResult r = refused.wait_exit(std::chrono::seconds(20));
    EXPECT_EQ(r.exit_code, 255) << refused.stderr_text();
  }
  o.options.push_back("StreamLocalBindUnlink=yes");
  o.options.push_back("StreamLocalBindMask=0117");
  ClientRun client(o);
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(client.wait_forward(fwd.listen)) << client.stderr_text();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  const TransferResult t = echo_transfer(fwd.listen, 64 * 1024, 9, std::chrono::seconds(20));
  EXPECT_TRUE(t.ok) << t.error;
  client.stop();
}

}  // namespace
