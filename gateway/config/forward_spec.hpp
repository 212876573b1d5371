#pragma once
// Port-forward specifications as written for ssh -L / -R / -D and LocalForward / RemoteForward /
// DynamicForward (ssh(1), ssh_config(5)):
//   [bind_address:]port:host:hostport      [bind_address:]port:/remote/socket
//   /local/socket:host:hostport            /local/socket:/remote/socket
//   -D / DynamicForward: [bind_address:]port      -R / RemoteForward also: [bind_address:]port
// IPv6 addresses are written in [brackets]; "*" (or an empty bind address) means every interface.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gateway::config {

enum class ForwardKind { local, remote, dynamic };

struct ForwardEndpoint {
  std::string host;  // bind address for the listening side (empty: not given), target host otherwise
  std::uint16_t port = 0;
  std::string socket_path;  // a Unix socket instead of host:port
  bool is_socket() const { return !socket_path.empty(); }
};

struct ForwardSpec {
  ForwardKind kind = ForwardKind::local;
  ForwardEndpoint listen;
  // Where connections go. Unset for dynamic forwards and for -R [bind:]port (the remote side's
  // connections are served as SOCKS by us).
  std::optional<ForwardEndpoint> target;
};

struct ForwardParseResult {
  std::optional<ForwardSpec> spec;
  std::string error;  // set when spec is empty: what was expected
};

ForwardParseResult parse_forward(ForwardKind kind, std::string_view text);

// The spec in the syntax parse_forward() reads (IPv6 addresses bracketed).
std::string to_string(const ForwardSpec& spec);

}  // namespace gateway::config
