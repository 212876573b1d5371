#include "bench/tools/json_line.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace bench::tools {

void JsonLine::key(std::string_view name) {
  if (text_.size() > 1) text_ += ", ";
  // Keys are our own identifiers: no characters that need escaping.
  text_ += '"';
  text_ += name;
  text_ += "\": ";
}

JsonLine& JsonLine::add(std::string_view name, bool value) {
  key(name);
  text_ += value ? "true" : "false";
  return *this;
}

JsonLine& JsonLine::add(std::string_view name, std::uint64_t value) {
  key(name);
  text_ += std::to_string(value);
  return *this;
}

JsonLine& JsonLine::add(std::string_view name, double value) {
  key(name);
  if (!std::isfinite(value)) {
    text_ += "null";
    return *this;
  }
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string_view number(buffer, static_cast<std::size_t>(result.ptr - buffer));
  text_ += number;
  // Keep floats recognisable as floats for strict readers ("2" -> "2.0"); exponents stay valid JSON.
  if (number.find_first_of(".e") == std::string_view::npos) text_ += ".0";
  return *this;
}

void JsonLine::print() const {
  const std::string line = str() + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace bench::tools
