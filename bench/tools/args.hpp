// Command-line options of one sshplex-bench subcommand: "--name value" (or "--name=value") pairs,
// checked against the options the subcommand knows, with typed getters that record the first error.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace bench::tools {

class Args {
 public:
  // Parses argv[first..argc). Unknown options, missing values and repeated options are errors.
  static std::optional<Args> parse(int argc, char** argv, int first, std::initializer_list<std::string_view> known,
                                   std::string* error);

  bool has(std::string_view name) const { return values_.count(std::string(name)) != 0; }
  std::string text(std::string_view name, std::string_view fallback);
  // Non-negative integer; fallback when absent.
  std::uint64_t count(std::string_view name, std::uint64_t fallback);
  // Positive number of seconds (fractions allowed); fallback when absent.
  double seconds(std::string_view name, double fallback);
  // TCP port 1..65535; 0 when absent (optional ports) or invalid (error recorded).
  int port(std::string_view name);
  // HOST:PORT with an IPv4 literal or "localhost"; required.
  std::optional<sockaddr_in> endpoint(std::string_view name);
  // IPv4 literal plus a port (for --bind).
  std::optional<sockaddr_in> bind_address(std::string_view name, int port);

  // Marks an option as required; records an error when it is absent.
  bool require(std::string_view name);
  void add_error(std::string message);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  const std::string* find(std::string_view name) const;

  std::map<std::string, std::string> values_;
  std::string error_;
};

// HOST:PORT parsing shared by the getters: IPv4 literal or "localhost", port 1..65535.
std::optional<sockaddr_in> parse_endpoint(std::string_view text);
// Describes an IPv4 endpoint as "a.b.c.d:port" for messages.
std::string describe(const sockaddr_in& address);

}  // namespace bench::tools
