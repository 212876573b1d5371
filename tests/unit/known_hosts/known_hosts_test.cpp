#include "ssh/known_hosts/known_hosts.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "ssh/crypto/base64.hpp"
#include "ssh/known_hosts/host_pattern.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace {

using namespace ssh::known_hosts;
using ssh::Bytes;

// A syntactically valid public key blob (string type | string key) — contents do not matter here.
Bytes blob(const std::string& type, std::uint8_t fill) {
  ssh::wire::Writer w;
  w.string(std::string_view(type)).string(ssh::ByteView(Bytes(32, fill)));
  return w.take();
}

std::string b64(const Bytes& b) {
  return ssh::crypto::base64_encode(b);
}

std::string line(const std::string& hosts, const Bytes& key) {
  ssh::wire::Reader r(key);
  std::string type;
  EXPECT_TRUE(r.string(type));
  return hosts + " " + type + " " + b64(key);
}

const Bytes kEd1 = blob("ssh-ed25519", 1);
const Bytes kEd2 = blob("ssh-ed25519", 2);
const Bytes kEcdsa256 = blob("ecdsa-sha2-nistp256", 3);
const Bytes kEcdsa384 = blob("ecdsa-sha2-nistp384", 4);
const Bytes kRsa = blob("ssh-rsa", 5);

TEST(HostPattern, Wildcards) {
  EXPECT_TRUE(match_wildcard("*.example.com", "a.example.com"));
  EXPECT_FALSE(match_wildcard("*.example.com", "example.com"));
  EXPECT_TRUE(match_wildcard("host?", "host1"));
  EXPECT_FALSE(match_wildcard("host?", "host12"));
  EXPECT_TRUE(match_wildcard("*", ""));
  EXPECT_TRUE(match_wildcard("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(match_wildcard("a*b*c", "aXXbYY"));
  EXPECT_TRUE(match_wildcard("HOST", "host"));
  // Pathological pattern finishes quickly (no exponential backtracking).
  EXPECT_FALSE(match_wildcard(std::string(200, '*') + "b", std::string(5000, 'a')));
}

TEST(HostPattern, NegationWins) {
  EXPECT_EQ(match_pattern_list({"*.example.com", "!bad.example.com"}, "bad.example.com"), PatternListMatch::negated);
  EXPECT_EQ(match_pattern_list({"*.example.com", "!bad.example.com"}, "ok.example.com"), PatternListMatch::match);
  EXPECT_EQ(match_pattern_list({"!bad"}, "other"), PatternListMatch::no_match);
}

TEST(KnownHosts, LookupName) {
  EXPECT_EQ(lookup_name("Host.Example", 22), "host.example");
  EXPECT_EQ(lookup_name("host", 2222), "[host]:2222");
  EXPECT_EQ(lookup_name("::1", 2200), "[::1]:2200");
}

TEST(KnownHosts, PlainMatchAndNotFound) {
  KnownHosts kh;
  kh.add_source("kh", "# comment\n\n" + line("server,10.0.0.1", kEd1) + "\n");
  auto r = kh.check("server", 22, kEd1);
  EXPECT_EQ(r.status, HostKeyCheck::match);
  EXPECT_EQ(r.file, "kh");
  EXPECT_EQ(r.line, 3u);
  EXPECT_EQ(kh.check("10.0.0.1", 22, kEd1).status, HostKeyCheck::match);
  EXPECT_EQ(kh.check("SERVER", 22, kEd1).status, HostKeyCheck::match);
  EXPECT_EQ(kh.check("other", 22, kEd1).status, HostKeyCheck::not_found);
  // Same host, other port: a different name in known_hosts.
  EXPECT_EQ(kh.check("server", 2222, kEd1).status, HostKeyCheck::not_found);
  EXPECT_TRUE(kh.problems().empty());
}

TEST(KnownHosts, PortForm) {
  KnownHosts kh;
  kh.add_source("kh", line("[server]:2222", kEd1) + "\n" + line("[*.lab]:*", kEd2));
  EXPECT_EQ(kh.check("server", 2222, kEd1).status, HostKeyCheck::match);
  EXPECT_EQ(kh.check("server", 22, kEd1).status, HostKeyCheck::not_found);
  EXPECT_EQ(kh.check("a.lab", 8022, kEd2).status, HostKeyCheck::match);
}

TEST(KnownHosts, WildcardAndNegation) {
  KnownHosts kh;
  kh.add_source("kh", line("*.example.com,!evil.example.com", kEd1));
  EXPECT_EQ(kh.check("www.example.com", 22, kEd1).status, HostKeyCheck::match);
  EXPECT_EQ(kh.check("evil.example.com", 22, kEd1).status, HostKeyCheck::not_found);
}

TEST(KnownHosts, MismatchReportsFileAndLine) {
  KnownHosts kh;
  kh.add_source("user_kh", line("other", kEd1) + "\n" + line("server", kEd2) + "\n");
  auto r = kh.check("server", 22, kEd1);
  EXPECT_EQ(r.status, HostKeyCheck::mismatch);
  EXPECT_EQ(r.file, "user_kh");
  EXPECT_EQ(r.line, 2u);
  EXPECT_EQ(r.other_key_type, "ssh-ed25519");
  // A key of another type is simply unknown, not a mismatch.
  EXPECT_EQ(kh.check("server", 22, kRsa).status, HostKeyCheck::not_found);
  // ECDSA curves are one family: a changed curve is a changed key.
  KnownHosts ec;
  ec.add_source("kh", line("server", kEcdsa256));
  auto e = ec.check("server", 22, kEcdsa384);
  EXPECT_EQ(e.status, HostKeyCheck::mismatch);
  EXPECT_EQ(e.other_key_type, "ecdsa-sha2-nistp256");
}

TEST(KnownHosts, SeveralKeysForHost) {
  KnownHosts kh;
  kh.add_source("kh", line("server", kEd2) + "\n" + line("server", kEd1) + "\n" + line("server", kRsa));
  auto r = kh.check("server", 22, kEd1);
  EXPECT_EQ(r.status, HostKeyCheck::match);
  EXPECT_EQ(r.line, 2u);
  EXPECT_EQ(kh.check("server", 22, kRsa).status, HostKeyCheck::match);
  EXPECT_EQ(kh.known_key_types("server", 22), (std::vector<std::string>{"ssh-ed25519", "ssh-rsa"}));
  EXPECT_TRUE(kh.known_key_types("nobody", 22).empty());
}

TEST(KnownHosts, RevokedWinsOverMatch) {
  KnownHosts kh;
  kh.add_source("user", line("server", kEd1));
  kh.add_source("global", "@revoked " + line("*", kEd1));
  auto r = kh.check("server", 22, kEd1);
  EXPECT_EQ(r.status, HostKeyCheck::revoked);
  EXPECT_EQ(r.file, "global");
  EXPECT_EQ(r.line, 1u);
  EXPECT_EQ(kh.check("server", 22, kEd2).status, HostKeyCheck::mismatch);
}

TEST(KnownHosts, CertAuthorityOnlyIsNotFoundWithFlag) {
  KnownHosts kh;
  kh.add_source("kh", "@cert-authority " + line("*.corp", kEd1));
  auto r = kh.check("a.corp", 22, kEd1);
  EXPECT_EQ(r.status, HostKeyCheck::not_found);
  EXPECT_TRUE(r.cert_authority_seen);
  EXPECT_FALSE(kh.check("a.example", 22, kEd1).cert_authority_seen);
  EXPECT_TRUE(kh.known_key_types("a.corp", 22).empty());
}

TEST(KnownHosts, MalformedLinesSkippedAndReported) {
  KnownHosts kh;
  const std::string text =
      "server ssh-ed25519\n"               // 1: missing key
      "server ssh-ed25519 !!!notbase64\n"  // 2
      "server ssh-rsa " +
      b64(kEd1) + "\n" +                                        // 3: type disagrees with blob
      "@bogus " + line("server", kEd1) + "\n" +                 // 4
      "|1|abc " + "ssh-ed25519 " + b64(kEd1) + "\n" +           // 5: hashed without hash
      "|2|x|y ssh-ed25519 " + b64(kEd1) + "\n" +                // 6
      "server ssh-ed25519 " + b64(Bytes{0, 0, 0, 99}) + "\n" +  // 7: bad blob
      line("server", kEd1) + "\r\n";                            // 8: good (CRLF)
  kh.add_source("kh", text);
  ASSERT_EQ(kh.problems().size(), 7u);
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(kh.problems()[i].line, i + 1);
    EXPECT_EQ(kh.problems()[i].file, "kh");
    EXPECT_FALSE(kh.problems()[i].message.empty());
  }
  auto r = kh.check("server", 22, kEd1);
  EXPECT_EQ(r.status, HostKeyCheck::match);
  EXPECT_EQ(r.line, 8u);
}

TEST(KnownHosts, CommentKept) {
  Entry e;
  std::string err;
  ASSERT_TRUE(parse_line("  host ssh-ed25519 " + b64(kEd1) + "  my key  ", e, err));
  EXPECT_EQ(e.comment, "my key");
  EXPECT_EQ(e.key_type, "ssh-ed25519");
  EXPECT_EQ(e.key_blob, kEd1);
}

TEST(KnownHosts, FormatPlainAndHashedRoundTrip) {
  const std::string plain = format_line("Server", 22, kEd1, false);
  EXPECT_EQ(plain, "server ssh-ed25519 " + b64(kEd1));
  const std::string ported = format_line("server", 2222, kEd1, false);
  EXPECT_EQ(ported.substr(0, 14), "[server]:2222 ");

  const std::string hashed = format_line("server", 2222, kEd1, true);
  EXPECT_EQ(hashed.substr(0, 3), "|1|");
  KnownHosts kh;
  kh.add_source("kh", hashed + "\n" + format_line("server", 2222, kEd1, true));
  EXPECT_TRUE(kh.problems().empty());
  EXPECT_EQ(kh.check("server", 2222, kEd1).status, HostKeyCheck::match);
  EXPECT_EQ(kh.check("server", 22, kEd1).status, HostKeyCheck::not_found);
  EXPECT_EQ(kh.check("server", 2222, kEd2).status, HostKeyCheck::mismatch);
  // Fresh salt each time.
  EXPECT_NE(kh.entries()[0].salt, kh.entries()[1].salt);
  EXPECT_TRUE(format_line("x", 22, Bytes{1, 2, 3}, false).empty());
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/kh_test_XXXXXX";
    const char* d = mkdtemp(tmpl);
    if (d != nullptr) path_ = d;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ssh-keygen -H hashes a plain file; our parser must find the hosts in it, and our own hashing with
// the same salt must produce the same line. ssh-keygen -F must also find our hashed lines.
TEST(KnownHosts, InteroperatesWithSshKeygenHashing) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string key = dir.path() + "/hostkey";
  ASSERT_EQ(std::system(("ssh-keygen -q -t ed25519 -N '' -f " + key + " >/dev/null 2>&1").c_str()), 0);
  const std::string pub = slurp(key + ".pub");
  std::istringstream ps(pub);
  std::string type, b64key;
  ps >> type >> b64key;
  auto real_blob = ssh::crypto::base64_decode(b64key);
  ASSERT_TRUE(real_blob.has_value());

  const std::string kh_path = dir.path() + "/known_hosts";
  {
    std::ofstream out(kh_path);
    out << "gw.example.org " << type << " " << b64key << "\n";
    out << "[gw.example.org]:2222 " << type << " " << b64key << "\n";
  }
  ASSERT_EQ(std::system(("ssh-keygen -H -f " + kh_path + " >/dev/null 2>&1").c_str()), 0);
  const std::string hashed_text = slurp(kh_path);
  ASSERT_EQ(hashed_text.substr(0, 3), "|1|");

  KnownHosts kh;
  kh.add_source(kh_path, hashed_text);
  EXPECT_TRUE(kh.problems().empty());
  auto r = kh.check("gw.example.org", 22, *real_blob);
  EXPECT_EQ(r.status, HostKeyCheck::match);
  EXPECT_EQ(r.line, 1u);
  auto r2 = kh.check("gw.example.org", 2222, *real_blob);
  EXPECT_EQ(r2.status, HostKeyCheck::match);
  EXPECT_EQ(r2.line, 2u);
  EXPECT_EQ(kh.check("other.example.org", 22, *real_blob).status, HostKeyCheck::not_found);

  // Re-hash with ssh-keygen's salt: identical host field.
  ASSERT_EQ(kh.entries().size(), 2u);
  const Entry& first = kh.entries()[0];
  const std::string ours = format_line("gw.example.org", 22, *real_blob, true, first.salt);
  const std::string theirs = hashed_text.substr(0, hashed_text.find('\n'));
  EXPECT_EQ(ours.substr(0, ours.find(' ')), theirs.substr(0, theirs.find(' ')));

  // And ssh-keygen finds a line we hashed with a fresh salt.
  const std::string ours_path = dir.path() + "/ours";
  {
    std::ofstream out(ours_path);
    out << format_line("new.example.org", 2200, *real_blob, true) << "\n";
  }
  EXPECT_EQ(std::system(("ssh-keygen -F '[new.example.org]:2200' -f " + ours_path + " >/dev/null 2>&1").c_str()), 0);
  EXPECT_NE(std::system(("ssh-keygen -F '[other.example.org]:2200' -f " + ours_path + " >/dev/null 2>&1").c_str()), 0);
}

}  // namespace
