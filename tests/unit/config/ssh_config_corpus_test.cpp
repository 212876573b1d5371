// Real-world configuration files (tests/data/ssh_configs/) load for every host they name: every
// keyword ssh accepts is accepted, and the ones sshplex does not act on say so once, as warnings.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "gateway/config/keyword_support.hpp"
#include "gateway/config/keywords.hpp"
#include "gateway/config/resolver.hpp"

namespace {

using namespace gateway::config;

const std::filesystem::path kCorpus =
    std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "data" / "ssh_configs";

const char* const kHosts[] = {"github.com",    "bastion", "x.internal", "build.internal",
                              "legacy-router", "tunnel",  "db-1",       "other"};

ResolveResult resolve_file(const std::string& name, const std::string& host) {
  const Environment env{"/home/example", "example"};
  return resolve(ResolveInput{host, {}, (kCorpus / name).string()}, env, real_file_system());
}

bool has_warning(const ResolveResult& r, const std::string& part) {
  return std::any_of(r.warnings.begin(), r.warnings.end(),
                     [&](const std::string& w) { return w.find(part) != std::string::npos; });
}

TEST(SshConfigCorpus, EveryFileLoadsForEveryHost) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kCorpus)) {
    if (entry.path().extension() != ".config") continue;
    ++files;
    for (const char* host : kHosts) {
      const auto r = resolve_file(entry.path().filename().string(), host);
      for (const auto& e : r.errors) ADD_FAILURE() << entry.path().filename() << " " << host << ": " << e.to_string();
      EXPECT_TRUE(r.options.has_value()) << entry.path() << " " << host;
    }
  }
  EXPECT_GE(files, 4u);
}

TEST(SshConfigCorpus, SettingsWithoutEffectAreWarnedOnceAndNamed) {
  auto r = resolve_file("laptop.config", "bastion");
  ASSERT_TRUE(r.options.has_value());
  EXPECT_FALSE(has_warning(r, "AddKeysToAgent"));  // implemented
  EXPECT_EQ(r.options->add_keys_to_agent, AddKeysToAgent::yes);
  EXPECT_FALSE(has_warning(r, "VisualHostKey"));  // implemented
  // Off values say nothing: CheckHostIP no, VerifyHostKeyDNS no, GSSAPIDelegateCredentials no.
  EXPECT_FALSE(has_warning(r, "CheckHostIP"));
  EXPECT_FALSE(has_warning(r, "VerifyHostKeyDNS"));
  EXPECT_FALSE(has_warning(r, "GSSAPI"));
  // The first value wins for accepted keywords too, and is kept for -G.
  EXPECT_EQ(r.options->accepted_values.at("gssapidelegatecredentials"), std::vector<std::string>{"no"});
  EXPECT_TRUE(r.options->visual_host_key);

  r = resolve_file("debian-default.config", "anything");
  ASSERT_TRUE(r.options.has_value());
  EXPECT_TRUE(has_warning(r, "GSSAPIAuthentication is not supported by sshplex (GSSAPI (Kerberos) is not built"));
  EXPECT_TRUE(r.options->hash_known_hosts);

  r = resolve_file("corporate.config", "db-1");
  ASSERT_TRUE(r.options.has_value());
  // Protocol and UsePrivilegedPort: ssh ignores them as well, quietly.
  EXPECT_FALSE(has_warning(r, "Protocol"));
  EXPECT_FALSE(has_warning(r, "UsePrivilegedPort"));
  // Their "off" values: PKCS11Provider none, SecurityKeyProvider internal, Tunnel no.
  EXPECT_FALSE(has_warning(r, "PKCS11Provider"));
  EXPECT_FALSE(has_warning(r, "SecurityKeyProvider"));
  EXPECT_FALSE(has_warning(r, "Tunnel"));
}

TEST(SshConfigCorpus, RefuseConnectionStopsWithItsMessage) {
  const auto r = resolve_file("newer-keywords.config", "retired-host");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].to_string().find("newer-keywords.config:13: RefuseConnection: this host was retired; use "
                                         "new-host"),
            std::string::npos)
      << r.errors[0].to_string();
  EXPECT_FALSE(r.options.has_value());
}

TEST(SshConfigCorpus, AliasesActAsTheKeywordTheyName) {
  OptionsBuilder b;
  apply_directive(b, ConfigLine{"KeepAlive", {"no"}}, Origin{"cfg", 1}, true);
  apply_directive(b, ConfigLine{"DSAAuthentication", {"no"}}, Origin{"cfg", 2}, true);
  ASSERT_TRUE(b.errors.empty());
  EXPECT_FALSE(b.options.tcp_keep_alive);
  EXPECT_FALSE(b.options.pubkey_authentication);
  // An accepted keyword still checks the shape of its value, in any block, as ssh does.
  OptionsBuilder bad;
  apply_directive(bad, ConfigLine{"GSSAPIAuthentication", {"maybe"}}, Origin{"cfg", 3}, false);
  apply_directive(bad, ConfigLine{"VisualHostKey", {}}, Origin{"cfg", 4}, false);
  ASSERT_EQ(bad.errors.size(), 2u);
  EXPECT_EQ(bad.errors[0].to_string(), "cfg:3: GSSAPIAuthentication: expected yes or no, got 'maybe'");
  EXPECT_EQ(bad.errors[1].to_string(), "cfg:4: VisualHostKey: missing argument");
}

// Every keyword sshplex knows is in docs/ssh_config.md's table exactly once, and the table names
// nothing sshplex does not know.
TEST(SshConfigCorpus, TheKeywordTableInTheDocsMatchesTheCode) {
  const auto doc = std::filesystem::path(__FILE__).parent_path() / ".." / ".." / ".." / "docs" / "ssh_config.md";
  std::ifstream in(doc);
  ASSERT_TRUE(in) << doc;
  std::map<std::string, int> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("| `")) continue;
    const auto end = line.find('`', 3);
    std::string name = line.substr(3, end - 3);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ++rows[name];
  }
  std::set<std::string> known = {"host", "match", "include", "tag"};
  for (auto k : implemented_keywords()) {
    std::string n(k);
    for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    known.insert(n);
  }
  for (const auto& k : accepted_keywords()) known.insert(std::string(k.name));
  known.insert("challengeresponseauthentication");
  for (const auto& k : known) EXPECT_EQ(rows[k], 1) << k << " in docs/ssh_config.md";
  for (const auto& [name, count] : rows) EXPECT_TRUE(known.count(name)) << name << " is documented but unknown";
}

}  // namespace
