#pragma once
// Leveled logging for the gateway, to stderr (syslog later). One line per event a user cares about.
// Levels follow ssh: -q quiet (errors only), default, -v verbose, -vv / -vvv debug.
#include <cstdarg>
#include <string>
#include <string_view>

namespace gateway::log {

enum class Level { error = 0, info = 1, verbose = 2, debug1 = 3, debug2 = 4, debug3 = 5 };

void set_level(Level level);
Level level();
bool enabled(Level level);

void write(Level level, std::string_view message);

[[gnu::format(printf, 1, 2)]] void error(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void info(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void verbose(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void debug(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void debug2(const char* fmt, ...);

// Level for a count of -v flags (0 = info) with -q forcing errors only.
Level level_for(int verbosity, bool quiet);

}  // namespace gateway::log
