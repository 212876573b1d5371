#include "bench/tools/args.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <utility>

namespace bench::tools {

namespace {

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<sockaddr_in> ipv4(std::string_view host, int port) {
  const std::string h = host == "localhost" ? std::string("127.0.0.1") : std::string(host);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, h.c_str(), &address.sin_addr) != 1) return std::nullopt;
  return address;
}

}  // namespace

std::optional<Args> Args::parse(int argc, char** argv, int first, std::initializer_list<std::string_view> known,
                                std::string* error) {
  Args args;
  for (int i = first; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word.size() < 3 || word.substr(0, 2) != "--") {
      *error = "unexpected argument '" + std::string(word) + "'";
      return std::nullopt;
    }
    word.remove_prefix(2);
    std::string value;
    const auto eq = word.find('=');
    if (eq != std::string_view::npos) {
      value = std::string(word.substr(eq + 1));
      word = word.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      *error = "option --" + std::string(word) + " needs a value";
      return std::nullopt;
    }
    bool is_known = false;
    for (const auto k : known) is_known = is_known || k == word;
    if (!is_known) {
      *error = "unknown option --" + std::string(word);
      return std::nullopt;
    }
    if (!args.values_.emplace(std::string(word), std::move(value)).second) {
      *error = "option --" + std::string(word) + " given twice";
      return std::nullopt;
    }
  }
  return args;
}

const std::string* Args::find(std::string_view name) const {
  const auto it = values_.find(std::string(name));
  return it == values_.end() ? nullptr : &it->second;
}

void Args::add_error(std::string message) {
  if (error_.empty()) error_ = std::move(message);
}

bool Args::require(std::string_view name) {
  if (has(name)) return true;
  add_error("option --" + std::string(name) + " is required");
  return false;
}

std::string Args::text(std::string_view name, std::string_view fallback) {
  const std::string* v = find(name);
  return v != nullptr ? *v : std::string(fallback);
}

std::uint64_t Args::count(std::string_view name, std::uint64_t fallback) {
  const std::string* v = find(name);
  if (v == nullptr) return fallback;
  const auto n = parse_u64(*v);
  if (!n) {
    add_error("--" + std::string(name) + " wants a non-negative integer, got '" + *v + "'");
    return fallback;
  }
  return *n;
}

double Args::seconds(std::string_view name, double fallback) {
  const std::string* v = find(name);
  if (v == nullptr) return fallback;
  double value = 0;
  const char* end = v->data() + v->size();
  const auto [ptr, ec] = std::from_chars(v->data(), end, value);
  if (v->empty() || ec != std::errc() || ptr != end || !std::isfinite(value) || value <= 0) {
    add_error("--" + std::string(name) + " wants a positive number of seconds, got '" + *v + "'");
    return fallback;
  }
  return value;
}

int Args::port(std::string_view name) {
  const std::string* v = find(name);
  if (v == nullptr) return 0;
  const auto n = parse_u64(*v);
  if (!n || *n == 0 || *n > 65535) {
    add_error("--" + std::string(name) + " wants a port 1..65535, got '" + *v + "'");
    return 0;
  }
  return static_cast<int>(*n);
}

std::optional<sockaddr_in> Args::endpoint(std::string_view name) {
  if (!require(name)) return std::nullopt;
  const std::string& v = *find(name);
  auto address = parse_endpoint(v);
  if (!address) add_error("--" + std::string(name) + " wants HOST:PORT (IPv4 or localhost), got '" + v + "'");
  return address;
}

std::optional<sockaddr_in> Args::bind_address(std::string_view name, int port_number) {
  const std::string host = text(name, "127.0.0.1");
  auto address = ipv4(host, port_number);
  if (!address) add_error("--" + std::string(name) + " wants an IPv4 address, got '" + host + "'");
  return address;
}

std::optional<sockaddr_in> parse_endpoint(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto port = parse_u64(text.substr(colon + 1));
  if (!port || *port == 0 || *port > 65535) return std::nullopt;
  return ipv4(text.substr(0, colon), static_cast<int>(*port));
}

std::string describe(const sockaddr_in& address) {
  char host[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &address.sin_addr, host, sizeof host);
  return std::string(host) + ":" + std::to_string(ntohs(address.sin_port));
}

}  // namespace bench::tools
