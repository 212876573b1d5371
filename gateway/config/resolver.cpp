#include "gateway/config/resolver.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <glob.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "gateway/config/canonicalize.hpp"
#include "gateway/config/config_lexer.hpp"
#include "gateway/config/keywords.hpp"
#include "gateway/config/match_criteria.hpp"
#include "ssh/crypto/hash.hpp"
#include "ssh/known_hosts/host_pattern.hpp"
#include "ssh/transport/transport.hpp"

namespace gateway::config {
namespace {

using ssh::known_hosts::to_lower_ascii;
// The pattern, network and criterion checks of Match lines (match_criteria.hpp).
using namespace match;

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

// What both passes share; ssh keeps it in its Options.
struct PassState {
  std::optional<std::string> tag;  // Tag, -o Tag= (and -P): the first value wins
  bool want_final_pass = false;    // a "Match final" was met in the first pass
  // The host name fixed for the final pass (canonicalised, or HostName lower-cased); it is the
  // resolved HostName.
  std::optional<std::string> final_host;
};

// Tag (ssh_config(5)): the name Match tagged compares against. Structural like Host and Match: it
// only steers the matching, so it is kept here and not among the options.
void apply_tag(OptionsBuilder& b, PassState& state, const std::vector<std::string>& args, const std::string& file,
               std::size_t line, bool active) {
  if (args.empty() || args[0].empty()) {
    b.errors.push_back({file, line, "Tag: missing argument"});
  } else if (args.size() > 1) {
    b.errors.push_back({file, line, "Tag: expected 1 argument, got " + std::to_string(args.size())});
  } else if (active && !state.tag) {
    state.tag = args[0];
  }
}

class FileWalker {
 public:
  // `host` is what Host lines match: the destination as typed, or in the final pass the host name.
  FileWalker(OptionsBuilder& b, const FileSystem& fs, const Environment& env, const ResolveInput& input,
             PassState& state, bool final_pass, std::string host)
      : b_(b), fs_(fs), env_(env), input_(input), state_(state), final_pass_(final_pass), host_(std::move(host)) {}

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
    } else if (kw == "tag") {
      apply_tag(b_, state_, line.args, file, line_no, active);
    } else {
      apply_directive(b_, line, Origin{file, line_no}, active);
    }
  }

  // ssh_config(5) Match as readconf.c's match_cfg_line evaluates it. Criteria are ANDed and each is
  // checked even after one failed (a bad one is still an error), except that an exec is not run once
  // the line cannot match. "all" must be the last criterion, with at most one before it (the manual
  // says: canonical or final; ssh accepts any, and so do we). An error leaves the block inactive.
  bool evaluate_match(const std::vector<std::string>& args, std::string& err) {
    bool result = true;
    std::size_t criteria = 0;
    for (std::size_t i = 0; i < args.size(); ++i) {
      // ssh: an argument starting with '#' (here only a quoted one reaches us) ends the line.
      if (args[i].starts_with('#')) break;
      std::string_view attrib = args[i];
      const bool negate = attrib.starts_with('!');
      if (negate) attrib.remove_prefix(1);
      std::string name = to_lower_ascii(attrib);
      if (name == "all") {
        const bool more = i + 1 < args.size() && !args[i + 1].empty() && !args[i + 1].starts_with('#');
        if (criteria > 1 || more) {
          err = "'" + args[i] + "' cannot be combined with other criteria";
          return false;
        }
        return result && !negate;
      }
      ++criteria;
      if (name == "canonical" || name == "final") {
        // Only a "Match final" asks for the final pass (OpenSSH 10.1: not a negated one).
        if (name == "final" && !negate && !final_pass_) state_.want_final_pass = true;
        if (final_pass_ == negate) result = false;
        continue;
      }
      std::string arg;
      bool have_arg = false;
      if (const auto eq = name.find('='); eq != std::string::npos && takes_equals_form(name.substr(0, eq))) {
        arg = std::string(attrib.substr(eq + 1));
        name.resize(eq);
        have_arg = true;
      }
      if (!known_criterion(name)) {
        err = "unsupported criterion '" + std::string(attrib) + "' (supported: " + std::string(kCriteria) + ")";
        return false;
      }
      if (!have_arg) {
        if (i + 1 >= args.size()) {
          err = "missing argument for '" + name + "'";
          return false;
        }
        arg = args[++i];
      }
      // Only tagged and command may be given an empty argument (it matches when there is none).
      if ((arg.empty() && name != "tagged" && name != "command") || arg.starts_with('#')) {
        err = "missing argument for '" + name + "'";
        return false;
      }
      bool matched = false;
      if (name == "exec") {
        auto outcome = run_exec(arg, result, err);
        if (!err.empty()) return false;
        if (!outcome) continue;  // not run: the line already failed
        matched = *outcome;
      } else if (name == "localnetwork") {
        std::vector<Network> networks;
        if (!parse_networks(arg, networks, err)) {
          err = "localnetwork: " + err;
          return false;
        }
        matched = local_address_in(networks);
      } else {
        matched = criterion_matches(name, arg);
      }
      if (matched == negate) result = false;
    }
    if (criteria == 0) {
      err = "expected one or more criteria (" + std::string(kCriteria) + ")";
      return false;
    }
    return result;
  }

  bool criterion_matches(const std::string& name, const std::string& arg) const {
    if (name == "host") return host_patterns_match({arg}, match_host());
    if (name == "originalhost") return host_patterns_match({arg}, input_.host);
    if (name == "user") return exact_patterns_match(arg, remote_user());
    if (name == "localuser") return exact_patterns_match(arg, env_.local_user);
    if (name == "version") return exact_patterns_match(arg, match_version());
    if (name == "sessiontype") return exact_patterns_match(arg, session_type());
    // tagged, command: nothing set matches only the empty argument.
    const std::string& value = name == "tagged" ? state_.tag.value_or(std::string()) : input_.command;
    return value.empty() ? arg.empty() : exact_patterns_match(arg, value);
  }

  // Expands the exec command (always, so a bad token is an error even when it is not run) and runs it
  // unless the line already failed: nullopt when not run, else whether it exited with status 0.
  std::optional<bool> run_exec(const std::string& raw, bool line_matches_so_far, std::string& err) {
    const std::string host = match_host();
    const std::string port = std::to_string(b_.options.port);
    const std::string user = remote_user();
    const TokenValues tokens{env_.home,
                             env_.local_user,
                             host,
                             input_.host,
                             user,
                             port,
                             env_.local_hostname,
                             env_.uid,
                             connection_hash(env_.local_hostname, host, port, user),
                             host};
    std::string why;
    auto command = expand_value(raw, tokens, "CdhikLlnpru", false, why);
    if (!command) {
      err = "exec: " + why;
      return std::nullopt;
    }
    if (!line_matches_so_far) return std::nullopt;
    if (!input_.run_command) {
      err = "exec: running commands is not available here";
      return std::nullopt;
    }
    const int status = input_.run_command(*command);
    if (status < 0) {
      err = "exec \"" + *command + "\": could not run it, or it did not exit normally";
      return std::nullopt;
    }
    return status == 0;
  }

  bool local_address_in(const std::vector<Network>& networks) const {
    if (!input_.local_addresses) return false;
    for (const auto& text : input_.local_addresses()) {
      // As in ssh, a scoped address (link-local "fe80::1%eth0") never matches a network.
      if (text.find('%') != std::string::npos) continue;
      int family = 0;
      std::array<std::uint8_t, 16> bytes{};
      if (!parse_address(text, family, bytes)) continue;
      for (const auto& net : networks) {
        if (in_network(net, family, bytes)) return true;
      }
    }
    return false;
  }

  // Match host and %h of Match exec: in the first pass HostName so far with %h expanded (else the
  // destination); in the final pass the fixed host name.
  std::string match_host() const {
    if (final_pass_ || b_.hostname.empty()) return host_;
    TokenValues t;
    t.hostname = host_;
    std::string ignored;  // finish() reports a bad HostName
    auto v = expand_value(b_.hostname.front().raw, t, "h", false, ignored);
    return v ? *v : b_.hostname.front().raw;
  }

  // Match user and %r: User so far (command line, then files), else the local user.
  std::string remote_user() const { return b_.seen.contains("User") ? b_.options.user : env_.local_user; }

  std::string session_type() const {
    switch (b_.options.session_type) {
      case SessionType::subsystem:
        return "subsystem";
      case SessionType::none:
        return "none";
      case SessionType::command:
        break;
    }
    return input_.command.empty() ? "shell" : "exec";
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
  const ResolveInput& input_;
  PassState& state_;
  bool final_pass_;
  std::string host_;
  bool user_file_ = true;
  std::size_t included_ = 0;
  bool include_limit_hit_ = false;
};

// Reads the -F file, or the user's and the system's files, through `walker`.
void read_files(FileWalker& walker, OptionsBuilder& b, const ResolveInput& input, const Environment& env) {
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
}

// Drops the entries from `from` on that repeat an earlier one (ssh does not add an IdentityFile,
// CertificateFile or forward twice, so the final pass re-reading a block adds nothing new).
template <typename T, typename Key>
void drop_repeats(std::vector<T>& list, std::size_t from, Key key) {
  from = std::min(from, list.size());
  std::set<std::string> keys;
  for (std::size_t i = 0; i < from; ++i) keys.insert(key(list[i]));
  std::vector<T> kept(std::make_move_iterator(list.begin()),
                      std::make_move_iterator(list.begin() + static_cast<std::ptrdiff_t>(from)));
  for (std::size_t i = from; i < list.size(); ++i) {
    if (keys.insert(key(list[i])).second) kept.push_back(std::move(list[i]));
  }
  list = std::move(kept);
}

// The host name after the first pass as ssh.c takes it before canonicalisation and the final pass:
// HostName with %h expanded, lower-cased unless an address. nullopt for a bad HostName (finish()
// reports it).
std::optional<std::string> first_pass_host_name(const OptionsBuilder& b, const ResolveInput& input) {
  std::string name = input.host;
  if (!b.hostname.empty()) {
    TokenValues t;
    t.hostname = input.host;
    std::string err;
    auto v = expand_value(b.hostname.front().raw, t, "h", false, err);
    if (!v || v->empty()) return std::nullopt;
    name = *v;
  }
  if (!is_address(name)) name = to_lower_ascii(name);
  return name;
}

// ssh.c's final pass, after a first pass that met "Match final" or with hostname canonicalisation on:
// the host name `name` is fixed first (ssh sets its HostName to it, so a HostName in the final pass has
// no effect), then the files are read again with Match canonical / final matching. First values stay;
// the pass only fills what is unset and adds to accumulating keywords.
void final_pass(OptionsBuilder& b, const ResolveInput& input, const Environment& env, const FileSystem& fs,
                PassState& state, const std::string& name) {
  state.final_host = name;
  const bool hostname_given = !b.seen.insert("HostName").second;
  const std::size_t warnings = b.warnings.size();
  const std::size_t identity_files = b.identity_files.size();
  const std::size_t certificate_files = b.certificate_files.size();
  const std::size_t local_forwards = b.options.local_forwards.size();
  const std::size_t remote_forwards = b.options.remote_forwards.size();
  const std::size_t dynamic_forwards = b.options.dynamic_forwards.size();

  FileWalker walker(b, fs, env, input, state, true, name);
  read_files(walker, b, input, env);

  if (!hostname_given) b.seen.erase("HostName");
  const auto raw = [](const PendingValue& v) { return v.raw; };
  const auto spec = [](const ForwardSpec& f) { return to_string(f); };
  drop_repeats(b.identity_files, identity_files, raw);
  drop_repeats(b.certificate_files, certificate_files, raw);
  drop_repeats(b.options.local_forwards, local_forwards, spec);
  drop_repeats(b.options.remote_forwards, remote_forwards, spec);
  drop_repeats(b.options.dynamic_forwards, dynamic_forwards, spec);
  drop_repeats(b.options.send_env, 0, [](const std::string& s) { return s; });
  drop_repeats(b.warnings, warnings, [](const std::string& s) { return s; });
}

// What ssh.c does between the two passes: hostname canonicalisation (canonicalize.hpp) when
// CanonicalizeHostname is yes or always, then the final pass when a "Match final" asked for it or
// canonicalisation is on (whether or not it changed the name).
void canonicalize_and_final_pass(OptionsBuilder& b, const ResolveInput& input, const Environment& env,
                                 const FileSystem& fs, PassState& state) {
  std::string err;
  const auto settings = canonical_settings(b.options, err);
  if (!settings) {
    b.errors.push_back({{}, 0, err});
    return;
  }
  auto name = first_pass_host_name(b, input);
  if (!name) return;  // finish() reports the bad HostName
  const bool canonicalize = settings->mode != CanonicalizeMode::no;
  if (canonicalize) {
    // ProxyCommand none and ProxyJump none are kept as nothing.
    const bool direct = b.proxy_command.empty() && b.options.proxy_jump.empty();
    auto result = canonicalize_host(*name, *settings, direct, b.options.address_family, input.lookup_host);
    for (auto& w : result.warnings) b.warnings.push_back(std::move(w));
    if (result.error) {
      b.errors.push_back({{}, 0, *result.error});
      return;
    }
    name = std::move(result.host);
  }
  if (state.want_final_pass || canonicalize) final_pass(b, input, env, fs, state, *name);
}

// `allowed`: the tokens ssh_config(5) TOKENS lists for that keyword.
void expand_list(OptionsBuilder& b, const std::vector<PendingValue>& raw, const TokenValues& tokens,
                 std::string_view what, std::vector<std::string>& out, std::string_view allowed = "CdhikLlnpru") {
  for (const auto& p : raw) {
    std::string err;
    auto v = expand_value(p.raw, tokens, allowed, true, err);
    if (v) {
      out.push_back(std::move(*v));
    } else {
      b.errors.push_back({p.file, p.line, std::string(what) + ": " + err});
    }
  }
}

void finish(OptionsBuilder& b, const ResolveInput& input, const Environment& env, const PassState& state) {
  Options& o = b.options;
  o.set_keywords = b.seen;
  o.host = input.host;
  o.config_file = input.config_file;
  o.hostname = input.host;
  if (state.final_host) {
    o.hostname = *state.final_host;
  } else if (!b.hostname.empty()) {
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
                           connection_hash(env.local_hostname, o.hostname, std::to_string(o.port), o.user),
                           o.host_key_alias.empty() ? o.hostname : o.host_key_alias,
                           o.proxy_jump};
  expand_list(b, b.identity_files, tokens, "IdentityFile", o.identity_files, "CdhijkLlnpru");
  expand_list(b, b.certificate_files, tokens, "CertificateFile", o.certificate_files, "CdhijkLlnpru");
  for (const auto& p : b.identity_files) o.identity_files_as_written.push_back(p.raw);
  for (const auto& p : b.certificate_files) o.certificate_files_as_written.push_back(p.raw);
  if (b.identity_files.empty()) {
    // Only the key types we implement (no DSA, no security keys).
    for (const char* name : {"id_rsa", "id_ecdsa", "id_ed25519"}) {
      o.identity_files.push_back(env.home + "/.ssh/" + name);
      o.identity_files_as_written.push_back(std::string("~/.ssh/") + name);
    }
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
  if (!b.local_command.empty()) {
    // ssh_config(5): LocalCommand takes %C %d %h %i %k %L %l %n %p %r %T %u. %k is the host key
    // alias or the host name; %T the tun device, which sshplex does not open ("NONE" as in ssh).
    std::string raw;
    const std::string& in = b.local_command.front().raw;
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '%' && i + 1 < in.size() && (in[i + 1] == 'k' || in[i + 1] == 'T')) {
        std::string value = in[i + 1] == 'T' ? "NONE" : (o.host_key_alias.empty() ? o.hostname : o.host_key_alias);
        for (char ch : value) raw += ch == '%' ? std::string("%%") : std::string(1, ch);
        ++i;
      } else if (in[i] == '%' && i + 1 < in.size()) {
        raw += in.substr(i, 2);
        ++i;
      } else {
        raw += in[i];
      }
    }
    std::string err;
    auto v = expand_value(raw, tokens, "CdhilLnpru", false, err);
    o.local_command_as_written = in;
    if (v) {
      o.local_command = *v;
    } else {
      b.errors.push_back({b.local_command.front().file, b.local_command.front().line, "LocalCommand: " + err});
    }
  }
  if (!b.revoked_host_keys.empty()) {
    expand_list(b, b.revoked_host_keys, tokens, "RevokedHostKeys", o.revoked_host_keys);
  }
  if (!b.proxy_command.empty()) {
    // ssh_config(5): ProxyCommand takes %%, %h, %n, %p and %r (the shell sees the rest).
    std::string err;
    auto v = expand_value(b.proxy_command.front().raw, tokens, "hnpr", false, err);
    o.proxy_command_as_written = b.proxy_command.front().raw;
    if (v) {
      o.proxy_command = *v;
    } else {
      b.errors.push_back({b.proxy_command.front().file, b.proxy_command.front().line, "ProxyCommand: " + err});
    }
  }
  if (!b.remote_command.empty()) {
    // ssh_config(5): RemoteCommand takes the TOKENS and ${VAR}.
    std::string err;
    auto v = expand_value(b.remote_command.front().raw, tokens, "CdhikLlnpru", false, err);
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
  if (file.empty()) return message;
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
      case 'k':
        out += values.host_key_alias;
        break;
      case 'j':
        out += values.proxy_jump;
        break;
      default:
        break;
    }
  }
  return out;
}

ResolveResult resolve(const ResolveInput& input, const Environment& env, const FileSystem& fs) {
  OptionsBuilder b;
  PassState state;
  for (const auto& ov : input.overrides) {
    const std::string file = std::string(kCommandLine) + " (" + ov.origin + ")";
    const std::string kw = to_lower_ascii(ov.keyword);
    if (kw == "host" || kw == "match" || kw == "include") {
      b.errors.push_back({file, 0, ov.keyword + " cannot be given on the command line"});
      continue;
    }
    if (kw == "tag") {
      apply_tag(b, state, ov.args, file, 0, true);
      continue;
    }
    apply_directive(b, ConfigLine{ov.keyword, ov.args, ov.rest}, Origin{file, 0}, true);
  }

  FileWalker walker(b, fs, env, input, state, false, input.host);
  read_files(walker, b, input, env);
  // ssh stops at the first pass's errors; a second pass would only repeat them.
  if (b.errors.empty()) canonicalize_and_final_pass(b, input, env, fs, state);
  finish(b, input, env, state);

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

int run_match_command(const std::string& command) {
  const char* from_env = std::getenv("SHELL");
  std::string shell = from_env != nullptr && *from_env != '\0' ? from_env : "/bin/sh";
  if (::access(shell.c_str(), X_OK) != 0) return -1;
  std::string dash_c = "-c";
  std::string text = command;
  char* argv[] = {shell.data(), dash_c.data(), text.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  if (posix_spawn_file_actions_init(&actions) != 0) return -1;
  if (posix_spawnattr_init(&attr) != 0) {
    posix_spawn_file_actions_destroy(&actions);
    return -1;
  }
  // As ssh: stdin and stdout on /dev/null, stderr shared, no other descriptor inherited. The command
  // gets an empty signal mask and SIGPIPE back to its default (we ignore it).
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
#endif
  sigset_t none;
  sigset_t defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = -1;
  const int rc = posix_spawn(&pid, shell.c_str(), &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) == -1) {
    if (errno != EINTR) return -1;
  }
  if (!WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

std::vector<std::string> local_interface_addresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr || ifa->ifa_name == nullptr || (ifa->ifa_flags & IFF_UP) == 0) continue;
    socklen_t size = 0;
    if (ifa->ifa_addr->sa_family == AF_INET) {
      size = sizeof(sockaddr_in);
    } else if (ifa->ifa_addr->sa_family == AF_INET6) {
      size = sizeof(sockaddr_in6);
    } else {
      continue;
    }
    char host[NI_MAXHOST] = {};
    if (::getnameinfo(ifa->ifa_addr, size, host, sizeof host, nullptr, 0, NI_NUMERICHOST) == 0) out.emplace_back(host);
  }
  ::freeifaddrs(list);
  return out;
}

std::string match_version() {
  const std::string banner = ssh::transport::TransportConfig{}.client_version;
  const std::size_t dash = banner.find('-', banner.find('-') + 1);
  return dash == std::string::npos ? banner : banner.substr(dash + 1);
}

}  // namespace gateway::config
