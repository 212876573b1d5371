#pragma once
// A control-socket client that speaks the connection protocol itself (`ssh -O proxy`): after the
// PROXY reply, each frame both ways is one connection-protocol message (uint32 length, a zero
// padding-length byte, the message), with no encryption: the master carries it on one connection
// of its pool. The client's channels become relayed channels of that connection: their ids are
// rewritten both ways (the client sees our id for the server's), everything else passes through,
// so windows stay end to end. The client's global requests are answered FAILURE here (their replies
// could not be told from the master's own), and channels the server opens are not offered to it.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "gateway/core/channel_handler.hpp"
#include "gateway/core/ssh_session.hpp"
#include "ssh/wire/bytes.hpp"

namespace gateway::control {

class MuxProxy {
 public:
  // `to_client`: one message for the client, framed here. `failed`: the proxy cannot go on (the
  // connection died, or the client broke the protocol): the control connection closes.
  MuxProxy(SshSession& session, std::function<void(ssh::Bytes frame)> to_client,
           std::function<void(const std::string& why)> failed);
  ~MuxProxy();  // the client is gone: its channels are closed on the server
  MuxProxy(const MuxProxy&) = delete;
  MuxProxy& operator=(const MuxProxy&) = delete;

  // A frame body from the client: padding length byte, message type, payload.
  void from_client(ssh::ByteView body);
  std::size_t channels() const { return relays_.size(); }

 private:
  class Relay;
  void to_client(ssh::ByteView message);
  void relay_closed(ssh::ChannelId id);
  void fail(const std::string& why);

  SshSession& session_;
  std::weak_ptr<bool> session_alive_;
  std::function<void(ssh::Bytes)> send_;
  std::function<void(const std::string&)> failed_;
  std::unordered_map<ssh::ChannelId, Relay*> relays_;  // by our id, the one the client knows
  bool failed_once_ = false;
};

// A message for the proxy client, framed (length, zero padding length, message).
ssh::Bytes proxy_frame(ssh::ByteView message);

}  // namespace gateway::control
