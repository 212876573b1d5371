#pragma once
// Where a connection's channel events go: each channel's events to its handler; server-opened
// channels by type to the acceptor registered for it (forwarded-tcpip to the remote forwards,
// auth-agent@openssh.com to agent forwarding, x11 to X11 forwarding: a new type is one
// registration); channel requests answered with the handler's verdict. No I/O: SshSession feeds it
// events and gives it the connection to answer through.
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gateway/core/channel_handler.hpp"
#include "ssh/client/client.hpp"

namespace gateway {

class ChannelRouter {
 public:
  // Takes a channel the server opened, of the type it was registered for, and answers it (now or
  // later) through the connection.
  using Acceptor = std::function<void(const ssh::event::ChannelOpenRequest& request)>;

  // What the router answers through: the connection.
  class Answers {
   public:
    virtual void reject_channel(ssh::ChannelId id, std::uint32_t reason, const std::string& description) = 0;
    virtual void reply_request(ssh::ChannelId id, bool success) = 0;
    virtual void consume(ssh::ChannelId id, std::size_t n) = 0;

   protected:
    ~Answers() = default;
  };

  explicit ChannelRouter(Answers& answers) : answers_(answers) {}

  void set_handler(ssh::ChannelId id, ChannelHandler& handler) { handlers_[id] = &handler; }
  // Registering a type again replaces its acceptor.
  void register_type(const std::string& type, Acceptor acceptor) { acceptors_[type] = std::move(acceptor); }
  void unregister_type(const std::string& type) { acceptors_.erase(type); }

  // Routes a channel event; false when `event` is not one (transport or authentication events).
  bool route(ssh::Event& event);
  // After a run of events: each handler that received data ends its run (one write for all).
  void flush_data();
  // The handler wants on_writable() once the connection's output drains.
  void want_writable(ssh::ChannelId id) { want_writable_.insert(id); }
  void wake_writable();
  // The connection is gone: every handler hears on_closed, acceptors are dropped.
  void close_all();

  std::size_t size() const { return handlers_.size(); }
  bool has(ssh::ChannelId id) const { return handlers_.contains(id); }

 private:
  void open_request(const ssh::event::ChannelOpenRequest& request);
  ChannelHandler* handler(ssh::ChannelId id);
  // The handler is done with the channel: forgotten before it hears the last word.
  ChannelHandler* take(ssh::ChannelId id);

  Answers& answers_;
  std::unordered_map<ssh::ChannelId, ChannelHandler*> handlers_;
  std::unordered_set<ssh::ChannelId> want_writable_;
  std::vector<ssh::ChannelId> data_received_;  // channels with data in the current run
  std::unordered_map<std::string, Acceptor> acceptors_;
};

}  // namespace gateway
