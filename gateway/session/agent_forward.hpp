#pragma once
// -A / ForwardAgent: the session asks the server for agent forwarding (auth-agent-req@openssh.com)
// and each auth-agent@openssh.com channel the server opens is relayed to the local agent, on a new
// agent connection of its own that is first bound to this SSH connection with
// session-bind@openssh.com (forwarding), as OpenSSH does (PROTOCOL.agent). Nothing blocks the loop:
// the agent is reached and answered through it. The channels close with the session or with the
// connection carrying them.
#include <uv.h>

#include <optional>
#include <string>

#include "gateway/channel/channel_pump.hpp"
#include "gateway/config/options.hpp"
#include "gateway/session/remote_session.hpp"

namespace gateway::session {

class AgentForwarding final : public ChannelForwarding {
 public:
  AgentForwarding(uv_loop_t* loop, std::string agent_socket);
  ~AgentForwarding() override;

  // The agent socket ForwardAgent names ("SSH_AUTH_SOCK", "$VAR" or a path); nullopt, with `why`,
  // when forwarding is off or the variable is not set.
  static std::optional<std::string> socket_for(const config::Options& options, std::string& why);

  void attach(SshSession& session) override;
  std::optional<Request> request() override;
  void close() override;

 private:
  void accept(SshSession& session, const ssh::event::ChannelOpenRequest& request);

  uv_loop_t* loop_;
  std::string agent_socket_;
  PumpSet pumps_;
  bool closed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // the acceptor may outlive us
};

}  // namespace gateway::session
