#include "gateway/core/log.hpp"

#include <cstdio>
#include <string>

namespace gateway::log {
namespace {

Level g_level = Level::info;

void vwrite(Level lvl, const char* fmt, va_list args) {
  if (!enabled(lvl)) return;
  char buf[2048];
  const int n = std::vsnprintf(buf, sizeof buf, fmt, args);
  if (n < 0) return;
  write(lvl, std::string_view(buf, std::min(static_cast<std::size_t>(n), sizeof buf - 1)));
}

const char* prefix(Level lvl) {
  switch (lvl) {
    case Level::debug1: return "debug1: ";
    case Level::debug2: return "debug2: ";
    case Level::debug3: return "debug3: ";
    default: return "";
  }
}

}  // namespace

void set_level(Level lvl) { g_level = lvl; }
Level level() { return g_level; }
bool enabled(Level lvl) { return static_cast<int>(lvl) <= static_cast<int>(g_level); }

void write(Level lvl, std::string_view message) {
  if (!enabled(lvl)) return;
  std::string line = prefix(lvl);
  line.append(message);
  // Keep control characters that a server might send (banners, debug messages) out of the terminal.
  for (char& c : line) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) c = '?';
  }
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

}  // namespace gateway::log
