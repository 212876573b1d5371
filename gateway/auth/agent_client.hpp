#pragma once
// A connection to ssh-agent (SSH_AUTH_SOCK / IdentityAgent) for listing keys and signing.
// The exchanges are short local round trips made during authentication, so they are done
// synchronously with a timeout (as ssh does) rather than through the event loop.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ssh/agent/agent_codec.hpp"

namespace gateway::auth {

class AgentClient {
 public:
  // nullptr with `error` set when the socket cannot be reached.
  static std::unique_ptr<AgentClient> connect(const std::string& socket_path, std::string& error);
  ~AgentClient();
  AgentClient(const AgentClient&) = delete;
  AgentClient& operator=(const AgentClient&) = delete;

  std::optional<std::vector<ssh::agent::Identity>> identities(std::string& error);
  // The SSH signature blob for `data`, signed by the agent's key `key_blob` with `algorithm`.
  std::optional<ssh::Bytes> sign(ssh::ByteView key_blob, ssh::ByteView data, const std::string& algorithm,
                                 std::string& error);
  // Adds a private key (in the agent's encoding) with `comment`; false with `error` set when the
  // agent refused it or could not be reached.
  bool add_identity(ssh::ByteView private_key, std::string_view comment, const ssh::agent::KeyConstraints& constraints,
                    std::string& error);

 private:
  explicit AgentClient(int fd) : fd_(fd) {}
  std::optional<ssh::agent::Response> round_trip(ssh::ByteView request, std::string& error);

  int fd_;
};

}  // namespace gateway::auth
