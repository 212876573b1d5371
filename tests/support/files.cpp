#include "support/files.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace testsupport {

TempDir::TempDir(std::string_view prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" + std::string(prefix) + ".XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for " + tmpl);
  }
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return {};
  try {
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  } catch (const std::ios_base::failure&) {
    // libstdc++'s filebuf throws when read() fails, e.g. /proc/<pid>/stat of a process that just
    // exited (ESRCH): the file is gone for our purposes.
    return {};
  }
}

bool write_file(const std::filesystem::path& p, std::string_view content, unsigned mode) {
  {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) return false;
  }
  return ::chmod(p.c_str(), static_cast<mode_t>(mode)) == 0;
}

std::string tail_file(const std::filesystem::path& p, std::size_t max_bytes) {
  std::string all = read_file(p);
  if (all.size() <= max_bytes) return all;
  std::size_t start = all.size() - max_bytes;
  std::size_t nl = all.find('\n', start);
  if (nl != std::string::npos) start = nl + 1;
  return "[... " + std::to_string(start) + " bytes omitted ...]\n" + all.substr(start);
}

std::size_t count_occurrences(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return 0;
  std::size_t n = 0;
  for (std::size_t pos = haystack.find(needle); pos != std::string_view::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

std::string strip_key_comment(std::string_view pub_line) {
  std::istringstream in{std::string(pub_line)};
  std::string type;
  std::string blob;
  in >> type >> blob;
  return type + " " + blob;
}

}  // namespace testsupport
