#include "ssh/known_hosts/host_pattern.hpp"

namespace ssh::known_hosts {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::string to_lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool match_wildcard(std::string_view pattern, std::string_view text) {
  // Greedy matcher remembering the last '*': on a mismatch, let that star absorb one more character.
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star_p = std::string_view::npos;
  std::size_t star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || lower(pattern[p]) == lower(text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star_p = p++;
      star_t = t;
    } else if (star_p != std::string_view::npos) {
      p = star_p + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

PatternListMatch match_pattern_list(const std::vector<std::string>& patterns, std::string_view name) {
  bool positive = false;
  for (const auto& pat : patterns) {
    std::string_view view(pat);
    const bool negate = !view.empty() && view.front() == '!';
    if (negate) view.remove_prefix(1);
    if (!match_wildcard(view, name)) continue;
    if (negate) return PatternListMatch::negated;
    positive = true;
  }
  return positive ? PatternListMatch::match : PatternListMatch::no_match;
}

std::vector<std::string> split_patterns(std::string_view list, char separator) {
  std::vector<std::string> out;
  std::size_t begin = 0;
  while (begin <= list.size()) {
    std::size_t end = list.find(separator, begin);
    if (end == std::string_view::npos) end = list.size();
    if (end > begin) out.emplace_back(list.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

}  // namespace ssh::known_hosts
