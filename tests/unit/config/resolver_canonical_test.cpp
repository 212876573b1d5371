// Hostname canonicalisation (ssh_config(5) CanonicalizeHostname, CanonicalDomains,
// CanonicalizeFallbackLocal, CanonicalizeMaxDots, CanonicalizePermittedCNAMEs) and the final pass it
// triggers, as OpenSSH's ssh.c does them. The DNS is a fake: no lookup leaves the process.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "gateway/config/resolver.hpp"
#include "ssh/known_hosts/host_pattern.hpp"
#include "unit/config/fake_file_system.hpp"

namespace {

using namespace gateway::config;

const Environment kEnv{"/home/al", "al", "ws.corp.example", "1000"};
constexpr const char* kConfig = "/home/al/.ssh/config";

using configtest::FakeFs;

// A resolution against a fake DNS: `dns` maps a name (as looked up, trailing dot included) to its
// canonical name ("" for none); anything else does not exist. Every lookup is recorded.
struct Fixture {
  FakeFs fs;
  std::map<std::string, std::string> dns;
  std::map<std::string, std::string> broken;  // name -> resolver failure (not "no such name")
  std::vector<std::string> looked_up;
  std::vector<AddressFamily> families;
  std::vector<Override> overrides;

  explicit Fixture(std::string config) { fs.files[kConfig] = std::move(config); }

  ResolveResult run(const std::string& host) {
    ResolveInput input{host, overrides, std::nullopt};
    input.run_command = [](const std::string&) { return 1; };
    input.local_addresses = [] { return std::vector<std::string>{}; };
    input.lookup_host = [this](const std::string& name, AddressFamily family) {
      looked_up.push_back(name);
      families.push_back(family);
      HostLookup r;
      if (auto it = broken.find(name); it != broken.end()) {
        r.no_such_name = false;
        r.error = it->second;
        return r;
      }
      auto it = dns.find(name);
      if (it == dns.end()) {
        r.error = "Name or service not known";
        return r;
      }
      r.found = true;
      r.canonical_name = it->second;
      return r;
    };
    return resolve(input, kEnv, fs.fs());
  }

  Options ok(const std::string& host) {
    looked_up.clear();
    auto r = run(host);
    if (!r.errors.empty()) ADD_FAILURE() << r.errors[0].to_string();
    return r.options.value_or(Options{});
  }

  // The one error of a resolution, as printed.
  std::string error(const std::string& host) {
    looked_up.clear();
    auto r = run(host);
    EXPECT_FALSE(r.options.has_value());
    if (r.errors.size() != 1) {
      ADD_FAILURE() << r.errors.size() << " errors";
      return r.errors.empty() ? std::string() : r.errors[0].to_string();
    }
    return r.errors[0].to_string();
  }
};

using Names = std::vector<std::string>;

constexpr const char* kYes = "CanonicalizeHostname yes\nCanonicalDomains a.example b.example\n";

TEST(ResolverCanonical, OffByDefaultAndWithNo) {
  Fixture f("CanonicalDomains a.example\nMatch canonical\n  Port 2222\n");
  f.dns["web.a.example."] = "";
  Options o = f.ok("web");
  EXPECT_EQ(o.hostname, "web");
  EXPECT_EQ(o.port, 22);  // no final pass
  EXPECT_TRUE(f.looked_up.empty());

  f.fs.files[kConfig] = "CanonicalizeHostname no\nCanonicalDomains a.example\nMatch canonical\n  Port 2222\n";
  o = f.ok("web");
  EXPECT_EQ(o.hostname, "web");
  EXPECT_EQ(o.port, 22);
  EXPECT_TRUE(f.looked_up.empty());
}

TEST(ResolverCanonical, YesTriesEachDomainInTurn) {
  Fixture f(kYes);
  f.dns["web.b.example."] = "";
  Options o = f.ok("web");
  EXPECT_EQ(o.host, "web");
  EXPECT_EQ(o.hostname, "web.b.example");
  EXPECT_EQ(f.looked_up, (Names{"web.a.example.", "web.b.example."}));
  EXPECT_EQ(f.families.front(), AddressFamily::any);

  // The first domain that resolves wins; the rest are not tried.
  f.dns["web.a.example."] = "";
  o = f.ok("web");
  EXPECT_EQ(o.hostname, "web.a.example");
  EXPECT_EQ(f.looked_up, (Names{"web.a.example."}));

  // "true" is yes; the name is lower-cased first; AddressFamily goes to the lookups.
  f.fs.files[kConfig] = "CanonicalizeHostname true\nCanonicalDomains A.Example.\nAddressFamily inet\n";
  f.families.clear();
  o = f.ok("WEB");
  EXPECT_EQ(o.hostname, "web.a.example");
  EXPECT_EQ(f.families, (std::vector<AddressFamily>{AddressFamily::inet}));

  // "none" ends the list: nothing is tried, and the name falls back to itself.
  f.fs.files[kConfig] = "CanonicalizeHostname yes\nCanonicalDomains none\n";
  o = f.ok("web");
  EXPECT_EQ(o.hostname, "web");
  EXPECT_TRUE(f.looked_up.empty());
}

TEST(ResolverCanonical, FromTheCommandLine) {
  Fixture f("CanonicalizeHostname no\n");
  f.dns["web.a.example."] = "";
  f.overrides = {{"CanonicalizeHostname", {"yes"}, "-o"}, {"CanonicalDomains", {"a.example"}, "-o"}};
  EXPECT_EQ(f.ok("web").hostname, "web.a.example");
}

TEST(ResolverCanonical, HostNameIsWhatIsCanonicalised) {
  Fixture f(std::string(kYes) + "Host db\n  HostName %h-primary\n");
  f.dns["db-primary.a.example."] = "";
  const Options o = f.ok("db");
  EXPECT_EQ(o.hostname, "db-primary.a.example");
  EXPECT_EQ(f.looked_up, (Names{"db-primary.a.example."}));
}

TEST(ResolverCanonical, MaxDots) {
  Fixture f(kYes);
  f.dns["web.dev.a.example."] = "";
  f.dns["x.y.z.a.example."] = "";
  // Default 1: one dot is still unqualified.
  EXPECT_EQ(f.ok("web.dev").hostname, "web.dev.a.example");
  // Two dots are qualified enough: left alone, without a lookup and without the fallback rule.
  EXPECT_EQ(f.ok("x.y.z").hostname, "x.y.z");
  EXPECT_TRUE(f.looked_up.empty());
  f.fs.files[kConfig] = std::string(kYes) + "CanonicalizeFallbackLocal no\n";
  EXPECT_EQ(f.ok("x.y.z").hostname, "x.y.z");

  f.fs.files[kConfig] = std::string(kYes) + "CanonicalizeMaxDots 0\n";
  EXPECT_EQ(f.ok("web.dev").hostname, "web.dev");
  EXPECT_TRUE(f.looked_up.empty());
  f.fs.files[kConfig] = std::string(kYes) + "CanonicalizeMaxDots 2\n";
  EXPECT_EQ(f.ok("x.y.z").hostname, "x.y.z.a.example");
}

TEST(ResolverCanonical, FallbackLocal) {
  Fixture f(kYes);
  // yes (the default): the name stays as it is, and the final pass still runs.
  f.fs.files[kConfig] = std::string(kYes) + "Match canonical\n  Port 2222\n";
  Options o = f.ok("web");
  EXPECT_EQ(o.hostname, "web");
  EXPECT_EQ(o.port, 2222);
  EXPECT_EQ(f.looked_up, (Names{"web.a.example.", "web.b.example."}));

  // no: an error, as ssh's fatal "Could not resolve host" (exit 255).
  f.fs.files[kConfig] = std::string(kYes) + "CanonicalizeFallbackLocal no\n";
  EXPECT_EQ(f.error("Web"), "Could not resolve host \"web\"");
  EXPECT_EQ(f.looked_up, (Names{"web.a.example.", "web.b.example."}));
  // Also when there are no domains to try.
  f.fs.files[kConfig] = "CanonicalizeHostname yes\nCanonicalizeFallbackLocal no\n";
  EXPECT_EQ(f.error("web"), "Could not resolve host \"web\"");
  EXPECT_TRUE(f.looked_up.empty());
}

TEST(ResolverCanonical, ResolverFailuresAreWarnings) {
  Fixture f(kYes);
  f.broken["web.a.example."] = "Temporary failure in name resolution";
  f.dns["web.b.example."] = "";
  auto r = f.run("web");
  ASSERT_TRUE(r.options.has_value());
  EXPECT_EQ(r.options->hostname, "web.b.example");
  EXPECT_NE(std::find(r.warnings.begin(), r.warnings.end(),
                      "Could not resolve hostname web.a.example.: Temporary failure in name resolution"),
            r.warnings.end());
}

TEST(ResolverCanonical, TrailingDotIsFullyQualified) {
  Fixture f(kYes);
  f.dns["web.example.org."] = "";
  EXPECT_EQ(f.ok("web.example.org.").hostname, "web.example.org");
  EXPECT_EQ(f.looked_up, (Names{"web.example.org."}));
  // Anchored names ignore CanonicalizeMaxDots.
  f.fs.files[kConfig] = std::string(kYes) + "CanonicalizeMaxDots 0\n";
  EXPECT_EQ(f.ok("web.example.org.").hostname, "web.example.org");
  // Not found: no suffix is tried; the fallback rule decides.
  EXPECT_EQ(f.ok("gone.example.org.").hostname, "gone.example.org.");
  EXPECT_EQ(f.looked_up, (Names{"gone.example.org."}));
  f.fs.files[kConfig] = std::string(kYes) + "CanonicalizeFallbackLocal no\n";
  EXPECT_EQ(f.error("gone.example.org."), "Could not resolve host \"gone.example.org.\"");
}

TEST(ResolverCanonical, AddressesAreNotCanonicalised) {
  Fixture f(std::string(kYes) + "CanonicalizeFallbackLocal no\n");
  for (const char* address : {"192.0.2.1", "2001:db8::1", "fe80::1%eth0", "127.1"}) {
    EXPECT_EQ(f.ok(address).hostname, address);
    EXPECT_TRUE(f.looked_up.empty()) << address;
  }
}

TEST(ResolverCanonical, CnameFollowedOnlyWhenPermitted) {
  Fixture f(kYes);
  f.dns["www.a.example."] = "lb1.cdn.example.";
  // No rules: the name found stays.
  EXPECT_EQ(f.ok("www").hostname, "www.a.example");
  // A rule matching the name (sources) and the CNAME (targets): the CNAME, without its dot.
  f.fs.files[kConfig] = std::string(kYes) + "CanonicalizePermittedCNAMEs *.b.example:*.x *.A.example:*.cdn.example\n";
  EXPECT_EQ(f.ok("www").hostname, "lb1.cdn.example");
  // Targets that do not match, sources that do not match, a negated source.
  for (const char* rule : {"*.a.example:*.other.example", "*.b.example:*.cdn.example", "!www.*,*:*"}) {
    f.fs.files[kConfig] = std::string(kYes) + "CanonicalizePermittedCNAMEs " + rule + "\n";
    EXPECT_EQ(f.ok("www").hostname, "www.a.example") << rule;
  }
  // "*" permits any; "none" none.
  f.fs.files[kConfig] = std::string(kYes) + "CanonicalizePermittedCNAMEs *\n";
  EXPECT_EQ(f.ok("www").hostname, "lb1.cdn.example");
  f.fs.files[kConfig] = std::string(kYes) + "CanonicalizePermittedCNAMEs none\n";
  EXPECT_EQ(f.ok("www").hostname, "www.a.example");
  // A CNAME that is no valid domain name is ignored, with a warning.
  f.dns["www.a.example."] = "bad..name";
  f.fs.files[kConfig] = std::string(kYes) + "CanonicalizePermittedCNAMEs *\n";
  auto r = f.run("www");
  ASSERT_TRUE(r.options.has_value());
  EXPECT_EQ(r.options->hostname, "www.a.example");
  EXPECT_NE(std::find(r.warnings.begin(), r.warnings.end(),
                      "ignoring bad CNAME \"bad..name\" for host \"www.a.example.\": domain name \"bad..name\" "
                      "contains consecutive separators"),
            r.warnings.end());
}

TEST(ResolverCanonical, CnameOfTheBareName) {
  // Not canonicalised (too many dots, or fallen back): with rules, the bare name is looked up for its
  // CNAME.
  Fixture f(std::string(kYes) + "CanonicalizePermittedCNAMEs *:*.cdn.example\n");
  f.dns["x.y.z"] = "edge.cdn.example";
  EXPECT_EQ(f.ok("x.y.z").hostname, "edge.cdn.example");
  EXPECT_EQ(f.looked_up, (Names{"x.y.z"}));
  f.dns["web"] = "web2.cdn.example";
  EXPECT_EQ(f.ok("web").hostname, "web2.cdn.example");
  EXPECT_EQ(f.looked_up, (Names{"web.a.example.", "web.b.example.", "web"}));
  // A direct connection to a bare name that does not resolve fails there, as in ssh.
  EXPECT_EQ(f.error("nowhere"), "Could not resolve hostname nowhere: Name or service not known");
  // Without rules the bare name is not looked up.
  f.fs.files[kConfig] = kYes;
  EXPECT_EQ(f.ok("nowhere").hostname, "nowhere");
  EXPECT_EQ(f.looked_up, (Names{"nowhere.a.example.", "nowhere.b.example."}));
}

TEST(ResolverCanonical, FinalPassSeesTheCanonicalName) {
  Fixture f(std::string(kYes) +
            "Host web.a.example\n  User canon_user\n"
            "Host web\n  Port 2000\n"
            "Match canonical host web.a.example\n  ConnectTimeout 7\n"
            "Match originalhost web canonical\n  ServerAliveInterval 9\n"
            "IdentityFile ~/.ssh/id_%h\n");
  f.dns["web.a.example."] = "";
  const Options o = f.ok("web");
  EXPECT_EQ(o.hostname, "web.a.example");
  EXPECT_EQ(o.user, "canon_user");  // the Host block for the canonical name
  EXPECT_EQ(o.port, 2000);          // the first pass's Host web still applies
  ASSERT_TRUE(o.connect_timeout.has_value());
  EXPECT_EQ(o.connect_timeout->count(), 7);
  EXPECT_EQ(o.server_alive_interval.count(), 9);
  EXPECT_EQ(o.identity_files, (std::vector<std::string>{"/home/al/.ssh/id_web.a.example"}));
  EXPECT_FALSE(o.set_keywords.contains("HostName"));
}

TEST(ResolverCanonical, MatchCanonicalOnlyAfterCanonicalisation) {
  const std::string blocks = "Match canonical\n  User canon\nMatch !canonical\n  Port 2001\n";
  Fixture f(blocks);
  f.dns["web.a.example."] = "";
  Options o = f.ok("web");
  EXPECT_EQ(o.user, "al");
  EXPECT_EQ(o.port, 2001);
  f.fs.files[kConfig] = kYes + blocks;
  o = f.ok("web");
  EXPECT_EQ(o.user, "canon");
  EXPECT_EQ(o.port, 2001);  // the first pass's value stays
  // With Match final as well, still one final pass.
  f.fs.files[kConfig] = kYes + blocks + "Match final\n  IdentityFile ~/.ssh/k\n";
  o = f.ok("web");
  EXPECT_EQ(o.user, "canon");
  EXPECT_EQ(o.identity_files, (std::vector<std::string>{"/home/al/.ssh/k"}));
  EXPECT_EQ(f.looked_up, (Names{"web.a.example."}));
}

TEST(ResolverCanonical, ProxiedConnectionsOnlyUnderAlways) {
  for (const char* proxy : {"ProxyJump jump.example", "ProxyCommand nc %h %p"}) {
    // yes: a name a proxy resolves is left to it; the final pass still runs (Match canonical).
    Fixture f(std::string(kYes) + proxy + "\nMatch canonical\n  User canon\n");
    f.dns["web.a.example."] = "lb.cdn.example";
    Options o = f.ok("web");
    EXPECT_EQ(o.hostname, "web") << proxy;
    EXPECT_EQ(o.user, "canon") << proxy;
    EXPECT_TRUE(f.looked_up.empty()) << proxy;

    // always: canonicalised, CNAMEs followed too.
    f.fs.files[kConfig] = std::string("CanonicalizeHostname always\nCanonicalDomains a.example\n") +
                          "CanonicalizePermittedCNAMEs *:*.cdn.example\n" + proxy + "\n";
    o = f.ok("web");
    EXPECT_EQ(o.hostname, "lb.cdn.example") << proxy;
    // A proxied bare name need not resolve locally.
    EXPECT_EQ(f.ok("x.y.z").hostname, "x.y.z") << proxy;
    EXPECT_EQ(f.looked_up, (Names{"x.y.z"})) << proxy;
  }
  // ProxyJump none / ProxyCommand none are direct.
  Fixture f(std::string(kYes) + "ProxyJump none\n");
  f.dns["web.a.example."] = "";
  EXPECT_EQ(f.ok("web").hostname, "web.a.example");
  f.fs.files[kConfig] = std::string(kYes) + "ProxyCommand none\n";
  EXPECT_EQ(f.ok("web").hostname, "web.a.example");
  // -J on the command line is a proxy as well.
  f.fs.files[kConfig] = kYes;
  f.overrides = {{"ProxyJump", {"jump.example"}, "-J"}};
  EXPECT_EQ(f.ok("web").hostname, "web");
}

TEST(ResolverCanonical, BadValues) {
  Fixture f("");
  const std::pair<const char*, const char*> cases[] = {
      {"CanonicalizeHostname maybe", "CanonicalizeHostname: expected yes, no or always, got 'maybe'"},
      {"CanonicalizeMaxDots x", "CanonicalizeMaxDots: expected a number 0..2147483647, got 'x'"},
      {"CanonicalizeMaxDots -1", "CanonicalizeMaxDots: expected a number 0..2147483647, got '-1'"},
      {"CanonicalizeMaxDots 2147483648", "CanonicalizeMaxDots: expected a number 0..2147483647, got '2147483648'"},
      {"CanonicalDomains none a.example", "CanonicalDomains: \"none\" must appear alone"},
      {"CanonicalDomains .example", "CanonicalDomains: domain name \".example\" starts with invalid character"},
      {"CanonicalDomains a..example", "CanonicalDomains: domain name \"a..example\" contains consecutive separators"},
      {"CanonicalDomains a/b", "CanonicalDomains: domain name \"a/b\" contains invalid characters"},
      {"CanonicalizePermittedCNAMEs a.example",
       "CanonicalizePermittedCNAMEs: invalid permitted CNAME \"a.example\" (expected sources:targets)"},
      {"CanonicalizePermittedCNAMEs a.example:",
       "CanonicalizePermittedCNAMEs: invalid permitted CNAME \"a.example:\" (expected sources:targets)"},
      {"CanonicalizePermittedCNAMEs none *", "CanonicalizePermittedCNAMEs: \"none\" must appear alone"},
  };
  for (const auto& [line, message] : cases) {
    f.fs.files[kConfig] = std::string(line) + "\n";
    // Checked while the file is read, so the message names its file and line.
    EXPECT_EQ(f.error("web"), std::string(kConfig) + ":1: " + message) << line;
    EXPECT_TRUE(f.looked_up.empty()) << line;
  }
}

}  // namespace
