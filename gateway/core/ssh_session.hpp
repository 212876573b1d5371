#pragma once
// One SSH connection on the libuv loop: owns the link that carries its bytes (a TCP socket, or a
// channel through ProxyJump hops), the sans-IO ssh::Client and its timer, and routes channel
// events to their handlers. Authentication and host key policy are delegated (see SessionDelegate).
#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gateway/core/channel_handler.hpp"
#include "gateway/core/channel_host.hpp"
#include "gateway/core/channel_router.hpp"
#include "gateway/core/link.hpp"
#include "gateway/core/link_tcp.hpp"
#include "gateway/net/resolver.hpp"
#include "ssh/client/client.hpp"

namespace gateway {

class SshSession;
struct HopSettings;

// Decisions the session leaves to its owner.
class SessionDelegate {
 public:
  virtual ~SessionDelegate() = default;
  // Host key verification; return true to accept.
  virtual bool verify_host_key(SshSession& session, const ssh::event::HostKey& key) = 0;
  // Authentication events: the delegate answers by calling the session's client() auth methods.
  virtual void on_auth_event(SshSession& session, const ssh::Event& event) = 0;
  virtual void on_authenticated(SshSession& session, const std::string& method) = 0;
  // The connection is gone (after on_authenticated or not). `reason` is for the user.
  virtual void on_disconnected(SshSession& session, const std::string& reason, bool was_authenticated) = 0;
};



struct SessionTarget;
class Link;
class LinkObserver;
// Makes the link for a connection that does not go straight over TCP (ProxyJump: pool/link_jump).
using LinkFactory =
    std::function<std::unique_ptr<Link>(uv_loop_t* loop, net::Resolver& resolver, const SessionTarget& target,
                                        LinkObserver& observer)>;

struct SessionTarget {
  std::string host;         // as the user named it (for known_hosts and messages)
  std::string connect_host;  // HostName
  std::uint16_t port = 22;
  TcpLinkOptions socket;  // ConnectTimeout, AddressFamily, BindAddress, BindInterface, IPQoS, TCPKeepAlive
  // Empty: a TCP connection to connect_host:port (TcpLink).
  LinkFactory make_link;
};

class SshSession final : public ChannelHost, private LinkObserver, private ChannelRouter::Answers {
 public:
  SshSession(uv_loop_t* loop, net::Resolver& resolver, SessionTarget target, ssh::ClientConfig config,
             SessionDelegate& delegate);
  ~SshSession() override;
  SshSession(const SshSession&) = delete;
  SshSession& operator=(const SshSession&) = delete;

  // Resolves (c-ares) and connects; progress arrives through the delegate.
  void start();
  // The pool's number for this connection: every line logged while it handles its events carries
  // it as the journal field SSHPLEX_CONNECTION.
  void set_log_connection(std::string number) { log_connection_ = std::move(number); }

  ssh::Client& client() { return *client_; }
  // nullptr until the link is up (for counters read at any time: bytes, round trip).
  const ssh::Client* connected_client() const { return client_.get(); }
  // The server's address on a direct TCP link (CheckHostIP); empty otherwise.
  std::string peer_address() const { return link_ ? link_->peer_address() : std::string(); }
  const SessionTarget& target() const { return target_; }
  bool authenticated() const { return authenticated_; }
  // The connection is gone (on_disconnected was called or is being called).
  bool finished() const { return finished_; }
  // False once this session is destroyed: for objects that may outlive it (they must not touch it).
  std::weak_ptr<bool> liveness() const { return alive_; }
  // True when the failure came from a jump host on the way and its reason already names that hop.
  bool failure_names_hop() const { return failure_names_hop_; }

  // ChannelHost: channels of this connection.
  std::optional<ssh::ChannelId> open_channel(std::string_view type, ssh::ByteView type_data,
                                             ChannelHandler& handler) override;
  void accept_channel(ssh::ChannelId id, ChannelHandler& handler) override;
  void reject_channel(ssh::ChannelId id, std::uint32_t reason, const std::string& description) override;
  std::optional<std::uint32_t> channel_request(ssh::ChannelId id, std::string_view name, ssh::ByteView data,
                                               bool want_reply) override;
  std::size_t send(ssh::ChannelId id, ssh::ByteView data) override;
  void consume(ssh::ChannelId id, std::size_t n) override;
  void send_eof(ssh::ChannelId id) override;
  void close_channel(ssh::ChannelId id) override;
  void want_writable(ssh::ChannelId id) override;
  // A relayed channel (a control-socket proxy client's own): the handler hears on_relayed for each
  // server message and on_closed at the end; send_relayed passes the client's messages on.
  // `kind` is its channel type ("session" counts towards the server's MaxSessions).
  std::optional<ssh::ChannelId> open_relayed(std::string_view type, std::uint32_t window, std::uint32_t max_packet,
                                             ssh::ByteView type_data, ChannelHandler& handler);
  bool send_relayed(ssh::ChannelId id, ssh::Bytes payload);
  // Whether the output queue toward the server is short enough to take more now.
  bool output_has_room() const;
  // Server-opened channels are dispatched by type (see ChannelRouter); registering a type again
  // replaces its acceptor.
  void register_channel_type(const std::string& type, ChannelRouter::Acceptor acceptor);
  void unregister_channel_type(const std::string& type);
  // Sends a want-reply global request through `send` (e.g. Client::request_tcpip_forward) and calls
  // `on_reply` with its answer. false when nothing was sent; `on_reply` is dropped if the
  // connection dies first.
  using GlobalReply = std::function<void(const ssh::event::GlobalRequestResult&)>;
  bool global_request(const std::function<std::uint64_t(ssh::Client&)>& send, GlobalReply on_reply);
  // Channels with a handler (opening, open or closing): the pool's measure of load.
  std::size_t channel_count() const { return router_.size(); }
  // Session channels opening or open: sshd limits them per connection (MaxSessions).
  std::size_t session_count() const { return session_ids_.size(); }
  // The server refused a session: it takes no more while this many are open (an open failure
  // with others open is sshd's MaxSessions, not a refusal of sessions as such).
  void note_session_refused() {
    if (!session_ids_.empty()) session_limit_ = session_ids_.size();
  }
  bool has_session_room() const { return !session_limit_ || session_ids_.size() < *session_limit_; }
  std::size_t send_capacity(ssh::ChannelId id) const;

  // Tears the connection down (sends DISCONNECT when possible). Idempotent.
  void shutdown(const std::string& why);
  // Call after any command on client(): flushes output and re-arms the timer.
  void pump();

 private:
  // LinkObserver
  void on_link_connected() override;
  void on_link_data(ssh::ByteView data) override;
  void on_link_drained() override;
  void on_link_failed(const std::string& reason) override;

  std::unique_ptr<Link> make_link();
  void on_timer();
  void flush_received_data();
  bool write_transmit();  // false: the link failed (the session is finished)
  void write_batched_output();  // the flusher's work
  void dispatch(ssh::Event& event);
  // ChannelRouter::Answers
  void reply_request(ssh::ChannelId id, bool success) override;
  void fail(const std::string& why);

  uv_loop_t* loop_;
  net::Resolver& resolver_;
  SessionTarget target_;
  ssh::ClientConfig config_;
  SessionDelegate& delegate_;
  std::unique_ptr<ssh::Client> client_;
  std::unique_ptr<Link> link_;  // kept until destruction: it may be failing up the stack
  uv_timer_t* timer_ = nullptr;
  uv_prepare_t* flusher_ = nullptr;  // writes batched output once per loop iteration
  bool link_up_ = false;
  bool authenticated_ = false;
  bool finished_ = false;
  std::string log_connection_;
  bool failure_names_hop_ = false;
  bool in_pump_ = false;
  ChannelRouter router_{static_cast<ChannelRouter::Answers&>(*this)};
  std::unordered_set<ssh::ChannelId> session_ids_;
  std::optional<std::size_t> session_limit_;
  std::unordered_map<std::uint64_t, GlobalReply> global_replies_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gateway
