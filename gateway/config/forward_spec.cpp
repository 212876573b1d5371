#include "gateway/config/forward_spec.hpp"

#include <vector>

namespace gateway::config {
namespace {

struct Field {
  std::string text;
  bool bracketed = false;
};

bool is_path(const Field& f) {
  return !f.bracketed && !f.text.empty() && f.text.front() == '/';
}

// Splits on ':' outside [brackets]. A field starting with '/' is a Unix socket path and runs to the
// next ':' like any other; brackets must enclose a whole field.
bool split_fields(std::string_view text, std::vector<Field>& out, std::string& error) {
  std::size_t i = 0;
  while (true) {
    Field field;
    if (i < text.size() && text[i] == '[') {
      const std::size_t close = text.find(']', i);
      if (close == std::string_view::npos) {
        error = "unterminated '[' in address";
        return false;
      }
      field.text = std::string(text.substr(i + 1, close - i - 1));
      field.bracketed = true;
      i = close + 1;
      if (i < text.size() && text[i] != ':') {
        error = "expected ':' after ']'";
        return false;
      }
    } else {
      std::size_t end = text.find(':', i);
      if (end == std::string_view::npos) end = text.size();
      field.text = std::string(text.substr(i, end - i));
      if (field.text.find_first_of("[]") != std::string::npos) {
        error = "'[' ']' must enclose a whole address";
        return false;
      }
      i = end;
    }
    out.push_back(std::move(field));
    if (i >= text.size()) return true;
    ++i;  // skip ':'
    if (out.size() > 4) {
      error = "too many ':'-separated fields";
      return false;
    }
  }
}

bool parse_port(const Field& f, bool allow_zero, std::uint16_t& out, std::string& error) {
  const std::string& s = f.text;
  bool ok = !f.bracketed && !s.empty() && s.size() <= 5;
  unsigned long value = 0;
  for (char c : s) {
    ok = ok && c >= '0' && c <= '9';
    if (ok) value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (!ok || value > 65535 || (value == 0 && !allow_zero)) {
    error = "bad port '" + s + "' (expected " + (allow_zero ? "0" : "1") + "..65535)";
    return false;
  }
  out = static_cast<std::uint16_t>(value);
  return true;
}

bool parse_host(const Field& f, std::string& out, std::string& error) {
  if (f.text.empty()) {
    error = "missing host";
    return false;
  }
  out = f.text;
  return true;
}

std::string bracket(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

std::string endpoint_string(const ForwardEndpoint& e) {
  if (e.is_socket()) return e.socket_path;
  if (e.host.empty()) return std::to_string(e.port);
  return bracket(e.host) + ":" + std::to_string(e.port);
}

}  // namespace

ForwardParseResult parse_forward(ForwardKind kind, std::string_view text) {
  ForwardParseResult result;
  std::vector<Field> f;
  if (text.empty()) {
    result.error = "empty forward specification";
    return result;
  }
  if (!split_fields(text, f, result.error)) return result;

  ForwardSpec spec;
  spec.kind = kind;
  // A remote listener may ask the server to choose the port (RFC 4254 §7.1, port 0).
  const bool listen_zero_ok = kind == ForwardKind::remote;
  std::string& err = result.error;
  auto listen_port = [&](const Field& port) { return parse_port(port, listen_zero_ok, spec.listen.port, err); };
  auto target_hostport = [&](const Field& host, const Field& port) {
    ForwardEndpoint t;
    if (!parse_host(host, t.host, err) || !parse_port(port, false, t.port, err)) return false;
    spec.target = t;
    return true;
  };
  auto target_socket = [&](const Field& path) {
    spec.target = ForwardEndpoint{{}, 0, path.text};
    return true;
  };
  auto bind_address = [&](const Field& bind) {
    // An empty bind address (":port:...") means every interface, as "*" does.
    spec.listen.host = bind.text.empty() ? "*" : bind.text;
    return true;
  };

  bool ok = false;
  const bool port_only = f.size() == 1 || (f.size() == 2 && !is_path(f[1]));
  if (kind == ForwardKind::dynamic || (kind == ForwardKind::remote && port_only)) {
    if (f.size() == 1) {
      ok = listen_port(f[0]);
    } else if (f.size() == 2) {
      ok = bind_address(f[0]) && listen_port(f[1]);
    } else {
      err = "expected [bind_address:]port";
    }
  } else if (f.size() == 4) {
    ok = bind_address(f[0]) && listen_port(f[1]) && target_hostport(f[2], f[3]);
  } else if (f.size() == 3 && is_path(f[0])) {
    spec.listen.socket_path = f[0].text;
    ok = target_hostport(f[1], f[2]);
  } else if (f.size() == 3 && is_path(f[2])) {
    ok = bind_address(f[0]) && listen_port(f[1]) && target_socket(f[2]);
  } else if (f.size() == 3) {
    ok = listen_port(f[0]) && target_hostport(f[1], f[2]);
  } else if (f.size() == 2 && is_path(f[1])) {
    if (is_path(f[0])) {
      spec.listen.socket_path = f[0].text;
      ok = target_socket(f[1]);
    } else {
      ok = listen_port(f[0]) && target_socket(f[1]);
    }
  } else {
    err =
        "expected [bind_address:]port:host:hostport, [bind_address:]port:/socket, /socket:host:hostport or "
        "/socket:/socket";
  }
  if (ok) {
    result.spec = std::move(spec);
    result.error.clear();
  }
  return result;
}

std::string to_string(const ForwardSpec& spec) {
  std::string out = endpoint_string(spec.listen);
  if (spec.target) out += ":" + endpoint_string(*spec.target);
  return out;
}

}  // namespace gateway::config
