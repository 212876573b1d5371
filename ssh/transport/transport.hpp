#pragma once
// The SSH transport layer (RFC 4253) as a sans-IO state machine: version exchange, binary packet
// protocol, algorithm negotiation, key exchange (initial and re-keying, started by either side),
// strict KEX, ext-info, and the generic messages (DISCONNECT, IGNORE, DEBUG, UNIMPLEMENTED, PING).
// Bytes and time come in as arguments; bytes to send, upper-layer payloads and events come out.
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ssh/transport/algorithms.hpp"
#include "ssh/wire/bytes.hpp"

namespace ssh::transport {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

struct RekeyPolicy {
  std::uint64_t max_bytes = std::uint64_t{1} << 30;  // per direction, since the last key exchange
  std::uint64_t max_packets = std::uint64_t{1} << 28;
  std::chrono::seconds max_time{3600};
};

struct TransportConfig {
  std::string client_version = "SSH-2.0-sshplex_0.1";
  AlgorithmPreferences algorithms = default_algorithms();
  RekeyPolicy rekey;
  // Largest packet_length accepted from the peer (RFC 4253 §6.1 requires at least 35000).
  std::uint32_t max_packet_length = 256 * 1024;
  // Upper-layer payload bytes held back while a key exchange runs; beyond this send_payload fails.
  std::size_t max_queued_bytes = 16 * 1024 * 1024;
  // diffie-hellman-group-exchange bounds in bits (RFC 4419 §3).
  std::uint32_t dh_gex_min = 2048, dh_gex_preferred = 3072, dh_gex_max = 8192;
  // Time allowed for the version exchange plus the first key exchange.
  std::chrono::milliseconds handshake_timeout{30000};
};

struct NegotiatedAlgorithms {
  std::string kex, host_key;
  std::string cipher_c2s, cipher_s2c;  // client-to-server, server-to-client
  std::string mac_c2s, mac_s2c;        // empty for AEAD ciphers
  std::string compression_c2s = "none", compression_s2c = "none";
  bool strict_kex = false;
};

// RFC 4253 §11.1 reason codes used locally.
enum DisconnectReason : std::uint32_t {
  kHostNotAllowedToConnect = 1,
  kProtocolError = 2,
  kKeyExchangeFailed = 3,
  kMacError = 5,
  kServiceNotAvailable = 7,
  kProtocolVersionNotSupported = 8,
  kHostKeyNotVerifiable = 9,
  kConnectionLost = 10,
  kByApplication = 11,
  kTooManyConnections = 12,
  kAuthCancelledByUser = 13,
  kNoMoreAuthMethodsAvailable = 14,
};

namespace tevent {
// The server's host key during the initial key exchange; the exchange pauses until
// host_key_verdict(). On re-keying the key must equal the first one and no event is raised.
struct HostKey {
  std::string algorithm;
  Bytes key_blob;
};
struct KexComplete {
  NegotiatedAlgorithms algorithms;
  bool initial;
};
struct ServerVersion {
  std::string version;                    // "SSH-2.0-OpenSSH_9.2p1 Debian-2"
  std::vector<std::string> banner_lines;  // lines before it (RFC 4253 §4.2)
};
struct Debug {  // SSH_MSG_DEBUG with always_display, for the log
  std::string message;
};
struct Disconnected {
  std::uint32_t reason;
  std::string description;
  bool by_peer;  // the server sent DISCONNECT (vs. we detected an error or were asked to close)
};
}  // namespace tevent

using TransportEvent =
    std::variant<tevent::HostKey, tevent::KexComplete, tevent::ServerVersion, tevent::Debug, tevent::Disconnected>;

// Payload compression (compression.hpp) as it stands: whether a stream runs in each direction,
// and payload bytes before and after compression over the connection's life (all streams).
struct CompressionStatus {
  bool out_active = false, in_active = false;
  std::uint64_t out_raw = 0, out_compressed = 0;
  std::uint64_t in_raw = 0, in_compressed = 0;
};

struct InboundPacket {
  std::uint32_t seq;  // sequence number, for SSH_MSG_UNIMPLEMENTED replies
  Bytes payload;      // message number first
};

class Transport {
 public:
  Transport(TransportConfig config, TimePoint now);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // ---- inputs
  void handle_bytes(ByteView data);
  void handle_timeout(TimePoint now);
  // The current time, without anything being due. Call it with every input: a re-key that bytes or
  // packets start takes its deadline (and the next time-based re-key counts) from this clock.
  void advance_time(TimePoint now);
  void host_key_verdict(bool accepted);
  // Queues an upper-layer payload (service, auth and connection messages). Held back while a key
  // exchange runs (bounded by max_queued_bytes). Returns false when closed or over the bound.
  bool send_payload(Bytes payload);
  // The same for a payload in two pieces (message header, then the data it carries): sealed
  // straight into the transmit buffer when it can go out now, copied into the queue otherwise.
  // Not for user authentication messages (those are wiped after sealing: use the Bytes form).
  bool send_payload(ByteView head, ByteView body);
  // SSH_MSG_UNIMPLEMENTED for a packet the upper layers do not understand (RFC 4253 §11.4).
  void send_unimplemented(std::uint32_t seq);
  // Sends DISCONNECT and closes; raises tevent::Disconnected{by_peer=false}.
  void disconnect(std::uint32_t reason, std::string_view description);
  // Starts a key exchange now (if none is running and the first one has completed).
  void request_rekey();

  // ---- outputs
  std::optional<TransportEvent> poll_event();
  // Upper-layer payloads, only after the first key exchange completed (message numbers >= 5 other
  // than the transport's own: 20-49 and 1-4, 7 ext-info, 192/193 ping/pong are handled here).
  std::optional<InboundPacket> poll_payload();
  bool has_transmit() const;
  // All bytes ready for the socket, in order.
  Bytes take_transmit();
  std::size_t pending_transmit_bytes() const;
  std::optional<TimePoint> next_deadline() const;

  // ---- state
  bool is_established() const;  // first key exchange complete, upper payloads flow
  bool is_closed() const;
  ByteView session_id() const;
  // The host key and its signature over the session id from the first key exchange (empty before
  // it): with the session id they bind an ssh-agent to this connection (PROTOCOL.agent §1).
  ByteView initial_host_key() const;
  ByteView initial_signature() const;
  const std::vector<std::string>& server_sig_algs() const;  // from ext-info (RFC 8308 §3.1)
  bool server_supports_ping() const;                        // ext-info "ping@openssh.com" (PROTOCOL §1.9)
  bool is_kex_in_progress() const;
  const std::string& server_version() const;
  const NegotiatedAlgorithms& algorithms() const;
  std::uint64_t bytes_sent() const;
  std::uint64_t bytes_received() const;
  CompressionStatus compression() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ssh::transport
