#include "gateway/config/keyword_support.hpp"

#include "ssh/known_hosts/host_pattern.hpp"

namespace gateway::config {
namespace {

using Kind = AcceptedKeyword::Kind;

constexpr std::string_view kNoGssapi = "GSSAPI (Kerberos) is not built into sshplex";
constexpr std::string_view kNoHostbased = "host-based authentication needs ssh-keysign; sshplex does not use it";
constexpr std::string_view kNotYet = "not implemented yet";

// Lower-case names, as ssh's own table keeps them; OpenSSH 9.2 to 10.x plus Debian's GSSAPI patch.
const std::vector<AcceptedKeyword> kTable = {
    // Other spellings ssh accepts for keywords sshplex implements.
    {"dsaauthentication", Kind::alias, "old name", "PubkeyAuthentication"},
    {"skeyauthentication", Kind::alias, "old name", "KbdInteractiveAuthentication"},
    {"tisauthentication", Kind::alias, "old name", "KbdInteractiveAuthentication"},
    {"keepalive", Kind::alias, "old name", "TCPKeepAlive"},
    {"identityfile2", Kind::alias, "old name", "IdentityFile"},
    {"hostbasedkeytypes", Kind::alias, "old name", "HostbasedAcceptedAlgorithms"},
    {"smartcarddevice", Kind::alias, "old name", "PKCS11Provider"},

    // ssh ignores these as well.
    {"protocol", Kind::ignored, "SSH-2 is the only protocol"},
    {"cipher", Kind::ignored, "protocol 1 only (ssh ignores it too)"},
    {"fallbacktorsh", Kind::ignored, "removed from ssh (ssh ignores it too)"},
    {"usersh", Kind::ignored, "removed from ssh (ssh ignores it too)"},
    {"globalknownhostsfile2", Kind::ignored, "removed from ssh (ssh ignores it too)"},
    {"userknownhostsfile2", Kind::ignored, "removed from ssh (ssh ignores it too)"},
    {"rhostsauthentication", Kind::ignored, "removed from ssh (ssh ignores it too)"},
    {"useroaming", Kind::ignored, "removed from ssh (ssh ignores it too)"},
    {"useprivilegedport", Kind::ignored, "removed from ssh (ssh ignores it too)"},

    // ssh warns "Unsupported option" for these too.
    {"afstokenpassing", Kind::unsupported, "removed from ssh"},
    {"kerberosauthentication", Kind::unsupported, "removed from ssh"},
    {"kerberostgtpassing", Kind::unsupported, "removed from ssh"},
    {"rsaauthentication", Kind::unsupported, "protocol 1 only"},
    {"rhostsrsaauthentication", Kind::unsupported, "protocol 1 only"},
    {"compressionlevel", Kind::unsupported, "protocol 1 only"},

    // Authentication sshplex does not do.
    {"gssapiauthentication", Kind::warn_if_enabled, kNoGssapi, {}, true},
    {"gssapidelegatecredentials", Kind::warn_if_enabled, kNoGssapi, {}, true},
    {"gssapikeyexchange", Kind::warn_if_enabled, kNoGssapi, {}, true},
    {"gssapirenewalforcesrekey", Kind::warn_if_enabled, kNoGssapi, {}, true},
    {"gssapitrustdns", Kind::no_effect, kNoGssapi, {}, true},
    {"gssapiclientidentity", Kind::no_effect, kNoGssapi},
    {"gssapiserveridentity", Kind::no_effect, kNoGssapi},
    {"gssapikexalgorithms", Kind::no_effect, kNoGssapi},
    {"hostbasedauthentication", Kind::warn_if_enabled, kNoHostbased, {}, true},
    {"enablesshkeysign", Kind::warn_if_enabled, kNoHostbased, {}, true},
    {"hostbasedacceptedalgorithms", Kind::no_effect, kNoHostbased},
    {"pkcs11provider",
     Kind::warn_if_enabled,
     "PKCS#11 tokens are not loaded by sshplex; load the token into ssh-agent (ssh-add -s) and sshplex uses it",
     {},
     false,
     "none"},
    {"securitykeyprovider",
     Kind::warn_if_enabled,
     "FIDO security keys (sk-*) are not supported; keys held by ssh-agent are",
     {},
     false,
     "internal"},
    {"kbdinteractivedevices", Kind::no_effect, "the server's default devices are asked for"},

    // Host keys.
    {"verifyhostkeydns",
     Kind::warn_if_enabled,
     "SSHFP records would need a DNSSEC-validating resolver; host keys are checked against known_hosts",
     {}},
    {"casignaturealgorithms", Kind::no_effect,
     "host certificates are not accepted (@cert-authority lines are not trusted), so there is nothing to restrict"},
    {"fingerprinthash", Kind::no_effect, "fingerprints are shown as SHA256, ssh's default"},
    {"requiredrsasize", Kind::no_effect,
     "RSA keys under 2048 bits are always refused (ssh's own minimum is 1024); a higher minimum is not applied"},
    {"warnweakcrypto", Kind::no_effect, "sshplex offers no weak algorithms unless they are named explicitly"},

    // The connection.

    // Sessions and forwards.
    {"channeltimeout", Kind::warn_if_enabled, kNotYet, {}, false, "none"},
    {"obscurekeystroketiming", Kind::no_effect, "keystroke timing is not obscured"},
    {"logverbose", Kind::no_effect, "sshplex's log has no per-function verbosity; use -v"},
};

}  // namespace

std::optional<AcceptedKeyword> find_accepted_keyword(std::string_view keyword) {
  const std::string lower = ssh::known_hosts::to_lower_ascii(keyword);
  for (const auto& k : kTable) {
    if (k.name == lower) return k;
  }
  return std::nullopt;
}

const std::vector<AcceptedKeyword>& accepted_keywords() {
  return kTable;
}

}  // namespace gateway::config
