#pragma once
// sshplex's command line, ssh(1)-compatible where the flags overlap:
//   sshplex [-v...] [-q] [-y] [-E logfile] [-N] [-F configfile] [-o Option=value]... [-p port] [-l user]
//           [-i identity]... [-L spec]... [-R spec]... [-D spec]... [-J jump] [-M] [-S ctl_path]
//           [-O ctl_cmd] [-V] [-h] [--demo], and the rest of ssh(1)'s flags (-4 -6 -B -b -C -c -G -I
//           -K -k -m -P -Q -w) with ssh's meaning
//           [user@]host | ssh://[user@]host[:port]
// getopt-style: flags combine (-vvN), arguments attach or follow (-p22 / -p 22), "--" ends options.
// Flags that correspond to ssh_config keywords become overrides that the resolver applies first.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/options.hpp"

namespace gateway::cli {

struct CommandLine {
  std::string host;  // destination host without user@ or :port; empty only with -V, -h or --demo
  int verbosity = 0;
  bool quiet = false;
  bool syslog = false;                     // -y (also an override: LogTarget syslog)
  std::optional<std::string> log_file;     // -E: append log lines to this file
  bool no_command = false;                 // -N
  bool version = false;                    // -V
  bool help = false;                       // -h
  bool demo = false;                       // --demo
  bool vpn_cleanup = false;                // --vpn-cleanup: remove a dead VPN's leftovers and exit
  std::optional<std::string> config_file;  // -F
  // In precedence order: -v/-q as LogLevel, the flags and -o options as given, then the user and port
  // taken from the destination (so -l and -p win over user@host, as in ssh).
  std::vector<config::Override> overrides;
  std::vector<std::string> command;  // words after the destination
  std::optional<std::string> stdio_forward;  // -W host:port (or a socket path)
  std::optional<std::string> control_command;  // -O check|forward|cancel|exit|stop|status[=json]
  bool print_config = false;                   // -G: print the resolved configuration and exit
  std::optional<std::string> query;            // -Q: list what is supported of one kind and exit
};

struct ParseResult {
  std::optional<CommandLine> command_line;
  std::string error;  // set when command_line is empty; print it with usage()
};

// `args` excludes the program name.
ParseResult parse(std::span<const std::string> args);
ParseResult parse(int argc, const char* const* argv);

std::string usage(std::string_view program = "sshplex");

// Applies -E to resolved options: the log goes to the file unless -y asked for syslog (ssh gives -y
// precedence too). -E is not a keyword, so it cannot come from a configuration file.
void apply_log_file(const CommandLine& command_line, config::Options& options);

}  // namespace gateway::cli
