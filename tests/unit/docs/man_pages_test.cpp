// The manual pages (docs/man) say what the code does: every flag the command line accepts has its
// entry under sshplex(1)'s OPTIONS and every entry there is a flag it accepts; every directive of
// sshplex's own has its entry under sshplex_config(5)'s SSHPLEX DIRECTIVES, and every keyword the
// configuration parser accepts is named in sshplex_config(5).
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/cli/command_line.hpp"
#include "gateway/config/keyword_support.hpp"
#include "gateway/config/keywords.hpp"
#include "gateway/query.hpp"

namespace {

const std::filesystem::path kSourceDir = SSHPLEX_SOURCE_DIR;  // set by tests/CMakeLists.txt

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> page(const std::string& name) {
  return read_lines(kSourceDir / "docs" / "man" / name);
}

// The lines of one section (.Sh NAME up to the next .Sh).
std::vector<std::string> section(const std::vector<std::string>& lines, const std::string& name) {
  std::vector<std::string> out;
  bool inside = false;
  for (const auto& line : lines) {
    if (line.starts_with(".Sh ")) {
      inside = line == ".Sh " + name;
      continue;
    }
    if (inside) out.push_back(line);
  }
  EXPECT_FALSE(out.empty()) << "no section " << name;
  return out;
}

// The first argument of each list entry `.It <macro> <argument> ...`, as written.
std::set<std::string> entries(const std::vector<std::string>& lines, const std::string& macro) {
  std::set<std::string> out;
  const std::string prefix = ".It " + macro + " ";
  for (const auto& line : lines) {
    if (!line.starts_with(prefix)) continue;
    std::istringstream words(line.substr(prefix.size()));
    std::string first;
    if (words >> first) out.insert(first);
  }
  return out;
}

// Every word of the page (letters and digits), lower case.
std::set<std::string> words(const std::vector<std::string>& lines) {
  std::set<std::string> out;
  for (const auto& line : lines) {
    std::string word;
    for (char c : line + " ") {
      if (std::isalnum(static_cast<unsigned char>(c))) {
        word += c;
      } else if (!word.empty()) {
        out.insert(lower(word));
        word.clear();
      }
    }
  }
  return out;
}

bool accepted(const std::vector<std::string>& args) {
  const auto r = gateway::cli::parse(std::span<const std::string>(args));
  return r.command_line.has_value() || r.error.find("unknown option") == std::string::npos;
}

// The single-letter flags the command line accepts, found by asking it about each character.
std::set<std::string> accepted_flags() {
  std::set<std::string> out;
  for (char c = '!'; c <= '~'; ++c) {
    if (c == '-') continue;  // "--" ends the options
    const std::string flag = std::string("-") + c;
    if (accepted({flag, "value", "host"})) out.insert(std::string(1, c));
  }
  return out;
}

TEST(ManPages, EveryFlagOfTheCommandLineIsAnOptionInSshplex1) {
  const auto documented = entries(section(page("sshplex.1"), "OPTIONS"), "Fl");
  const auto flags = accepted_flags();
  EXPECT_GE(flags.size(), 40u);  // the parser is asked the right way
  for (const auto& f : flags) EXPECT_TRUE(documented.count(f)) << "-" << f << " is not under OPTIONS in sshplex.1";
  for (const auto& d : documented) {
    if (d.starts_with("\\-")) {
      // A long option, written \-name in roff.
      EXPECT_TRUE(accepted({"-" + d.substr(1)})) << "sshplex.1 documents -" << d.substr(1) << ", which is refused";
    } else {
      EXPECT_TRUE(flags.count(d)) << "sshplex.1 documents -" << d << ", which the command line refuses";
    }
  }
}

// sshplex's own directives: the list -Q sshplex-directives prints, and the rows docs/ssh_config.md
// marks as sshplex's own (that table is kept equal to the parser by ssh_config_corpus_test).
std::set<std::string> own_directives() {
  std::set<std::string> out;
  for (const auto& d : gateway::query_list("sshplex-directives").value_or(std::vector<std::string>{})) out.insert(d);
  for (const auto& line : read_lines(kSourceDir / "docs" / "ssh_config.md")) {
    if (!line.starts_with("| `") || line.find("| sshplex's own |") == std::string::npos) continue;
    out.insert(line.substr(3, line.find('`', 3) - 3));
  }
  return out;
}

TEST(ManPages, EveryDirectiveOfSshplexHasItsEntryInSshplexConfig5) {
  const auto documented = entries(section(page("sshplex_config.5"), "SSHPLEX DIRECTIVES"), "Cm");
  const auto own = own_directives();
  EXPECT_GE(own.size(), 13u);
  std::set<std::string> parser;
  for (auto k : gateway::config::implemented_keywords()) parser.insert(std::string(k));
  for (const auto& d : own) {
    EXPECT_TRUE(parser.count(d)) << d << " is listed as sshplex's own but the parser does not know it";
    EXPECT_TRUE(documented.count(d)) << d << " has no .It Cm entry under SSHPLEX DIRECTIVES in sshplex_config.5";
  }
}

TEST(ManPages, EveryKeywordTheParserAcceptsIsNamedInSshplexConfig5) {
  const auto named = words(page("sshplex_config.5"));
  std::set<std::string> known = {"host", "match", "include", "tag", "challengeresponseauthentication"};
  for (auto k : gateway::config::implemented_keywords()) known.insert(lower(std::string(k)));
  for (const auto& k : gateway::config::accepted_keywords()) known.insert(lower(std::string(k.name)));
  for (const auto& k : known) EXPECT_TRUE(named.count(k)) << k << " is not named in sshplex_config.5";
}

}  // namespace
