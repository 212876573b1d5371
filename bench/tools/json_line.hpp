// The one-line JSON result every subcommand prints on stdout: a flat object of numbers and booleans,
// written and flushed in one go so the runner can read it line by line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bench::tools {

class JsonLine {
 public:
  JsonLine& add(std::string_view key, bool value);
  JsonLine& add(std::string_view key, std::uint64_t value);
  // Shortest round-trip form; NaN and infinities become null (JSON has no spelling for them).
  JsonLine& add(std::string_view key, double value);

  std::string str() const { return text_ + "}"; }
  // Writes the object and a newline to stdout and flushes.
  void print() const;

 private:
  void key(std::string_view name);

  std::string text_ = "{";
};

}  // namespace bench::tools
