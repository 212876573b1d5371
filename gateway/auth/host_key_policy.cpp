#include "gateway/auth/host_key_policy.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "gateway/util/log.hpp"
#include "gateway/util/read_file.hpp"
#include "ssh/crypto/host_key.hpp"
#include "ssh/known_hosts/known_hosts.hpp"

namespace gateway::auth {
namespace {

std::string display_type(const std::string& key_type) {
  if (key_type == "ssh-ed25519") return "ED25519";
  if (key_type.rfind("ecdsa-", 0) == 0) return "ECDSA";
  if (key_type == "ssh-rsa") return "RSA";
  return key_type;
}

ssh::known_hosts::KnownHosts load(const HostKeyPolicySettings& settings) {
  ssh::known_hosts::KnownHosts known;
  auto add = [&](const std::string& path) {
    std::string text;
    if (!util::read_whole_file(path, text)) return;
    known.add_source(path, text);
  };
  for (const auto& f : settings.user_files) add(f);
  for (const auto& f : settings.global_files) add(f);
  for (const auto& p : known.problems()) log::debug("%s:%zu: %s", p.file.c_str(), p.line, p.message.c_str());
  return known;
}

bool append_line(const std::string& path, const std::string& line) {
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) ::mkdir(path.substr(0, slash).c_str(), 0700);
  std::ofstream out(path, std::ios::app);
  if (!out) return false;
  out << line << '\n';
  return static_cast<bool>(out);
}

}  // namespace

std::vector<std::string> known_host_key_types(const HostKeyPolicySettings& settings) {
  return load(settings).known_key_types(settings.host, settings.port);
}

bool verify_host_key(const HostKeyPolicySettings& settings, const ssh::event::HostKey& key) {
  const auto known = load(settings);
  const auto check = known.check(settings.host, settings.port, key.key_blob);
  const std::string name = ssh::known_hosts::lookup_name(settings.host, settings.port);
  const std::string type = display_type(ssh::crypto::key_blob_type(key.key_blob));
  using Status = ssh::known_hosts::HostKeyCheck::Status;

  switch (check.status) {
    case Status::match:
      log::verbose("Host '%s' is known and matches the %s host key.", name.c_str(), type.c_str());
      log::verbose("Found key in %s:%zu", check.file.c_str(), check.line);
      return true;
    case Status::revoked:
      log::error("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
                 "@       WARNING: REVOKED HOST KEY DETECTED!               @\n"
                 "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
                 "The %s host key for %s is marked as revoked (%s:%zu).\n"
                 "This could mean that a stolen key is being used to impersonate this host.\n"
                 "%s key fingerprint is %s.\nHost key verification failed.",
                 type.c_str(), name.c_str(), check.file.c_str(), check.line, type.c_str(), key.fingerprint.c_str());
      return false;
    case Status::mismatch:
      log::error("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
                 "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"
                 "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
                 "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n"
                 "Someone could be eavesdropping on you right now (man-in-the-middle attack)!\n"
                 "It is also possible that a host key has just been changed.\n"
                 "The fingerprint for the %s key sent by the remote host is\n%s.\n"
                 "Offending %s key in %s:%zu\n"
                 "Host key for %s has changed; sshplex refuses changed host keys whatever StrictHostKeyChecking says.\n"
                 "If the change is expected, remove the old key (ssh-keygen -R '%s') and connect again.\n"
                 "Host key verification failed.",
                 type.c_str(), key.fingerprint.c_str(), display_type(check.other_key_type).c_str(), check.file.c_str(),
                 check.line, name.c_str(), name.c_str());
      return false;
    case Status::not_found:
      break;
  }

  if (check.cert_authority_seen) {
    log::info("%s is listed under @cert-authority, but host certificates are not supported; "
              "treating the host as unknown.", name.c_str());
  }
  const std::string user_file = settings.user_files.empty() ? std::string() : settings.user_files.front();
  auto remember = [&] {
    if (user_file.empty()) return;
    const std::string line = ssh::known_hosts::format_line(settings.host, settings.port, key.key_blob,
                                                           settings.hash_known_hosts);
    if (append_line(user_file, line)) {
      log::info("Warning: Permanently added '%s' (%s) to the list of known hosts.", name.c_str(), type.c_str());
    } else {
      log::error("Failed to add the host to the list of known hosts (%s).", user_file.c_str());
    }
  };

  switch (settings.strict) {
    case StrictHostKeyChecking::yes:
      log::error("No %s host key is known for %s and you have requested strict checking.\n"
                 "The server's %s key fingerprint is %s.\nHost key verification failed.",
                 type.c_str(), name.c_str(), type.c_str(), key.fingerprint.c_str());
      return false;
    case StrictHostKeyChecking::accept_new:
      remember();
      return true;
    case StrictHostKeyChecking::no:
      log::error("WARNING: accepting the unverified %s host key %s for %s (StrictHostKeyChecking no).\n"
                 "Anyone on the path could be impersonating this server.",
                 type.c_str(), key.fingerprint.c_str(), name.c_str());
      remember();
      return true;
    case StrictHostKeyChecking::ask: {
      std::ostringstream q;
      q << "The authenticity of host '" << name << "' can't be established.\n"
        << type << " key fingerprint is " << key.fingerprint << ".\n"
        << "Are you sure you want to continue connecting (yes/no/[fingerprint])? ";
      PromptOptions prompt = settings.prompt;
      for (;;) {
        auto answer = read_secret(q.str(), true, prompt);
        if (!answer) {
          log::error("Host key verification failed (no terminal to ask; set StrictHostKeyChecking or add the key "
                     "to %s).", user_file.c_str());
          return false;
        }
        const std::string a(answer->data(), answer->size());
        if (a == "yes" || a == key.fingerprint) {
          remember();
          return true;
        }
        if (a == "no") {
          log::error("Host key verification failed.");
          return false;
        }
        q.str("Please type 'yes', 'no' or the fingerprint: ");
      }
    }
  }
  return false;
}

}  // namespace gateway::auth
