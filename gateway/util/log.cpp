#include "gateway/util/log.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace gateway::log {
namespace {

Level g_level = Level::info;
Target g_target = Target::standard_error;
bool g_raw_terminal = false;
std::FILE* g_file = nullptr;  // open while g_target is Target::file
std::vector<Field> g_fields;  // of the live Scopes, outermost first

[[gnu::format(printf, 1, 0)]] std::string format_message(const char* fmt, va_list args) {
  char buf[2048];
  const int n = std::vsnprintf(buf, sizeof buf, fmt, args);
  if (n < 0) return {};
  return std::string(buf, std::min(static_cast<std::size_t>(n), sizeof buf - 1));
}

[[gnu::format(printf, 2, 0)]] void vwrite(Level lvl, const char* fmt, va_list args) {
  if (!enabled(lvl)) return;
  write(lvl, format_message(fmt, args));
}

const char* prefix(Level lvl) {
  switch (lvl) {
    case Level::debug1: return "debug1: ";
    case Level::debug2: return "debug2: ";
    case Level::debug3: return "debug3: ";
    default: return "";
  }
}

int syslog_priority(Level lvl) {
  switch (lvl) {
    case Level::error: return LOG_ERR;
    case Level::info:
    case Level::verbose: return LOG_INFO;
    default: return LOG_DEBUG;
  }
}

// ssh_config(5) SyslogFacility names; the name was validated by the config, but -o and callers
// outside it may still pass anything.
bool syslog_facility(std::string_view name, int& out) {
  static const std::pair<std::string_view, int> kFacilities[] = {
      {"DAEMON", LOG_DAEMON}, {"USER", LOG_USER},     {"AUTH", LOG_AUTH},     {"LOCAL0", LOG_LOCAL0},
      {"LOCAL1", LOG_LOCAL1}, {"LOCAL2", LOG_LOCAL2}, {"LOCAL3", LOG_LOCAL3}, {"LOCAL4", LOG_LOCAL4},
      {"LOCAL5", LOG_LOCAL5}, {"LOCAL6", LOG_LOCAL6}, {"LOCAL7", LOG_LOCAL7}};
  for (const auto& [text, value] : kFacilities) {
    if (text.size() == name.size() &&
        std::equal(text.begin(), text.end(), name.begin(), [](char a, char b) {
          return a == ((b >= 'a' && b <= 'z') ? static_cast<char>(b - 'a' + 'A') : b);
        })) {
      out = value;
      return true;
    }
  }
  return false;
}

// "2026-11-21 22:11:50.123 " in local time, so a log file lines up with other local logs.
std::string timestamp() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  tm local{};
  ::localtime_r(&ts.tv_sec, &local);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &local);
  char ms[24];
  std::snprintf(ms, sizeof ms, ".%03ld ", ts.tv_nsec / 1000000);
  return std::string(buf, n) + ms;
}

// systemd sets JOURNAL_STREAM to "<device>:<inode>" of the stream it connected to standard error;
// a descriptor 2 redirected since (2>file in a unit's shell) no longer matches.
bool standard_error_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == device && static_cast<unsigned long long>(st.st_ino) == inode;
}

// One journal entry: the message, its priority and the fields of the live scopes. False when the
// journal cannot be reached (then the line goes to standard error instead).
bool send_to_journal(Level lvl, const std::string& line) {
  std::vector<std::string> entries;
  entries.reserve(3 + g_fields.size());
  entries.push_back("MESSAGE=" + line);
  entries.push_back("PRIORITY=" + std::to_string(syslog_priority(lvl)));
  entries.emplace_back("SYSLOG_IDENTIFIER=sshplex");
  // Innermost first, and a name once: a scope opened inside another of the same name (a client
  // served from inside another connection's event) says what the line is about.
  for (auto it = g_fields.rbegin(); it != g_fields.rend(); ++it) {
    const Field& field = *it;
    if (field.value.empty()) continue;
    const bool named_inside = std::any_of(g_fields.rbegin(), it, [&](const Field& inner) {
      return !inner.value.empty() && std::string_view(inner.name) == field.name;
    });
    if (named_inside) continue;
    std::string entry = field.name;
    entry += '=';
    entry.append(field.value);
    entries.push_back(std::move(entry));
  }
  std::vector<iovec> iov;
  iov.reserve(entries.size());
  for (auto& entry : entries) iov.push_back({entry.data(), entry.size()});
  return ::sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) == 0;
}

void close_current() {
  if (g_target == Target::file && g_file != nullptr) {
    std::fclose(g_file);
    g_file = nullptr;
  }
  if (g_target == Target::syslog) ::closelog();
}

}  // namespace

void set_level(Level lvl) { g_level = lvl; }
void set_raw_terminal(bool raw) { g_raw_terminal = raw; }
Level level() { return g_level; }
bool enabled(Level lvl) { return static_cast<int>(lvl) <= static_cast<int>(g_level); }

bool set_target(const TargetSpec& spec, std::string& error) {
  switch (spec.target) {
    case Target::standard_error:
    case Target::journal:
      close_current();
      break;
    case Target::syslog: {
      int facility = 0;
      if (!syslog_facility(spec.syslog_facility, facility)) {
        error = "unknown syslog facility '" + spec.syslog_facility + "'";
        return false;
      }
      close_current();
      // The ident must outlive openlog(): a literal does.
      ::openlog("sshplex", LOG_PID, facility);
      break;
    }
    case Target::file: {
      // "e": close-on-exec, so ProxyCommand-style children never inherit the log.
      std::FILE* f = std::fopen(spec.file.c_str(), "ae");
      if (f == nullptr) {
        error = "cannot open log file '" + spec.file + "': " + std::strerror(errno);
        return false;
      }
      std::setvbuf(f, nullptr, _IOLBF, 0);
      close_current();
      g_file = f;
      break;
    }
  }
  g_target = spec.target;
  if (g_target == Target::standard_error && standard_error_is_journal()) g_target = Target::journal;
  return true;
}

Scope::Scope(const char* name, std::string_view value) {
  g_fields.push_back({name, value});
}
Scope::~Scope() {
  g_fields.pop_back();
}
const std::vector<Field>& current_fields() {
  return g_fields;
}

Target target() { return g_target; }

void write(Level lvl, std::string_view message) {
  if (!enabled(lvl)) return;
  std::string line = prefix(lvl);
  line.append(message);
  // Keep control characters that a server might send (banners, debug messages) out of the terminal
  // and out of log files, where they could forge lines.
  for (char& c : line) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) c = '?';
  }
  switch (g_target) {
    case Target::syslog:
      ::syslog(syslog_priority(lvl), "%s", line.c_str());
      return;
    case Target::file:
      if (g_file != nullptr) {
        line.insert(0, timestamp());
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), g_file);
        return;
      }
      break;
    case Target::journal:
      if (send_to_journal(lvl, line)) return;
      break;
    case Target::standard_error:
      break;
  }
  // A terminal in raw mode (an interactive session) does not return the carriage by itself.
  if (g_raw_terminal) line.push_back('\r');
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

#define SSHPLEX_LOG_FN(name, lvl)      \
  void name(const char* fmt, ...) {    \
    va_list args;                      \
    va_start(args, fmt);               \
    vwrite(lvl, fmt, args);            \
    va_end(args);                      \
  }
SSHPLEX_LOG_FN(error, Level::error)
SSHPLEX_LOG_FN(info, Level::info)
SSHPLEX_LOG_FN(verbose, Level::verbose)
SSHPLEX_LOG_FN(debug, Level::debug1)
SSHPLEX_LOG_FN(debug2, Level::debug2)
#undef SSHPLEX_LOG_FN

Level level_for(int verbosity, bool quiet) {
  if (quiet) return Level::error;
  int v = 1 + verbosity;
  if (v > static_cast<int>(Level::debug3)) v = static_cast<int>(Level::debug3);
  return static_cast<Level>(v);
}

bool RateLimited::allow(Clock::time_point now) {
  if (started_ && now < next_) {
    ++pending_;
    return false;
  }
  started_ = true;
  next_ = now + interval_;
  reported_ = pending_;
  pending_ = 0;
  return true;
}

bool RateLimited::log(Level lvl, const char* fmt, ...) {
  if (!enabled(lvl) || !allow(Clock::now())) return false;
  va_list args;
  va_start(args, fmt);
  std::string message = format_message(fmt, args);
  va_end(args);
  if (reported_ != 0) {
    message += " (" + std::to_string(reported_) + " similar message" + (reported_ == 1 ? "" : "s") + " suppressed)";
  }
  write(lvl, message);
  return true;
}

}  // namespace gateway::log
