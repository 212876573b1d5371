#include "gateway/auth/host_key_policy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "gateway/util/log.hpp"
#include "gateway/util/read_file.hpp"
#include "ssh/crypto/base64.hpp"
#include "ssh/crypto/host_key.hpp"
#include "ssh/crypto/randomart.hpp"
#include "ssh/known_hosts/known_hosts.hpp"

namespace gateway::auth {
namespace {

std::string display_type(const std::string& key_type) {
  if (key_type == "ssh-ed25519") return "ED25519";
  if (key_type.rfind("ecdsa-", 0) == 0) return "ECDSA";
  if (key_type == "ssh-rsa") return "RSA";
  return key_type;
}

extern "C" char** environ;

// The name and port known_hosts is searched for: HostKeyAlias replaces both.
std::string lookup_host(const HostKeyPolicySettings& s) {
  return s.host_key_alias.empty() ? s.host : s.host_key_alias;
}
std::uint16_t lookup_port(const HostKeyPolicySettings& s) {
  return s.host_key_alias.empty() ? s.port : 22;
}

bool is_ip_literal(const std::string& host) {
  std::uint8_t buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

// The key a KnownHostsCommand is asked about (none when it only orders algorithms).
struct AskedKey {
  const char* reason = "ORDER";  // %I: HOSTNAME when verifying, ORDER for the algorithm order
  std::string base64;            // %K
  std::string fingerprint;       // %f
  std::string type;              // %t
};

// ssh's way with the words of KnownHostsCommand: split like a shell would (quotes, backslash), no
// shell runs; each word's tokens are expanded after the split.
std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < line.size()) {
        word += line[++i];
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::string expand_tokens(const std::string& raw, const std::map<char, std::string>& values) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%' || i + 1 >= raw.size()) {
      out += raw[i];
      continue;
    }
    const char t = raw[++i];
    if (t == '%') {
      out += '%';
    } else if (auto it = values.find(t); it != values.end()) {
      out += it->second;
    } else {
      out += '%';
      out += t;  // unknown: left as written (checked when the configuration was read)
    }
  }
  return out;
}

std::vector<std::string> command_argv(const HostKeyPolicySettings& s, const AskedKey& key) {
  std::map<char, std::string> values = s.command_tokens;
  values['H'] = ssh::known_hosts::lookup_name(lookup_host(s), lookup_port(s));
  values['I'] = key.reason;
  values['K'] = key.base64;
  values['f'] = key.fingerprint;
  values['k'] = lookup_host(s);
  values['t'] = key.type;
  std::vector<std::string> argv = split_words(s.known_hosts_command);
  for (auto& word : argv) word = expand_tokens(word, values);
  return argv;
}

// Runs the command (an absolute path and its arguments, no shell, stdin /dev/null) and returns what
// it printed (at most 1 MiB); nullopt when it could not run or did not exit 0 (ssh then ignores its
// output too).
std::optional<std::string> run_known_hosts_command(const std::vector<std::string>& words, const char* reason) {
  if (words.empty() || words.front().empty() || words.front().front() != '/') {
    log::error("KnownHostsCommand-%s path is not absolute", reason);
    return std::nullopt;
  }
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  std::vector<char*> argv;
  for (const auto& w : words) argv.push_back(const_cast<char*>(w.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    log::error("KnownHostsCommand: cannot run %s: %s", argv[0], std::strerror(rc));
    return std::nullopt;
  }
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (text.size() < (1u << 20)) text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    log::error("KnownHostsCommand %s failed (status %d); its output is ignored", argv[0],
               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return std::nullopt;
  }
  return text;
}

ssh::known_hosts::KnownHosts load(const HostKeyPolicySettings& settings, const AskedKey& asked = {}) {
  ssh::known_hosts::KnownHosts known;
  auto add = [&](const std::string& path) {
    std::string text;
    if (!util::read_whole_file(path, text)) return;
    known.add_source(path, text);
  };
  for (const auto& f : settings.user_files) add(f);
  for (const auto& f : settings.global_files) add(f);
  if (!settings.known_hosts_command.empty()) {
    const auto argv = command_argv(settings, asked);
    log::debug("Executing KnownHostsCommand-%s: %s", asked.reason, settings.known_hosts_command.c_str());
    if (auto text = run_known_hosts_command(argv, asked.reason)) known.add_source("KnownHostsCommand", *text);
  }
  for (const auto& p : known.problems()) log::debug("%s:%zu: %s", p.file.c_str(), p.line, p.message.c_str());
  return known;
}

// RevokedHostKeys: a line whose key is this key, in any of the files. A file that cannot be read, or
// an OpenSSH KRL (binary, not read here), refuses every key: better than ignoring a revocation.
bool revoked_by_file(const HostKeyPolicySettings& settings, ssh::ByteView key_blob, std::string& where) {
  for (const auto& path : settings.revoked_files) {
    std::string text;
    if (!util::read_whole_file(path, text)) {
      where = path + " (cannot be read)";
      return true;
    }
    if (text.starts_with("SSHKRL")) {
      where = path + " (a KRL, which sshplex cannot read: list revoked public keys one per line instead)";
      return true;
    }
    std::istringstream lines(text);
    std::string line;
    std::size_t number = 0;
    while (std::getline(lines, line)) {
      ++number;
      std::istringstream words(line);
      std::string type, base64;
      if (!(words >> type >> base64) || type.starts_with("#")) continue;
      const auto blob = ssh::crypto::base64_decode(base64);
      if (blob && blob->size() == key_blob.size() && std::equal(blob->begin(), blob->end(), key_blob.begin())) {
        where = path + ":" + std::to_string(number);
        return true;
      }
    }
  }
  return false;
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
  return load(settings).known_key_types(lookup_host(settings), lookup_port(settings));
}

bool verify_host_key(const HostKeyPolicySettings& settings, const ssh::event::HostKey& key,
                     const std::string& address) {
  const std::string name = ssh::known_hosts::lookup_name(lookup_host(settings), lookup_port(settings));
  const std::string type = display_type(ssh::crypto::key_blob_type(key.key_blob));
  if (settings.trust_loopback && is_loopback(settings.host)) {
    log::verbose("Forcing accepting of host key for loopback/localhost (NoHostAuthenticationForLocalhost).");
    return true;
  }
  std::string revoked_where;
  if (revoked_by_file(settings, key.key_blob, revoked_where)) {
    log::error(
        "The %s host key for %s is revoked by RevokedHostKeys %s.\n%s key fingerprint is %s.\n"
        "Host key verification failed.",
        type.c_str(), name.c_str(), revoked_where.c_str(), type.c_str(), key.fingerprint.c_str());
    return false;
  }
  if (!settings.host_key_alias.empty()) log::verbose("using hostkeyalias: %s", settings.host_key_alias.c_str());
  AskedKey asked{"HOSTNAME", ssh::crypto::base64_encode(key.key_blob), key.fingerprint,
                 ssh::crypto::key_blob_type(key.key_blob)};
  const auto known = load(settings, asked);
  const auto check = known.check(lookup_host(settings), lookup_port(settings), key.key_blob);
  using Status = ssh::known_hosts::HostKeyCheck::Status;
  const std::string user_file = settings.user_files.empty() ? std::string() : settings.user_files.front();

  // CheckHostIP, as ssh: only for a name reached directly (not an address, an alias, a proxy or a
  // loopback address).
  const bool check_ip = settings.check_host_ip && !address.empty() && settings.host_key_alias.empty() &&
                        !is_ip_literal(settings.host) && !is_loopback(address);
  const std::string ip_name = ssh::known_hosts::lookup_name(address, settings.port);
  // The address's own entry once the name's key is trusted: recorded when missing, a warning when it
  // names another key (refused under StrictHostKeyChecking yes).
  auto address_agrees = [&]() {
    if (!check_ip) return true;
    const auto ip = known.check(address, settings.port, key.key_blob);
    if (ip.status == Status::match) return true;
    if (ip.status == Status::not_found) {
      if (!user_file.empty() &&
          append_line(user_file,
                      ssh::known_hosts::format_line(address, settings.port, key.key_blob, settings.hash_known_hosts))) {
        log::info("Warning: Permanently added the %s host key for IP address '%s' to the list of known hosts.",
                  type.c_str(), ip_name.c_str());
      }
      return true;
    }
    log::error(
        "Warning: the %s host key for '%s' differs from the key for the IP address '%s'\n"
        "Offending key for IP in %s:%zu",
        type.c_str(), name.c_str(), ip_name.c_str(), ip.file.c_str(), ip.line);
    if (settings.strict == StrictHostKeyChecking::yes) {
      log::error("Exiting, you have requested strict checking.");
      return false;
    }
    return true;
  };

  switch (check.status) {
    case Status::match:
      if (settings.visual) {
        log::info("Host key fingerprint is %s\n%s", key.fingerprint.c_str(),
                  ssh::crypto::randomart(key.key_blob).c_str());
      }
      log::verbose("Host '%s' is known and matches the %s host key.", name.c_str(), type.c_str());
      log::verbose("Found key in %s:%zu", check.file.c_str(), check.line);
      return address_agrees();
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
  auto remember = [&] {
    if (user_file.empty()) return;
    std::string line = ssh::known_hosts::format_line(lookup_host(settings), lookup_port(settings), key.key_blob,
                                                     settings.hash_known_hosts);
    // With CheckHostIP the address goes beside the name ("name,address type key"; hashed names
    // cannot share a line, so a second line).
    if (check_ip && !settings.hash_known_hosts) {
      line.insert(line.find(' '), "," + ip_name);
    } else if (check_ip) {
      line += "\n" + ssh::known_hosts::format_line(address, settings.port, key.key_blob, true);
    }
    if (append_line(user_file, line)) {
      log::info("Warning: Permanently added '%s'%s (%s) to the list of known hosts.", name.c_str(),
                check_ip ? (",'" + ip_name + "'").c_str() : "", type.c_str());
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
        << (settings.visual ? ssh::crypto::randomart(key.key_blob) + "\n" : std::string())
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
