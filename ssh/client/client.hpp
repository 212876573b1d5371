#pragma once
// ssh::Client: the whole SSH-2 client connection as one sans-IO state machine (transport +
// user authentication + connection protocol). The gateway feeds it socket bytes and time and
// drives it with commands; it yields bytes to transmit, events and the next deadline.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ssh/connection/events.hpp"
#include "ssh/keys/signer.hpp"
#include "ssh/transport/transport.hpp"
#include "ssh/wire/bytes.hpp"

namespace ssh {

using transport::TimePoint;
using ChannelId = std::uint32_t;  // our local channel number (RFC 4254 §5.1 "sender channel")

struct ClientConfig {
  transport::TransportConfig transport;
  std::string user;
  // Our receive window per channel starts at OpenSSH's 2 MiB (a wider window only makes the
  // server buffer more on a short path) and grows with the round trip measured on channel opens
  // to window_target_rate x RTT, up to max_channel_window, so long fat links are not capped. (Wider
  // than 8 MiB measured slower against OpenSSH 9.2 over a 100 ms round trip: its buffers grow.)
  std::uint32_t channel_window = 2 * 1024 * 1024;
  std::uint32_t max_channel_window = 8 * 1024 * 1024;
  std::uint64_t window_target_rate = 128 * 1024 * 1024;  // bytes per second
  std::uint32_t channel_max_packet = 32 * 1024;
  std::uint32_t max_channels = 65536;
  // keepalive@openssh.com probes (ServerAliveInterval / ServerAliveCountMax); 0 disables.
  std::chrono::seconds server_alive_interval{0};
  std::uint32_t server_alive_count_max = 3;
};

struct KbdIntPrompt {
  std::string text;
  bool echo;
};

namespace event {
using transport::tevent::Debug;
using transport::tevent::Disconnected;
using transport::tevent::KexComplete;
using transport::tevent::ServerVersion;

// Decide with host_key_verdict().
struct HostKey {
  std::string algorithm;
  Bytes key_blob;
  std::string fingerprint;  // "SHA256:..."
};
struct AuthBanner {
  std::string message;
};
// The server wants (more) authentication: after the service is accepted (methods empty until the
// "none" probe answers), after each failure, and after a partial success.
struct AuthMethods {
  std::vector<std::string> methods;
  bool partial_success;
};
// SSH_MSG_USERAUTH_PK_OK: the key queried with auth_publickey_query() is acceptable.
struct AuthPublicKeyOk {
  std::string algorithm;
  Bytes key_blob;
};
// keyboard-interactive (RFC 4256 §3.2): answer with auth_kbdint_respond().
struct AuthPrompts {
  std::string name;
  std::string instruction;
  std::vector<KbdIntPrompt> prompts;
};
struct Authenticated {
  std::string method;
};
// The connection protocol's events, passed on as they are (ssh/connection/events.hpp).
using ChannelOpened = connection::cevent::Opened;
using ChannelOpenFailed = connection::cevent::OpenFailed;
using ChannelData = connection::cevent::Data;
using ChannelWritable = connection::cevent::Writable;
using ChannelEof = connection::cevent::Eof;
using ChannelClosed = connection::cevent::Closed;
// A request from the server on one of our channels (exit-status, exit-signal ...): when want_reply,
// answer with reply_channel_request() before the next event is polled.
using ChannelRequest = connection::cevent::Request;
using ChannelRequestResult = connection::cevent::RequestResult;
using GlobalRequestResult = connection::cevent::GlobalRequestResult;
// The server opens a channel to us, of any type (forwarded-tcpip, auth-agent@openssh.com, x11 ...):
// `id` is reserved for it; answer with accept_channel() or reject_channel().
using ChannelOpenRequest = connection::cevent::OpenRequest;
// A server message for a relayed channel (open_relayed_channel), passed on whole.
using ChannelRelayed = connection::cevent::Relayed;
}  // namespace event

using Event = std::variant<event::HostKey, event::ServerVersion, event::KexComplete, event::Debug, event::AuthBanner,
                           event::AuthMethods, event::AuthPublicKeyOk, event::AuthPrompts, event::Authenticated,
                           event::ChannelOpened, event::ChannelOpenFailed, event::ChannelData, event::ChannelWritable,
                           event::ChannelEof, event::ChannelClosed, event::ChannelRequest, event::ChannelRequestResult,
                           event::GlobalRequestResult, event::ChannelOpenRequest, event::ChannelRelayed,
                           event::Disconnected>;

class Client {
 public:
  Client(ClientConfig config, TimePoint now);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // ---- I/O
  void handle_bytes(ByteView data);
  // As above, with the arrival time: keeps ServerAliveInterval exact (the plain overload counts
  // the traffic at the last time the client was told).
  void handle_bytes(ByteView data, TimePoint now);
  void handle_timeout(TimePoint now);
  // Tells the current time without anything being due (before commands whose timing is measured,
  // such as channel opens).
  void advance_time(TimePoint now);
  bool has_transmit() const;
  Bytes take_transmit();
  std::size_t pending_transmit_bytes() const;
  std::optional<Event> poll_event();
  std::optional<TimePoint> next_deadline() const;

  // ---- host key
  void host_key_verdict(bool accepted);

  // ---- user authentication (RFC 4252). One attempt at a time; the result arrives as
  // Authenticated, AuthMethods (failure / partial success), AuthPublicKeyOk or AuthPrompts.
  void auth_none();
  void auth_password(std::string_view password);
  // Asks whether the server would accept this key, without signing (RFC 4252 §7).
  void auth_publickey_query(std::string_view algorithm, ByteView key_blob);
  // Signs with an in-memory key and sends the request.
  void auth_publickey_sign(std::string_view algorithm, const keys::Signer& signer);
  // For keys that sign elsewhere (ssh-agent): the exact bytes to sign, then the signature blob.
  Bytes publickey_data_to_sign(std::string_view algorithm, ByteView key_blob) const;
  void auth_publickey_signed(std::string_view algorithm, ByteView key_blob, ByteView signature_blob);
  void auth_keyboard_interactive();
  void auth_kbdint_respond(const std::vector<SecretString>& answers);
  bool is_authenticated() const;
  // Server's server-sig-algs (RFC 8308), to choose rsa-sha2-512/256 for RSA user keys.
  const std::vector<std::string>& server_sig_algs() const;

  // ---- channels (RFC 4254). open_channel() opens any type with its type-specific data
  // (ssh/connection/channel_types.hpp) and returns our id at once; ChannelOpened / ChannelOpenFailed
  // follows. `window` 0 offers the connection's receive window. nullopt when not authenticated or
  // the channel limit is reached.
  std::optional<ChannelId> open_channel(std::string_view type, ByteView type_data, std::uint32_t window = 0);
  // Bytes that send() would take now (peer window, bounded by our output queue).
  std::size_t send_capacity(ChannelId id) const;
  // Sends up to send_capacity() bytes, split into packets of the peer's max packet size; returns
  // how many were taken. When limited, ChannelWritable follows once the window reopens.
  std::size_t send(ChannelId id, ByteView data, std::uint32_t extended_type = 0);
  // The application has passed on n received bytes: window credit is returned in batches.
  void consume(ChannelId id, std::size_t n);
  void send_eof(ChannelId id);
  void close_channel(ChannelId id);
  // Another client's channel carried on this connection (see Connection::open_relayed): its
  // server messages come as ChannelRelayed events, and send_relayed() passes its own on.
  std::optional<ChannelId> open_relayed_channel(std::string_view type, std::uint32_t window,
                                                std::uint32_t max_packet, ByteView type_data);
  bool send_relayed(ChannelId id, Bytes payload);
  // Channel requests (RFC 4254 §5.4), any name with its data (ssh/connection/session_requests.hpp).
  // Returns the request's number, matched by ChannelRequestResult::seq when want_reply (0 without a
  // reply), or nullopt when nothing was sent.
  std::optional<std::uint32_t> channel_request(ChannelId id, std::string_view name, ByteView data, bool want_reply);
  // Answers the oldest unanswered want-reply ChannelRequest of the channel.
  void reply_channel_request(ChannelId id, bool success);

  // Answers a ChannelOpenRequest. Accepting confirms with our window and max packet; the channel
  // then behaves like one we opened (ChannelData, ChannelEof, ChannelClosed ...). Rejecting sends
  // OPEN_FAILURE with an RFC 4254 §5.1 reason code and frees the id.
  void accept_channel(ChannelId id);
  void reject_channel(ChannelId id, std::uint32_t reason, std::string_view description);

  // ---- remote forwarding (RFC 4254 §7.1, OpenSSH PROTOCOL §2.4), all want-reply: the answer is a
  // GlobalRequestResult with the returned token (0 when nothing could be sent). For a tcpip-forward
  // with port 0, allocated_port() reads the port the server chose from the result's data.
  std::uint64_t request_tcpip_forward(std::string_view bind_address, std::uint32_t port);
  std::uint64_t cancel_tcpip_forward(std::string_view bind_address, std::uint32_t port);
  std::uint64_t request_streamlocal_forward(std::string_view socket_path);
  std::uint64_t cancel_streamlocal_forward(std::string_view socket_path);
  static std::optional<std::uint32_t> allocated_port(ByteView reply_data);

  // ---- global requests (RFC 4254 §4), replies in order. Returns a token matched by
  // GlobalRequestResult (only when want_reply); 0 when nothing was sent (not authenticated, closed).
  std::uint64_t global_request(std::string_view name, ByteView request_data, bool want_reply);

  // Starts a key exchange now (ssh's ~R); invisible above the transport.
  void request_rekey();
  void disconnect(std::uint32_t reason, std::string_view description);

  // ---- state
  bool is_closed() const;
  const transport::Transport& transport() const;
  std::size_t open_channel_count() const;
  // The shortest round trip measured on channel opens so far (it sizes the windows); nullopt
  // before the first open was answered.
  std::optional<std::chrono::nanoseconds> round_trip() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ssh
