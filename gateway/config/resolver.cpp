#include "gateway/config/resolver.hpp"

#include <glob.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gateway/config/config_lexer.hpp"
#include "gateway/config/keywords.hpp"
#include "ssh/crypto/hash.hpp"
#include "ssh/known_hosts/host_pattern.hpp"

namespace gateway::config {
namespace {

using ssh::known_hosts::to_lower_ascii;

constexpr std::string_view kCommandLine = "command line";
// Refuse absurd config files rather than buffering them (a config is a few KiB).
constexpr std::size_t kMaxConfigFile = 4 * 1024 * 1024;
// Depth alone does not bound the work: two Include lines per file nest into 2^16 reads.
constexpr std::size_t kMaxIncludedFiles = 256;

bool host_patterns_match(const std::vector<std::string>& args, std::string_view name) {
  std::vector<std::string> patterns;
  for (const auto& a : args) {
    for (auto& p : ssh::known_hosts::split_patterns(a, ',')) patterns.push_back(std::move(p));
  }
  return ssh::known_hosts::match_pattern_list(patterns, to_lower_ascii(name)) ==
         ssh::known_hosts::PatternListMatch::match;
}

class FileWalker {
 public:
  FileWalker(OptionsBuilder& b, const FileSystem& fs, const Environment& env, std::string host)
      : b_(b), fs_(fs), env_(env), host_(std::move(host)) {}

  // Reads `path`; a missing file is an error only when `required`.
  void read_top(const std::string& path, bool user_file, bool required) {
    user_file_ = user_file;
    auto text = fs_.read_file(path);
    if (!text) {
      if (required) b_.errors.push_back({path, 0, "cannot read configuration file"});
      return;
    }
    walk(path, *text, 0, true);
  }

 private:
  void error(const std::string& file, std::size_t line, std::string message) {
    b_.errors.push_back({file, line, std::move(message)});
  }

  void walk(const std::string& file, std::string_view text, int depth, bool active) {
    if (text.size() > kMaxConfigFile) {
      error(file, 0, "configuration file is too large");
      return;
    }
    std::size_t line_no = 0;
    std::size_t begin = 0;
    while (begin < text.size()) {
      std::size_t end = text.find('\n', begin);
      if (end == std::string_view::npos) end = text.size();
      ++line_no;
      ConfigLine line;
      std::string err;
      if (!split_config_line(text.substr(begin, end - begin), line, err)) {
        error(file, line_no, err);
      } else if (!line.keyword.empty()) {
        handle(file, line_no, line, depth, active);
      }
      begin = end + 1;
    }
  }

  void handle(const std::string& file, std::size_t line_no, const ConfigLine& line, int depth, bool& active) {
    const std::string kw = to_lower_ascii(line.keyword);
    if (kw == "host") {
      if (line.args.empty()) {
        error(file, line_no, "Host: expected one or more host patterns");
        active = false;
      } else {
        active = host_patterns_match(line.args, host_);
      }
    } else if (kw == "match") {
      std::string err;
      active = evaluate_match(line.args, err);
      if (!err.empty()) error(file, line_no, "Match: " + err);
    } else if (kw == "include") {
      include(file, line_no, line.args, depth, active);
    } else {
      apply_directive(b_, line, Origin{file, line_no}, active);
    }
  }

  // Match all | [!]host list | [!]originalhost list, criteria combined with AND (ssh_config(5) Match).
  bool evaluate_match(const std::vector<std::string>& args, std::string& err) {
    if (args.empty()) {
      err = "expected criteria (supported: all, host, originalhost)";
      return false;
    }
    if (to_lower_ascii(args[0]) == "all") {
      if (args.size() != 1) err = "'all' cannot be combined with other criteria";
      return err.empty();
    }
    bool result = true;
    for (std::size_t i = 0; i < args.size(); ++i) {
      std::string criterion = to_lower_ascii(args[i]);
      const bool negate = !criterion.empty() && criterion.front() == '!';
      if (negate) criterion.erase(0, 1);
      if (criterion != "host" && criterion != "originalhost") {
        err = "'" + args[i] + "' is not supported (supported: all, host, originalhost)";
        return false;
      }
      if (i + 1 >= args.size()) {
        err = "'" + args[i] + "' needs a pattern list";
        return false;
      }
      const std::string& list = args[++i];
      std::string name = host_;
      if (criterion == "host" && !b_.hostname.empty()) name = current_hostname();
      const bool m = host_patterns_match({list}, name);
      result = result && (negate ? !m : m);
    }
    return result;
  }

  std::string current_hostname() const {
    std::string out;
    const std::string& raw = b_.hostname.front().raw;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '%' && i + 1 < raw.size() && raw[i + 1] == 'h') {
        out += host_;
        ++i;
      } else {
        out += raw[i];
      }
    }
    return out;
  }

  void include(const std::string& file, std::size_t line_no, const std::vector<std::string>& args, int depth,
               bool active) {
    if (args.empty()) {
      error(file, line_no, "Include: expected one or more file names");
      return;
    }
    // Conditional inclusion (ssh_config(5) Include): only inside a block that applies. Once the file
    // limit or the depth limit was hit (and reported once), further includes are skipped quietly.
    if (!active || include_limit_hit_) return;
    if (depth + 1 > kMaxIncludeDepth) {
      error(file, line_no, "Include: nested more than " + std::to_string(kMaxIncludeDepth) + " levels deep");
      include_limit_hit_ = true;
      return;
    }
    for (const auto& arg : args) {
      TokenValues none{env_.home, {}, {}, {}, {}, {}, {}, {}, {}};
      std::string err;
      auto expanded = expand_value(arg, none, "", true, err);
      if (!expanded) {
        error(file, line_no, "Include: " + err);
        continue;
      }
      std::string pattern = *expanded;
      if (pattern.empty() || pattern.front() != '/') {
        pattern = (user_file_ ? env_.home + "/.ssh/" : std::string("/etc/ssh/")) + pattern;
      }
      for (const auto& path : fs_.glob(pattern)) {
        if (++included_ > kMaxIncludedFiles) {
          error(file, line_no, "Include: more than " + std::to_string(kMaxIncludedFiles) + " files included");
          include_limit_hit_ = true;
          return;
        }
        auto text = fs_.read_file(path);
        if (!text) {
          error(file, line_no, "Include: cannot read " + path);
          continue;
        }
        walk(path, *text, depth + 1, active);
      }
    }
  }

  OptionsBuilder& b_;
  const FileSystem& fs_;
  const Environment& env_;
  std::string host_;
  bool user_file_ = true;
  std::size_t included_ = 0;
  bool include_limit_hit_ = false;
};

void expand_list(OptionsBuilder& b, const std::vector<PendingValue>& raw, const TokenValues& tokens,
                 std::string_view what, std::vector<std::string>& out) {
  for (const auto& p : raw) {
    std::string err;
    auto v = expand_value(p.raw, tokens, "dhnrpu", true, err);
    if (v) {
      out.push_back(std::move(*v));
    } else {
      b.errors.push_back({p.file, p.line, std::string(what) + ": " + err});
    }
  }
}

void finish(OptionsBuilder& b, const ResolveInput& input, const Environment& env) {
  Options& o = b.options;
  o.set_keywords = b.seen;
  o.host = input.host;
  o.config_file = input.config_file;
  o.hostname = input.host;
  if (!b.hostname.empty()) {
    std::string err;
    TokenValues t;
    t.hostname = input.host;
    auto v = expand_value(b.hostname.front().raw, t, "h", false, err);
    if (v && !v->empty()) {
      o.hostname = *v;
    } else {
      b.errors.push_back({b.hostname.front().file, b.hostname.front().line,
                          "HostName: " + (v ? std::string("expands to an empty name") : err)});
    }
  }
  if (!b.seen.contains("User")) o.user = env.local_user;

  const TokenValues tokens{env.home,
                           env.local_user,
                           o.hostname,
                           input.host,
                           o.user,
                           std::to_string(o.port),
                           env.local_hostname,
                           env.uid,
                           connection_hash(env.local_hostname, o.hostname, std::to_string(o.port), o.user)};
  expand_list(b, b.identity_files, tokens, "IdentityFile", o.identity_files);
  expand_list(b, b.certificate_files, tokens, "CertificateFile", o.certificate_files);
  if (b.identity_files.empty()) {
    // Only the key types we implement (no DSA, no security keys).
    for (const char* name : {"id_rsa", "id_ecdsa", "id_ed25519"})
      o.identity_files.push_back(env.home + "/.ssh/" + name);
    o.identity_files_defaulted = true;
  }
  if (b.seen.contains("UserKnownHostsFile")) {
    expand_list(b, b.user_known_hosts_files, tokens, "UserKnownHostsFile", o.user_known_hosts_files);
  } else {
    o.user_known_hosts_files = {env.home + "/.ssh/known_hosts", env.home + "/.ssh/known_hosts2"};
  }
  if (b.seen.contains("GlobalKnownHostsFile")) {
    expand_list(b, b.global_known_hosts_files, tokens, "GlobalKnownHostsFile", o.global_known_hosts_files);
  } else {
    o.global_known_hosts_files = {"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"};
  }
  if (!b.socks_credentials_file.empty()) {
    std::vector<std::string> one;
    expand_list(b, {b.socks_credentials_file.front()}, tokens, "SocksCredentialsFile", one);
    if (!one.empty()) o.socks_credentials_file = one.front();
  }
  if (!b.control_path.empty()) {
    // ssh_config(5): ControlPath takes ~, the TOKENS and ${VAR}; "none" switches it off.
    std::string err;
    auto v = expand_value(b.control_path.front().raw, tokens, "CdhilLnpru", true, err);
    if (v) {
      o.control_path = *v;
    } else {
      b.errors.push_back({b.control_path.front().file, b.control_path.front().line, "ControlPath: " + err});
    }
  }
  if (!b.remote_command.empty()) {
    // ssh_config(5): RemoteCommand takes the TOKENS and ${VAR}.
    std::string err;
    auto v = expand_value(b.remote_command.front().raw, tokens, "dhnrpu", false, err);
    if (v) {
      o.remote_command = *v;
    } else {
      b.errors.push_back({b.remote_command.front().file, b.remote_command.front().line, "RemoteCommand: " + err});
    }
  }
  if (!b.forward_agent.empty()) {
    const std::string& raw = b.forward_agent.front().raw;
    if (raw.starts_with("$")) {
      o.forward_agent = raw;
    } else {
      std::vector<std::string> one;
      expand_list(b, {b.forward_agent.front()}, tokens, "ForwardAgent", one);
      if (!one.empty()) o.forward_agent = one.front();
    }
  }
  if (!b.xauth_location.empty()) {
    std::vector<std::string> one;
    expand_list(b, {b.xauth_location.front()}, tokens, "XAuthLocation", one);
    if (!one.empty()) o.xauth_location = one.front();
  }
  if (!b.identity_agent.empty()) {
    const std::string& raw = b.identity_agent.front().raw;
    if (raw == "SSH_AUTH_SOCK" || to_lower_ascii(raw) == "none" || raw.starts_with("$")) {
      o.identity_agent = to_lower_ascii(raw) == "none" ? "none" : raw;
    } else {
      std::vector<std::string> one;
      expand_list(b, {b.identity_agent.front()}, tokens, "IdentityAgent", one);
      if (!one.empty()) o.identity_agent = one.front();
    }
  }
}

}  // namespace

std::string ConfigError::to_string() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ": " + message;
}

std::optional<std::string> expand_value(std::string_view raw, const TokenValues& values, std::string_view allowed,
                                        bool tilde, std::string& error) {
  std::string out;
  if (tilde && !raw.empty() && raw.front() == '~') {
    if (raw.size() > 1 && raw[1] != '/') {
      error = "'~user' paths are not supported in '" + std::string(raw) + "'";
      return std::nullopt;
    }
    out = values.home;
    raw.remove_prefix(1);
  }
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out += raw[i];
      continue;
    }
    if (i + 1 >= raw.size()) {
      error = "'%' at the end of '" + std::string(raw) + "'";
      return std::nullopt;
    }
    const char t = raw[++i];
    if (t == '%') {
      out += '%';
      continue;
    }
    if (allowed.find(t) == std::string_view::npos) {
      error = std::string("unknown or unsupported token '%") + t + "' in '" + std::string(raw) + "'";
      return std::nullopt;
    }
    switch (t) {
      case 'd':
        out += values.home;
        break;
      case 'u':
        out += values.local_user;
        break;
      case 'h':
        out += values.hostname;
        break;
      case 'n':
        out += values.original_host;
        break;
      case 'r':
        out += values.remote_user;
        break;
      case 'p':
        out += values.port;
        break;
      case 'l':
        out += values.local_hostname;
        break;
      case 'L':
        out += values.local_hostname.substr(0, values.local_hostname.find('.'));
        break;
      case 'i':
        out += values.uid;
        break;
      case 'C':
        out += values.connection_hash;
        break;
      default:
        break;
    }
  }
  return out;
}

ResolveResult resolve(const ResolveInput& input, const Environment& env, const FileSystem& fs) {
  OptionsBuilder b;
  for (const auto& ov : input.overrides) {
    const std::string file = std::string(kCommandLine) + " (" + ov.origin + ")";
    const std::string kw = to_lower_ascii(ov.keyword);
    if (kw == "host" || kw == "match" || kw == "include") {
      b.errors.push_back({file, 0, ov.keyword + " cannot be given on the command line"});
      continue;
    }
    apply_directive(b, ConfigLine{ov.keyword, ov.args}, Origin{file, 0}, true);
  }

  FileWalker walker(b, fs, env, input.host);
  if (input.config_file) {
    const std::string& f = *input.config_file;
    if (to_lower_ascii(f) != "none" && f != "/dev/null") {
      std::string err;
      auto path = expand_value(f, TokenValues{env.home, {}, {}, {}, {}, {}, {}, {}, {}}, "", true, err);
      if (!path) {
        b.errors.push_back({f, 0, err});
      } else {
        walker.read_top(*path, true, true);
      }
    }
  } else {
    walker.read_top(env.home + "/.ssh/config", true, false);
    walker.read_top("/etc/ssh/ssh_config", false, false);
  }
  finish(b, input, env);

  ResolveResult result;
  result.errors = std::move(b.errors);
  result.warnings = std::move(b.warnings);
  if (result.errors.empty()) result.options = std::move(b.options);
  return result;
}

std::string connection_hash(const std::string& local_hostname, const std::string& hostname, const std::string& port,
                            const std::string& remote_user) {
  const std::string text = local_hostname + hostname + port + remote_user;
  const auto digest = ssh::crypto::digest(ssh::crypto::HashAlg::sha1, ssh::as_bytes(text));
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : digest) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

Environment current_environment() {
  Environment env;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') env.local_hostname = host;
  env.uid = std::to_string(::getuid());
  long size = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::string buffer(size > 0 ? static_cast<std::size_t>(size) : 16384, '\0');
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(getuid(), &pw, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
    env.home = found->pw_dir != nullptr ? found->pw_dir : "";
    env.local_user = found->pw_name != nullptr ? found->pw_name : "";
  }
  if (env.home.empty()) {
    if (const char* h = std::getenv("HOME")) env.home = h;
  }
  if (env.local_user.empty()) {
    if (const char* u = std::getenv("USER")) env.local_user = u;
  }
  return env;
}

FileSystem real_file_system() {
  FileSystem fs;
  fs.read_file = [](const std::string& path) -> std::optional<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return std::nullopt;
    return ss.str();
  };
  fs.glob = [](const std::string& pattern) {
    std::vector<std::string> out;
    glob_t g{};
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
    return out;
  };
  return fs;
}

}  // namespace gateway::config
