#pragma once
// Username/password pairs for SOCKS authentication (RFC 1929), from a file of "user:password"
// lines ('#' comments and blank lines ignored). Like ssh with private keys, the file must not be
// readable by group or others.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ssh/wire/bytes.hpp"

namespace gateway::auth {

class SocksCredentials {
 public:
  // nullopt with `error` naming the file (and line) on a missing, unsafe or malformed file.
  static std::optional<SocksCredentials> load(const std::string& path, std::string& error);
  static std::optional<SocksCredentials> parse(std::string_view text, const std::string& name, std::string& error);

  // Passwords compare in constant time; an unknown user costs the same as a wrong password.
  bool check(std::string_view user, std::string_view password) const;
  std::size_t size() const { return entries_.size(); }

 private:
  std::vector<std::pair<std::string, ssh::SecretString>> entries_;
};

}  // namespace gateway::auth
