#include "gateway/auth/socks_credentials.hpp"

#include <sys/stat.h>

#include "gateway/util/read_file.hpp"

namespace gateway::auth {

std::optional<SocksCredentials> SocksCredentials::load(const std::string& path, std::string& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = path + ": cannot read the SOCKS credentials file";
    return std::nullopt;
  }
  if ((st.st_mode & 077) != 0) {
    error = path + ": SOCKS credentials file is accessible by others (chmod 600 it)";
    return std::nullopt;
  }
  ssh::SecretString text;
  util::read_whole_file(path, text);
  return parse(std::string_view(text.data(), text.size()), path, error);
}

std::optional<SocksCredentials> SocksCredentials::parse(std::string_view text, const std::string& name,
                                                        std::string& error) {
  SocksCredentials out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::size_t colon = line.find(':');
    // RFC 1929 §2: each of user name and password is 1..255 bytes.
    if (colon == std::string_view::npos || colon == 0 || colon > 255 || line.size() - colon - 1 == 0 ||
        line.size() - colon - 1 > 255) {
      error = name + ":" + std::to_string(line_no) + ": expected user:password (each 1 to 255 bytes)";
      return std::nullopt;
    }
    const std::string_view password = line.substr(colon + 1);
    out.entries_.emplace_back(std::string(line.substr(0, colon)), ssh::SecretString(password.begin(), password.end()));
  }
  if (out.entries_.empty()) {
    error = name + ": no user:password lines";
    return std::nullopt;
  }
  return out;
}

bool SocksCredentials::check(std::string_view user, std::string_view password) const {
  bool ok = false;
  for (const auto& [name, secret] : entries_) {
    const bool match = ssh::equal_constant_time(ssh::as_bytes(password), ssh::as_bytes(std::string_view(secret.data(), secret.size())));
    ok = ok || (name == user && match);
  }
  return ok;
}

}  // namespace gateway::auth
