// Recognises the "YYYY-MM-DD HH:MM:SS.mmm " prefix of sshplex's log file lines (-E). Written out by
// hand: std::regex trips GCC 12's -Wmaybe-uninitialized under -O2 with sanitizers.
#pragma once

#include <cctype>
#include <string_view>

namespace testsupport {

inline constexpr std::string_view kLogStampShape = "dddd-dd-dd dd:dd:dd.ddd ";

inline bool has_log_stamp(std::string_view line) {
  if (line.size() < kLogStampShape.size()) return false;
  for (std::size_t i = 0; i < kLogStampShape.size(); ++i) {
    const char want = kLogStampShape[i];
    const char got = line[i];
    if (want == 'd' ? std::isdigit(static_cast<unsigned char>(got)) == 0 : got != want) return false;
  }
  return true;
}

}  // namespace testsupport
