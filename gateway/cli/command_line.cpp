#include "gateway/cli/command_line.hpp"

#include <algorithm>
#include <iterator>
#include <tuple>

#include "gateway/config/config_lexer.hpp"
#include "tun/cidr.hpp"

namespace gateway::cli {
namespace {

constexpr std::string_view kFlags = "vqyNVhtTnfAaXxYsgM46CKkG";
constexpr std::string_view kWithArgument = "FEopliLRDJWeSObBcmIPQw";

const char* keyword_for(char option) {
  switch (option) {
    case 'p':
      return "Port";
    case 'l':
      return "User";
    case 'i':
      return "IdentityFile";
    case 'L':
      return "LocalForward";
    case 'R':
      return "RemoteForward";
    case 'D':
      return "DynamicForward";
    case 'J':
      return "ProxyJump";
    case 'S':
      return "ControlPath";
    case 'b':
      return "BindAddress";
    case 'B':
      return "BindInterface";
    case 'c':
      return "Ciphers";
    case 'm':
      return "MACs";
    case 'I':
      return "PKCS11Provider";
    default:
      return nullptr;
  }
}

struct Destination {
  std::string user;
  std::string host;
  std::string port;
};

// "[user@]host" or "ssh://[user@]host[:port]" (RFC 3986 authority; IPv6 hosts in brackets).
bool parse_destination(std::string_view text, Destination& out, std::string& error) {
  constexpr std::string_view kScheme = "ssh://";
  if (text.substr(0, kScheme.size()) == kScheme) {
    std::string_view rest = text.substr(kScheme.size());
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.find('/') != std::string_view::npos) {
      error = "ssh:// destination must not contain a path: '" + std::string(text) + "'";
      return false;
    }
    const auto at = rest.rfind('@');
    if (at != std::string_view::npos) {
      out.user = std::string(rest.substr(0, at));
      rest.remove_prefix(at + 1);
    }
    if (!rest.empty() && rest.front() == '[') {
      const auto close = rest.find(']');
      if (close == std::string_view::npos) {
        error = "unterminated '[' in '" + std::string(text) + "'";
        return false;
      }
      out.host = std::string(rest.substr(1, close - 1));
      rest.remove_prefix(close + 1);
      if (!rest.empty() && rest.front() != ':') {
        error = "unexpected text after ']' in '" + std::string(text) + "'";
        return false;
      }
    } else {
      const auto colon = rest.find(':');
      out.host = std::string(rest.substr(0, colon));
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
    }
    if (!rest.empty()) {
      out.port = std::string(rest.substr(1));
      if (out.port.empty()) {
        error = "missing port after ':' in '" + std::string(text) + "'";
        return false;
      }
    }
  } else {
    const auto at = text.rfind('@');
    if (at != std::string_view::npos) {
      out.user = std::string(text.substr(0, at));
      out.host = std::string(text.substr(at + 1));
    } else {
      out.host = std::string(text);
    }
  }
  if (out.host.empty()) {
    error = "missing host name in '" + std::string(text) + "'";
    return false;
  }
  if (text.find('@') != std::string_view::npos && out.user.empty()) {
    error = "empty user name in '" + std::string(text) + "'";
    return false;
  }
  return true;
}

class Parser {
 public:
  explicit Parser(std::span<const std::string> args) : args_(args) {}

  ParseResult run() {
    ParseResult result;
    std::string error;
    std::optional<std::string> destination;
    std::size_t i = 0;
    bool options_done = false;
    while (i < args_.size()) {
      const std::string& a = args_[i];
      if (!options_done && a == "--") {
        options_done = true;
        ++i;
      } else if (!options_done && a == "--demo") {
        cl_.demo = true;
        ++i;
      } else if (!options_done && (a == "--vpn" || a.starts_with("--vpn="))) {
        if (!vpn_option(i, result.error)) return result;
      } else if (!options_done && a == "--vpn-cleanup") {
        cl_.vpn_cleanup = true;
        ++i;
      } else if (!options_done && a == "--help") {
        cl_.help = true;
        ++i;
      } else if (!options_done && a.size() > 2 && a.starts_with("--")) {
        result.error = "unknown option '" + a + "'";
        return result;
      } else if (!options_done && a.size() > 1 && a.front() == '-') {
        if (!short_options(i, result.error)) return result;
      } else if (!destination) {
        destination = a;
        ++i;
      } else {
        // The command starts here; nothing after it is an option (ssh host ls -l).
        cl_.command.assign(args_.begin() + static_cast<std::ptrdiff_t>(i), args_.end());
        break;
      }
    }

    std::vector<config::Override> front;
    if (level_flag_ == 'q') {
      front.push_back({"LogLevel", {"QUIET"}, "-q"});
    } else if (cl_.verbosity > 0) {
      const char* level = cl_.verbosity == 1 ? "DEBUG1" : cl_.verbosity == 2 ? "DEBUG2" : "DEBUG3";
      front.push_back({"LogLevel", {level}, "-v"});
    }
    if (cl_.syslog) front.push_back({"LogTarget", {"syslog"}, "-y"});
    // Flags that are options, as ssh applies them: the last of -t/-T wins.
    if (tty_flag_ == 'T') front.push_back({"RequestTTY", {"no"}, "-T"});
    if (tty_flag_ == 't') front.push_back({"RequestTTY", {tty_count_ > 1 ? "force" : "yes"}, "-t"});
    for (const auto& [keyword, value, origin] : flag_options_) front.push_back({keyword, {value}, origin});
    if (cl_.stdio_forward) {
      // -W is a stdio forward and nothing else: no session, no terminal.
      front.push_back({"SessionType", {"none"}, "-W"});
      front.push_back({"RequestTTY", {"no"}, "-W"});
    }
    cl_.overrides.insert(cl_.overrides.begin(), front.begin(), front.end());

    if (destination) {
      Destination d;
      if (!parse_destination(*destination, d, result.error)) return result;
      cl_.host = d.host;
      if (!d.user.empty()) cl_.overrides.push_back({"User", {d.user}, "destination"});
      if (!d.port.empty()) cl_.overrides.push_back({"Port", {d.port}, "destination"});
    } else if (!cl_.help && !cl_.version && !cl_.demo && !cl_.query && !cl_.vpn_cleanup) {
      result.error = "missing destination host";
      return result;
    }
    result.command_line = std::move(cl_);
    return result;
  }

 private:
  // --vpn: route everything; --vpn=LIST or --vpn LIST: those networks. The next word is the list
  // only when it is one (every item a prefix with "/"), so "--vpn host" keeps its destination.
  bool vpn_option(std::size_t& i, std::string& error) {
    const std::string& a = args_[i];
    std::optional<std::string> list;
    if (a.size() > 5) {
      list = a.substr(6);
      if (list->empty()) {
        error = "--vpn=: missing the networks to route";
        return false;
      }
    } else if (i + 1 < args_.size() && is_prefix_list(args_[i + 1])) {
      list = args_[++i];
    }
    ++i;
    cl_.overrides.push_back({"Vpn", {"yes"}, "--vpn"});
    if (list) cl_.overrides.push_back({"VpnRoute", {*list}, "--vpn"});
    return true;
  }
  static bool is_prefix_list(const std::string& word) {
    std::size_t start = 0;
    while (start <= word.size()) {
      const std::size_t comma = std::min(word.find(',', start), word.size());
      const std::string item = word.substr(start, comma - start);
      if (item.find('/') == std::string::npos || !tun::Cidr::parse(item)) return false;
      start = comma + 1;
    }
    return true;
  }

  bool short_options(std::size_t& i, std::string& error) {
    const std::string& a = args_[i];
    for (std::size_t k = 1; k < a.size(); ++k) {
      const char opt = a[k];
      if (kFlags.find(opt) != std::string_view::npos) {
        flag(opt);
        continue;
      }
      if (kWithArgument.find(opt) == std::string_view::npos) {
        error = std::string("unknown option '-") + opt + "'";
        return false;
      }
      std::string value;
      if (k + 1 < a.size()) {
        value = a.substr(k + 1);
      } else if (i + 1 < args_.size()) {
        value = args_[++i];
      } else {
        error = std::string("option '-") + opt + "' requires an argument";
        return false;
      }
      ++i;
      return with_argument(opt, value, error);
    }
    ++i;
    return true;
  }

  void flag(char opt) {
    switch (opt) {
      case 'v':
        ++cl_.verbosity;
        level_flag_ = 'v';
        break;
      case 'q':
        cl_.quiet = true;
        level_flag_ = 'q';
        break;
      case 'y':
        cl_.syslog = true;
        break;
      case 'N':
        cl_.no_command = true;
        option("SessionType", "none", "-N");
        break;
      case 't':
        ++tty_count_;
        tty_flag_ = 't';
        break;
      case 'T':
        tty_flag_ = 'T';
        break;
      case 'n':
        option("StdinNull", "yes", "-n");
        break;
      case 'f':
        // ssh: -f implies -n.
        option("ForkAfterAuthentication", "yes", "-f");
        option("StdinNull", "yes", "-f");
        break;
      case 'A':
        option("ForwardAgent", "yes", "-A");
        break;
      case 'a':
        option("ForwardAgent", "no", "-a");
        break;
      case 'X':
        option("ForwardX11", "yes", "-X");
        break;
      case 'Y':
        option("ForwardX11", "yes", "-Y");
        option("ForwardX11Trusted", "yes", "-Y");
        break;
      case 'x':
        option("ForwardX11", "no", "-x");
        break;
      case 's':
        option("SessionType", "subsystem", "-s");
        break;
      case 'g':
        option("GatewayPorts", "yes", "-g");
        break;
      case 'M':
        // As ssh: -M makes a master, -MM one that asks before each use.
        ++master_count_;
        option("ControlMaster", master_count_ > 1 ? "ask" : "yes", "-M");
        break;
      case '4':
        option("AddressFamily", "inet", "-4");
        break;
      case '6':
        option("AddressFamily", "inet6", "-6");
        break;
      case 'C':
        option("Compression", "yes", "-C");
        break;
      case 'K':
        option("GSSAPIAuthentication", "yes", "-K");
        option("GSSAPIDelegateCredentials", "yes", "-K");
        break;
      case 'k':
        option("GSSAPIDelegateCredentials", "no", "-k");
        break;
      case 'G':
        cl_.print_config = true;
        break;
      case 'V':
        cl_.version = true;
        break;
      case 'h':
        cl_.help = true;
        break;
      default:
        break;
    }
  }

  bool with_argument(char opt, const std::string& value, std::string& error) {
    const std::string origin = std::string("-") + opt;
    if (opt == 'F') {
      if (value.empty()) {
        error = "option '-F' needs a file name";
        return false;
      }
      cl_.config_file = value;
      return true;
    }
    if (opt == 'E') {
      if (value.empty()) {
        error = "option '-E' needs a file name";
        return false;
      }
      cl_.log_file = value;  // the last -E wins, as in ssh
      return true;
    }
    if (opt == 'W') {
      if (cl_.stdio_forward) {
        error = "stdio forward already specified";
        return false;
      }
      if (value.empty()) {
        error = "Bad stdio forwarding specification ''";
        return false;
      }
      cl_.stdio_forward = value;
      return true;
    }
    if (opt == 'O') {
      static constexpr std::string_view kCommands[] = {"check", "forward", "cancel", "exit",
                                                      "stop",  "status",  "status=json"};
      if (std::find(std::begin(kCommands), std::end(kCommands), value) == std::end(kCommands)) {
        error = "Invalid multiplex command '" + value +
                "' (check, forward, cancel, exit, stop, status or status=json)";
        return false;
      }
      cl_.control_command = value;
      return true;
    }
    if (opt == 'Q') {
      cl_.query = value;
      return true;
    }
    if (opt == 'P') {
      cl_.overrides.push_back({"Tag", {value}, "-P " + value});
      return true;
    }
    if (opt == 'w') {
      // ssh: -w local_tun[:remote_tun] is Tunnel yes plus TunnelDevice.
      cl_.overrides.push_back({"Tunnel", {"yes"}, "-w " + value});
      cl_.overrides.push_back({"TunnelDevice", {value}, "-w " + value});
      return true;
    }
    if (opt == 'e') {
      cl_.overrides.push_back({"EscapeChar", {value}, "-e " + value});
      return true;
    }
    if (opt == 'o') {
      config::ConfigLine line;
      std::string err;
      if (!config::split_config_line(value, line, err) || line.keyword.empty()) {
        error = "option '-o " + value + "': " + (err.empty() ? "expected Keyword=value" : err);
        return false;
      }
      cl_.overrides.push_back({line.keyword, line.args, "-o " + value, line.rest});
      return true;
    }
    if (value.empty()) {
      error = "option '" + origin + "' needs a non-empty argument";
      return false;
    }
    cl_.overrides.push_back({keyword_for(opt), {value}, origin + " " + value});
    return true;
  }

  // A flag that stands for an option; a later flag for the same keyword replaces it, as in ssh.
  void option(const char* keyword, const char* value, const char* origin) {
    std::erase_if(flag_options_, [&](const auto& o) { return std::get<0>(o) == keyword; });
    flag_options_.emplace_back(keyword, value, origin);
  }

  std::span<const std::string> args_;
  CommandLine cl_;
  char level_flag_ = 0;
  char tty_flag_ = 0;
  int tty_count_ = 0;
  int master_count_ = 0;
  std::vector<std::tuple<std::string, std::string, std::string>> flag_options_;
};

}  // namespace

ParseResult parse(std::span<const std::string> args) {
  return Parser(args).run();
}

ParseResult parse(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i] != nullptr ? argv[i] : "");
  return parse(args);
}

std::string usage(std::string_view program) {
  const std::string p(program);
  return "usage: " + p +
         " [-46AaCfGgKkMNnqsTtVvXxYy] [-B bind_interface] [-b bind_address] [-c cipher_spec]\n"
         "       [-D spec]... [-E logfile] [-e escape_char] [-F configfile] [-I pkcs11] [-i identity]...\n"
         "       [-J jump] [-L spec]... [-l user] [-m mac_spec] [-O ctl_cmd] [-o Option=value]...\n"
         "       [-P tag] [-p port] [-Q query] [-R spec]... [-S ctl_path] [-W host:port] [-w tun]\n"
         "       [-h] [--demo] [--vpn[=networks]] [--vpn-cleanup]\n"
         "       [user@]host | ssh://[user@]host[:port] [command [argument ...]]\n"
         "\n"
         "  -v            more verbose (repeat for more)    -q  quiet\n"
         "  -y            log to syslog                     -E file  append the log to file\n"
         "  -N            no remote command, forwards only  -V  print version\n"
         "  -t / -T       force / disable a pseudo-terminal -n  stdin from /dev/null\n"
         "  -f            go to the background once logged in and every forward is up\n"
         "  -A / -a       forward / do not forward the ssh-agent\n"
         "  -X / -Y / -x  forward X11 (untrusted / trusted) / do not\n"
         "  -s            the command is a subsystem (e.g. sftp)\n"
         "  -W host:port  connect stdin/stdout to host:port on the server side\n"
         "  -e char       escape character (~), ^X or none\n"
         "  -F file       configuration file (\"none\": read no configuration)\n"
         "  -o Opt=value  any ssh_config option, overriding the configuration files\n"
         "  -p port       remote port                       -l user  remote user\n"
         "  -i file       identity (private key) file\n"
         "  -L [bind:]port:host:hostport   local forward  (also /socket forms)\n"
         "  -R [bind:]port:host:hostport   remote forward (or [bind:]port for reverse SOCKS)\n"
         "  -D [bind:]port                 SOCKS proxy\n"
         "  -J [user@]host[:port]          connect through a jump host\n"
         "  -M            be a control master (-MM: ask before each use through SSH_ASKPASS)\n"
         "  -S path       control socket (ControlPath; \"none\": no multiplexing)\n"
         "  -O cmd        ask the master at -S: check, forward, cancel, exit, stop, status[=json]\n"
         "  -4 / -6       IPv4 / IPv6 only                  -C  compression (zlib)\n"
         "  -b addr / -B iface   source address / the address of an interface\n"
         "  -c / -m list  ciphers / MACs                    -P tag  the tag Match tagged sees\n"
         "  -G            print the resolved configuration (as ssh -G) and exit\n"
         "  -Q what       list what is supported (cipher, mac, kex, key, sig, help, sshplex-directives)\n"
         "  -I, -K, -k, -w   accepted as ssh's (PKCS#11, GSSAPI, tun): they warn what sshplex does not do\n"
         "  -h            this help                         --demo  run the built-in demonstration\n"
         "  --vpn [networks]  a tun VPN: every TCP flow and DNS query to those networks (comma-separated\n"
         "                prefixes; none: everything) goes through the server (needs root or CAP_NET_ADMIN)\n"
         "  --vpn-cleanup     remove routes, rules, DNS and firewall settings a VPN that died left behind\n";
}

void apply_log_file(const CommandLine& command_line, config::Options& options) {
  if (!command_line.log_file || command_line.syslog) return;
  options.log_target = config::Options::LogTarget::file;
  options.log_file = *command_line.log_file;
}

}  // namespace gateway::cli
