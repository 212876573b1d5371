#include "gateway/config/config_lexer.hpp"

namespace gateway::config {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

}  // namespace

bool split_arguments(std::string_view text, std::vector<std::string>& out, std::string& error) {
  out.clear();
  std::size_t i = 0;
  while (true) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (i >= text.size() || text[i] == '#') return true;
    std::string arg;
    char quote = 0;
    while (i < text.size()) {
      const char c = text[i];
      if (quote == 0 && is_space(c)) break;
      if (c == '\\' && i + 1 < text.size()) {
        const char n = text[i + 1];
        // Only quote characters, backslash and (outside quotes) space are escapable; elsewhere the
        // backslash is literal, so Windows-ish paths and regex-like values survive.
        if (n == '"' || n == '\'' || n == '\\' || (quote == 0 && n == ' ')) {
          arg += n;
          i += 2;
          continue;
        }
      }
      if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
      } else if (quote != 0 && c == quote) {
        quote = 0;
      } else {
        arg += c;
      }
      ++i;
    }
    if (quote != 0) {
      error = "unterminated quoted argument";
      return false;
    }
    out.push_back(std::move(arg));
  }
}

bool split_config_line(std::string_view text, ConfigLine& out, std::string& error) {
  out = ConfigLine{};
  std::size_t i = 0;
  while (i < text.size() && is_space(text[i])) ++i;
  if (i >= text.size() || text[i] == '#') return true;
  const std::size_t start = i;
  while (i < text.size() && !is_space(text[i]) && text[i] != '=') ++i;
  if (i == start) {
    error = "missing keyword before '='";
    return false;
  }
  out.keyword = std::string(text.substr(start, i - start));
  while (i < text.size() && is_space(text[i])) ++i;
  if (i < text.size() && text[i] == '=') ++i;
  while (i < text.size() && is_space(text[i])) ++i;
  std::size_t end = text.size();
  while (end > i && is_space(text[end - 1])) --end;
  out.rest = std::string(text.substr(i, end - i));
  return split_arguments(text.substr(i), out.args, error);
}

}  // namespace gateway::config
