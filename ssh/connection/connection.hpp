#pragma once
// Client side of the connection protocol (RFC 4254) as a payload-level sans-IO state machine:
// the channel table, channel opens, flow-control windows, half-close, channel requests and
// global requests. It takes received payloads (message numbers 80..127) and commands, and yields
// payloads to send and events. It is only fed after user authentication succeeded.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ssh/connection/channel.hpp"
#include "ssh/connection/events.hpp"
#include "ssh/wire/bytes.hpp"

namespace ssh::wire {
class Reader;
}

namespace ssh::connection {

struct ConnectionConfig {
  std::uint32_t window = 8 * 1024 * 1024;  // our receive window per channel
  std::uint32_t max_packet = 32 * 1024;    // largest CHANNEL_DATA we accept
  std::uint32_t max_channels = 65536;
};

// Receives CHANNEL_DATA payloads as a header and the data piece it carries, so the data can be
// sealed straight into the transmit buffer. Returns false when it cannot take the payload.
class PayloadSink {
 public:
  virtual bool payload(ByteView head, ByteView body) = 0;

 protected:
  ~PayloadSink() = default;
};

struct HandleResult {
  bool ok = true;
  std::string error;           // set when !ok: a protocol violation, to be sent as DISCONNECT
  bool unimplemented = false;  // message number we do not know: answer SSH_MSG_UNIMPLEMENTED
};

class Connection {
 public:
  explicit Connection(ConnectionConfig config);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  HandleResult handle(ByteView payload);
  // The same, for a payload the caller gives up: channel data then reaches the Data event in the
  // payload's own buffer instead of a copy.
  HandleResult handle(Bytes&& payload);

  // ---- channels. open() sends CHANNEL_OPEN for any type with its type-specific data (built with
  // channel_types.hpp) and returns our id, or nullopt at the channel limit. `window` 0 offers the
  // configured receive window. Opened or OpenFailed follows.
  std::optional<ChannelId> open(std::string_view type, ByteView type_data, std::uint32_t window = 0);
  std::size_t send_capacity(ChannelId id) const;
  // Takes at most min(send_capacity, limit) bytes; when that is less than offered, Writable
  // follows the next WINDOW_ADJUST.
  std::size_t send(ChannelId id, ByteView data, std::uint32_t extended_type, std::size_t limit = SIZE_MAX);
  // The same, handing each packet to `sink` at once instead of queuing it. Only when nothing is
  // queued (has_output() false), so messages keep their order.
  std::size_t send(ChannelId id, ByteView data, std::uint32_t extended_type, std::size_t limit, PayloadSink& sink);
  void consume(ChannelId id, std::size_t n);
  // The receive window offered to channels opened or accepted from now on.
  void set_window(std::uint32_t window);
  std::uint32_t window() const { return config_.window; }
  // Widens an open channel's receive window to `window` (one WINDOW_ADJUST for the difference);
  // false when it is not open or already that wide.
  bool enlarge_window(ChannelId id, std::uint32_t window);
  void send_eof(ChannelId id);
  void close(ChannelId id);

  // ---- channel requests (RFC 4254 §5.4), any name with its type-specific data (built with
  // session_requests.hpp). Returns the request's number, matched by RequestResult when want_reply
  // (0 when no reply was asked for), or nullopt when the channel cannot take requests.
  std::optional<std::uint32_t> request(ChannelId id, std::string_view name, ByteView data, bool want_reply);
  // Answers the oldest unanswered want-reply Request of the channel; false when none is owed (or
  // the channel is gone).
  bool reply_request(ChannelId id, bool success);

  // ---- channels the server opens (RFC 4254 §5.1), reported as cevent::OpenRequest with a reserved
  // id. accept() confirms with our window and max packet: the channel is then like one we opened
  // (no Opened event follows, the caller knows). reject() sends OPEN_FAILURE and frees the id. Both ignore ids that are
  // not awaiting an answer, and return whether they acted. close() on an unanswered channel
  // rejects it (connect failed); send_eof() on one takes effect when it is accepted.
  bool accept(ChannelId id);
  bool reject(ChannelId id, std::uint32_t reason, std::string_view description);

  // ---- relayed channels: another client's channels carried on this connection (OpenSSH's mux
  // proxy). open_relayed() sends CHANNEL_OPEN with the other client's window and max packet and
  // returns our id for it; every later server message for it comes out whole as a Relayed event
  // (Closed after the one that ends it), and send_relayed() passes the other client's channel
  // messages (WINDOW_ADJUST to FAILURE, 93..100) to the server with the recipient set to the
  // server's id. false when the message is not one of those or the channel is not relayed and open.
  std::optional<ChannelId> open_relayed(std::string_view type, std::uint32_t window, std::uint32_t max_packet,
                                        ByteView type_data);
  bool send_relayed(ChannelId id, Bytes payload);

  // ---- global requests (RFC 4254 §4). Tokens start at 1 and only want-reply requests are
  // answered (GlobalRequestResult), in the order sent.
  std::uint64_t global_request(std::string_view name, ByteView request_data, bool want_reply);
  // keepalive@openssh.com with want-reply; the reply is swallowed (any reply proves liveness).
  void send_keepalive();

  std::optional<Bytes> poll_send();
  std::optional<ConnectionEvent> poll_event();
  bool has_output() const { return !out_.empty(); }

  std::size_t open_channel_count() const { return live_; }
  // For tests and diagnostics: the table entry, or nullptr.
  const Channel* channel(ChannelId id) const;

 private:
  struct PendingGlobal {
    std::uint64_t token;
    bool internal;
  };

  Channel* find(ChannelId id);
  std::optional<ChannelId> allocate();
  void release(ChannelId id);
  void send_close(ChannelId id, Channel& ch);
  void maybe_finish(ChannelId id, Channel& ch);
  void push(Bytes payload) { out_.push_back(std::move(payload)); }

  // A server message for a relayed channel: passed on (true), else false (not one).
  bool handle_relayed(ByteView payload, Bytes* owned, HandleResult& result);
  void finish_relayed(ChannelId id);
  HandleResult handle_global_request(ByteView body);
  HandleResult handle_global_reply(bool success, ByteView body);
  HandleResult handle_channel_open(ByteView body);
  HandleResult handle_open_confirmation(ByteView body);
  HandleResult handle_open_failure(ByteView body);
  HandleResult handle_window_adjust(ByteView body);
  HandleResult handle_data(ByteView body, bool extended, Bytes* owned_payload);
  HandleResult handle_eof(ByteView body);
  HandleResult handle_close(ByteView body);
  HandleResult handle_channel_request(ByteView body);
  HandleResult handle_channel_reply(bool success, ByteView body);
  void refuse_open(std::uint32_t sender_channel, std::uint32_t reason, std::string_view description);
  // Reads the recipient channel and returns it when open; otherwise sets `error`.
  Channel* recipient(wire::Reader& r, ChannelId& id, std::string_view what, HandleResult& error);

  ConnectionConfig config_;
  std::vector<std::unique_ptr<Channel>> slots_;
  std::set<ChannelId> free_ids_;  // reused lowest first
  std::size_t live_ = 0;
  std::uint64_t next_token_ = 1;
  std::deque<PendingGlobal> pending_globals_;
  std::deque<Bytes> out_;
  std::deque<ConnectionEvent> events_;
};

}  // namespace ssh::connection
