// Small filesystem helpers for the integration fixtures: an RAII temporary directory and whole-file
// reads and writes. Test-only code: failures are reported through return values or gtest assertions.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace testsupport {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it when the object dies.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "sshplex-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  // path() / name, as a string (the form argv wants).
  std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Whole file as bytes; empty when it cannot be read.
std::string read_file(const std::filesystem::path& p);
// Writes (truncating) with the given mode; returns false on any error.
bool write_file(const std::filesystem::path& p, std::string_view content, unsigned mode = 0600);
// Last max_bytes of a file, starting at a line boundary: for dumping big debug logs.
std::string tail_file(const std::filesystem::path& p, std::size_t max_bytes = 24 * 1024);
// Number of non-overlapping occurrences of needle in haystack.
std::size_t count_occurrences(std::string_view haystack, std::string_view needle);
// First whitespace-separated fields of a line, e.g. "ssh-ed25519 AAAA..." from a .pub file without comment.
std::string strip_key_comment(std::string_view pub_line);

}  // namespace testsupport
