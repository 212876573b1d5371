// sshplex -G beside the stock ssh -G on the configuration corpus (tests/data/ssh_configs/): every
// keyword both print has the same value, except the differences listed here with their reason.
// Also -Q and the flags that map to keywords.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/files.hpp"
#include "support/process.hpp"

namespace {

using namespace testsupport;

const std::filesystem::path kCorpus = std::filesystem::path(__FILE__).parent_path() / ".." / "data" / "ssh_configs";

// Differences by design, each with its reason.
const std::map<std::string, std::string> kDifferent = {
    {"kexalgorithms", "sshplex implements fewer algorithms (no sntrup761)"},
    {"macs", "sshplex implements fewer algorithms (no umac, no hmac-sha1 by default)"},
    {"hostkeyalgorithms", "no certificate or security-key algorithms"},
    {"pubkeyacceptedalgorithms", "printed as configured, not expanded"},
    {"casignaturealgorithms", "host certificates are not accepted"},
    {"identityfile", "the default list has no sk, xmss or dsa keys"},
    {"serveraliveinterval", "dead-peer detection is on by default (15 s)"},
    {"forwardx11trusted", "upstream's default (no); Debian's ssh defaults to yes"},
    {"sendenv", "ssh lists patterns again when a Match final pass applies them again; sshplex keeps one each"},
};

std::map<std::string, std::vector<std::string>> dump(const std::vector<std::string>& argv, const TempDir& dir) {
  const ProcessResult r = run_command(argv, base_env(), dir.file("out"), dir.file("err"), std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << argv[0] << ": " << read_file(dir.path() / "err");
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream lines(read_file(dir.path() / "out"));
  std::string line;
  while (std::getline(lines, line)) {
    const auto space = line.find(' ');
    out[line.substr(0, space)].push_back(space == std::string::npos ? "" : line.substr(space + 1));
  }
  return out;
}

TEST(PrintConfig, SameAsSshOnEveryKeywordBothPrint) {
  const std::string ssh = find_program("ssh");
  if (ssh.empty()) GTEST_SKIP() << "stock ssh needed (openssh-client)";
  TempDir dir("sshplex-g");
  const char* const files[] = {"laptop.config", "corporate.config", "debian-default.config"};
  const char* const hosts[] = {"github.com",    "bastion", "x.internal", "build.internal",
                               "legacy-router", "tunnel",  "db-1"};
  std::size_t compared = 0;
  for (const char* f : files) {
    const std::string file = (kCorpus / f).string();
    for (const char* h : hosts) {
      auto theirs = dump({ssh, "-G", "-F", file, h}, dir);
      auto ours = dump({SSHPLEX_BINARY, "-G", "-F", file, h}, dir);
      ASSERT_FALSE(ours.empty());
      for (const auto& [keyword, values] : theirs) {
        if (!ours.count(keyword) || kDifferent.count(keyword)) continue;
        EXPECT_EQ(ours[keyword], values) << f << " " << h << ": " << keyword;
        ++compared;
      }
    }
  }
  // Most of what ssh prints is compared, not skipped.
  EXPECT_GT(compared, 21u * 45u);
}

TEST(PrintConfig, FlagsBecomeTheirKeywords) {
  TempDir dir("sshplex-g");
  auto g = dump({SSHPLEX_BINARY, "-F", "none",          "-G", "-4",           "-b", "127.0.0.2", "-B", "lo",  "-c",
                 "aes128-ctr",   "-m", "hmac-sha2-256", "-o", "IPQoS=ef cs1", "-p", "2222",      "-l", "bob", "host"},
                dir);
  EXPECT_EQ(g["addressfamily"], std::vector<std::string>{"inet"});
  EXPECT_EQ(g["bindaddress"], std::vector<std::string>{"127.0.0.2"});
  EXPECT_EQ(g["bindinterface"], std::vector<std::string>{"lo"});
  EXPECT_EQ(g["ciphers"], std::vector<std::string>{"aes128-ctr"});
  EXPECT_EQ(g["macs"], std::vector<std::string>{"hmac-sha2-256"});
  EXPECT_EQ(g["ipqos"], std::vector<std::string>{"ef cs1"});
  EXPECT_EQ(g["port"], std::vector<std::string>{"2222"});
  EXPECT_EQ(g["user"], std::vector<std::string>{"bob"});
  g = dump({SSHPLEX_BINARY, "-F", "none", "-G", "-6", "host"}, dir);
  EXPECT_EQ(g["addressfamily"], std::vector<std::string>{"inet6"});
}

TEST(PrintConfig, QueryListsWhatIsSupported) {
  TempDir dir("sshplex-q");
  auto cipher = dump({SSHPLEX_BINARY, "-Q", "cipher"}, dir);
  EXPECT_TRUE(cipher.count("aes128-gcm@openssh.com"));
  EXPECT_TRUE(cipher.count("chacha20-poly1305@openssh.com"));
  auto own = dump({SSHPLEX_BINARY, "-Q", "sshplex-directives"}, dir);
  EXPECT_TRUE(own.count("PoolSize"));
  const ProcessResult bad = run_command({SSHPLEX_BINARY, "-Q", "nonsense"}, base_env(), dir.file("out"),
                                        dir.file("err"), std::chrono::seconds(10));
  EXPECT_EQ(bad.exit_code, 255);
  EXPECT_NE(read_file(dir.path() / "err").find("Unsupported query"), std::string::npos);
}

}  // namespace
