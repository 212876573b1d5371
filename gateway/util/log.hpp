#pragma once
// Leveled logging for the gateway. One line per event a user cares about, to standard error (the
// default), syslog(3) (-y, LogTarget syslog), an appended file with timestamps (-E file) or the
// systemd journal (LogTarget journal; automatic when standard error is connected to the journal),
// where each line also carries its priority and the structured fields of the scopes around it.
// Levels follow ssh: -q quiet (errors only), default, -v verbose, -vv / -vvv debug.
// Single-threaded: called from the event loop thread only.
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gateway::log {

enum class Level { error = 0, info = 1, verbose = 2, debug1 = 3, debug2 = 4, debug3 = 5 };

void set_level(Level level);
Level level();
bool enabled(Level level);

enum class Target { standard_error, syslog, file, journal };

struct TargetSpec {
  Target target = Target::standard_error;
  // For Target::syslog: DAEMON, USER, AUTH or LOCAL0..LOCAL7 (ssh_config(5) SyslogFacility).
  std::string syslog_facility = "USER";
  // For Target::file: opened for appending, line-buffered; each line starts with a local timestamp.
  std::string file;
};

// Switches where lines go. On failure (file cannot be opened, unknown facility) returns false with
// `error` set and keeps the previous target. Target::standard_error becomes Target::journal when
// standard error is the journal's stream (systemd's JOURNAL_STREAM names its device and inode), so
// a service's lines keep their priorities and fields.
bool set_target(const TargetSpec& spec, std::string& error);
Target target();

void write(Level level, std::string_view message);
// Lines on standard error end with \r\n while the terminal is in raw mode (an interactive session).
void set_raw_terminal(bool raw);

// A structured field of the journal (an upper-case name such as SSHPLEX_CONNECTION, and its value)
// for every line written while a Scope holding it is alive; inner scopes add to outer ones. Other
// targets ignore fields: the message text says the same for people. A scope copies nothing (it
// sits on hot paths such as each read of a connection): the value must outlive it.
struct Field {
  const char* name;
  std::string_view value;
};
class Scope {
 public:
  Scope(const char* name, std::string_view value);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
};
// The fields of the scopes alive now, outermost first.
const std::vector<Field>& current_fields();

// Well-known field names.
inline constexpr const char* kConnectionField = "SSHPLEX_CONNECTION";  // pool slot, 1-based
inline constexpr const char* kForwardField = "SSHPLEX_FORWARD";        // the forward as -G would print it
inline constexpr const char* kPeerField = "SSHPLEX_PEER";              // the client's address:port

[[gnu::format(printf, 1, 2)]] void error(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void info(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void verbose(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void debug(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void debug2(const char* fmt, ...);

// Level for a count of -v flags (0 = info) with -q forcing errors only.
Level level_for(int verbosity, bool quiet);

// For a condition that can repeat many times a second (descriptor exhaustion, a flood of refused
// clients): at most one line per interval; the next line that is let through says how many were
// suppressed in between. Keep one per condition (e.g. per listener).
class RateLimited {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimited(Clock::duration interval) : interval_(interval) {}

  // True when a line may be written at `now` (this starts a new interval); false counts a
  // suppressed line.
  bool allow(Clock::time_point now);
  // After allow() returned true: how many lines were suppressed between the previous allowed line
  // and this one.
  std::uint64_t suppressed() const { return reported_; }

  // allow(Clock::now()), then writes the line with " (N similar messages suppressed)" appended when
  // there were any. Returns whether it was written.
  [[gnu::format(printf, 3, 4)]] bool log(Level level, const char* fmt, ...);

 private:
  Clock::duration interval_;
  Clock::time_point next_{};
  bool started_ = false;
  std::uint64_t pending_ = 0;   // suppressed in the current interval
  std::uint64_t reported_ = 0;  // suppressed before the last allowed line
};

}  // namespace gateway::log
