// End-to-end: -D (SOCKS4/4a/5) through a real sshd. curl fetches a file from a local web server
// through the proxy in every SOCKS flavour (names resolved by the server), and raw SOCKS5 requests
// check the error replies.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "support/client_run.hpp"
#include "support/forward_check.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/sshd_server.hpp"

namespace {

using namespace testsupport;

class SocksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason());
    TESTSUPPORT_SKIP_IF(client_unavailable_reason());
    if (find_program("curl").empty() || find_program("python3").empty()) GTEST_SKIP() << "curl and python3 needed";
    const KeyPair& user_key = cached_key(KeyType::Ed25519, "user");
    sshd_.authorize_key(user_key.public_line);
    ASSERT_TRUE(sshd_.start());
    ASSERT_TRUE(sshd_.write_known_hosts(tmp_.file("known_hosts")));

    // A 1 MiB file of random bytes behind a local web server.
    std::mt19937 rng(7);
    content_.resize(1 << 20);
    for (auto& c : content_) c = static_cast<char>(rng());
    std::filesystem::create_directories(tmp_.path() / "www");
    std::ofstream(tmp_.path() / "www" / "blob.bin", std::ios::binary) << content_;
    web_port_ = free_tcp_port();
    ASSERT_TRUE(web_.start({find_program("python3"), "-m", "http.server", "--bind", "127.0.0.1",
                            "--directory", tmp_.file("www"), std::to_string(web_port_)},
                           base_env(), "", tmp_.file("web.log")));
    ASSERT_TRUE(wait_for_port(web_port_, std::chrono::seconds(20)));

    socks_port_ = free_tcp_port();
    ClientOptions options = client_options_for(sshd_.port(), tmp_.file("known_hosts"), user_key);
    options.extra_args = {"-D", "127.0.0.1:" + std::to_string(socks_port_)};
    for (const auto& o : extra_options()) options.options.push_back(o);
    client_ = std::make_unique<ClientRun>(options);
    ASSERT_TRUE(client_->start());
    ASSERT_TRUE(wait_for_port(socks_port_, std::chrono::seconds(20))) << client_->stderr_text();
  }

  virtual std::vector<std::string> extra_options() { return {}; }

  // curl through the proxy; returns the body (empty on failure).
  std::string fetch(const std::string& proxy_scheme, const std::string& host, const std::string& user = {},
                    bool expect_ok = true) {
    const std::string out = tmp_.file("fetched-" + proxy_scheme);
    std::filesystem::remove(out);
    std::string log;
    std::vector<std::string> argv = {find_program("curl"), "-sS", "--max-time", "30", "-o", out, "--proxy",
                                     proxy_scheme + "://127.0.0.1:" + std::to_string(socks_port_)};
    if (!user.empty()) {
      argv.push_back("--proxy-user");
      argv.push_back(user);
    }
    argv.push_back("http://" + host + ":" + std::to_string(web_port_) + "/blob.bin");
    const bool ok = run_quiet(argv, &log);
    EXPECT_EQ(ok, expect_ok) << proxy_scheme << ": " << log;
    return read_file(out);
  }

  SshdServer sshd_;
  TempDir tmp_{"sshplex-socks"};
  Process web_;
  std::string content_;
  int web_port_ = 0;
  int socks_port_ = 0;
  std::unique_ptr<ClientRun> client_;
};

// SOCKS5 no-auth greeting then a request with `command` to 127.0.0.1:port; returns the reply code.
int socks5_reply_code(int proxy_port, std::uint8_t command, int port) {
  const int fd = connect_endpoint(Endpoint::tcp(proxy_port), std::chrono::seconds(10));
  if (fd < 0) return -1;
  const std::uint8_t hello[] = {5, 1, 0};
  std::array<std::uint8_t, 2> choice{};
  int code = -1;
  if (::send(fd, hello, sizeof hello, 0) == 3 && recv_exact(fd, choice.data(), 2) && choice[1] == 0) {
    const std::uint8_t request[] = {5, command, 0, 1, 127, 0, 0, 1, static_cast<std::uint8_t>(port >> 8),
                                    static_cast<std::uint8_t>(port & 0xff)};
    std::array<std::uint8_t, 10> reply{};
    if (::send(fd, request, sizeof request, 0) == sizeof request && recv_exact(fd, reply.data(), 2)) code = reply[1];
  }
  ::close(fd);
  return code;
}

TEST_F(SocksTest, CurlFetchesThroughEverySocksFlavour) {
  EXPECT_EQ(fetch("socks5h", "localhost"), content_) << "SOCKS5, name resolved by the server";
  EXPECT_EQ(fetch("socks5", "127.0.0.1"), content_) << "SOCKS5 with an IPv4 address";
  EXPECT_EQ(fetch("socks4a", "localhost"), content_) << "SOCKS4a";
  EXPECT_EQ(fetch("socks4", "127.0.0.1"), content_) << "SOCKS4";
}

TEST_F(SocksTest, RefusedDestinationGetsConnectionRefusedReply) {
  // OpenSSH's ssh closes the client without a SOCKS reply here; this checks sshplex's behaviour.
  if (std::getenv("SSHPLEX_TEST_CLIENT") != nullptr) GTEST_SKIP() << "sshplex-specific SOCKS error replies";
  const int closed_port = free_tcp_port();
  EXPECT_EQ(socks5_reply_code(socks_port_, 1, closed_port), 5) << client_->stderr_text();
  // The proxy keeps serving after the failure.
  EXPECT_EQ(fetch("socks5h", "localhost"), content_);
}

TEST_F(SocksTest, BindIsNotSupported) {
  if (std::getenv("SSHPLEX_TEST_CLIENT") != nullptr) GTEST_SKIP() << "sshplex-specific SOCKS error replies";
  EXPECT_EQ(socks5_reply_code(socks_port_, 2, web_port_), 7);
  EXPECT_EQ(socks5_reply_code(socks_port_, 3, web_port_), 7);
}

// SocksCredentialsFile: RFC 1929 username/password required (an sshplex directive).
class SocksAuthTest : public SocksTest {
 protected:
  void SetUp() override {
    if (std::getenv("SSHPLEX_TEST_CLIENT") != nullptr) GTEST_SKIP() << "SocksCredentialsFile is sshplex's own";
    std::ofstream(creds_.file("socks_users")) << "# user:password\nalice:correct horse\nbob:battery staple\n";
    std::filesystem::permissions(creds_.file("socks_users"), std::filesystem::perms::owner_read |
                                                                std::filesystem::perms::owner_write);
    SocksTest::SetUp();
  }
  std::vector<std::string> extra_options() override { return {"SocksCredentialsFile=" + creds_.file("socks_users")}; }
  TempDir creds_{"sshplex-socks-creds"};
};

TEST_F(SocksAuthTest, RightCredentialsFetchWrongOnesAreRefused) {
  EXPECT_EQ(fetch("socks5h", "localhost", "alice:correct horse"), content_);
  EXPECT_EQ(fetch("socks5h", "localhost", "bob:battery staple"), content_);
  EXPECT_EQ(fetch("socks5h", "localhost", "alice:battery staple", false), "");
  EXPECT_EQ(fetch("socks5h", "localhost", "", false), "") << "no credentials";
  EXPECT_EQ(fetch("socks4a", "localhost", "", false), "") << "SOCKS4 has no password";
}

}  // namespace
