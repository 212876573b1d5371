#include "ssh/transport/transport.hpp"

#include <algorithm>

#include "ssh/crypto/packet_cipher.hpp"
#include "ssh/transport/compression.hpp"
#include "ssh/transport/kex_exchange.hpp"
#include "ssh/transport/kex_init.hpp"
#include "ssh/transport/kex_methods.hpp"
#include "ssh/transport/key_derivation.hpp"
#include "ssh/transport/message_numbers.hpp"
#include "ssh/transport/packet_reader.hpp"
#include "ssh/transport/packet_writer.hpp"
#include "ssh/transport/version_exchange.hpp"
#include "ssh/wire/buffer_pool.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::transport {
namespace {

// Room for a socket-sized batch of packets (eight full 32 KiB channel packets and their framing).
constexpr std::size_t kTransmitBuffer = 512 * 1024;
// A first guess for an inflated payload: a full channel packet (32 KiB of data) and its header.
constexpr std::size_t kInflateBuffer = 33 * 1024;

std::vector<std::string> split_name_list(std::string_view v) {
  std::vector<std::string> out;
  std::size_t begin = 0;
  while (begin < v.size()) {
    std::size_t comma = v.find(',', begin);
    if (comma == std::string_view::npos) comma = v.size();
    if (comma > begin) out.emplace_back(v.substr(begin, comma - begin));
    begin = comma + 1;
  }
  return out;
}

}  // namespace

struct Transport::Impl {
  // State of one key exchange, from our KEXINIT to both NEWKEYS (RFC 4253 §7).
  struct Kex {
    bool active = false;
    bool initial = false;
    KexInit ours;
    Bytes i_c, i_s;
    bool kexinit_received = false;
    NegotiatedAlgorithms negotiated;
    std::optional<KexMethod> method;
    std::unique_ptr<KexExchange> exchange;
    bool ignore_next_packet = false;  // the server's wrong guess (RFC 4253 §7)
    bool exchange_done = false;
    bool awaiting_verdict = false;
    bool newkeys_sent = false;
    bool newkeys_received = false;
    SessionKeys keys;
    TimePoint deadline{};  // re-keys only; the first exchange runs under handshake_deadline
  };

  Impl(TransportConfig c, TimePoint t)
      : config(std::move(c)),
        now(t),
        handshake_deadline(t + config.handshake_timeout),
        last_kex_time(t),
        reader(config.max_packet_length) {}

  TransportConfig config;
  TimePoint now;
  TimePoint handshake_deadline;
  TimePoint last_kex_time;

  VersionExchange version;
  bool version_done = false;
  std::string server_version;
  PacketReader reader;
  PacketWriter writer;

  Bytes transmit;
  std::deque<TransportEvent> events;
  std::deque<InboundPacket> payloads;
  std::deque<Bytes> queued;
  std::size_t queued_bytes = 0;

  bool closed = false;
  bool established = false;
  bool strict = false;
  Bytes session_id;
  Bytes first_host_key;
  Bytes first_signature;  // the server's signature over the session id (session-bind@openssh.com)
  std::vector<std::string> server_sig_algs;
  bool server_ping = false;
  NegotiatedAlgorithms algorithms;
  Kex kex;

  std::uint64_t bytes_sent = 0, bytes_received = 0;
  std::uint64_t bytes_out_since_kex = 0, bytes_in_since_kex = 0;
  std::uint64_t packets_out_since_kex = 0, packets_in_since_kex = 0;

  // Compression (RFC 4253 §6.2): the method in effect in each direction since that direction's
  // NEWKEYS, and its stream while one runs. As OpenSSH, every NEWKEYS starts a fresh stream (or
  // none): `zlib` at once, zlib@openssh.com once USERAUTH_SUCCESS has been received.
  std::string compression_out = kCompressionNone, compression_in = kCompressionNone;
  std::unique_ptr<Compressor> deflater;
  std::unique_ptr<Decompressor> inflater;
  bool after_auth = false;
  Bytes deflated;  // one compressed payload on its way into the transmit buffer
  CompressionStatus compression_stats;

  // ---- output
  void send_packet(ByteView payload) { send_packet(payload, {}); }
  void send_packet(ByteView head, ByteView body) {
    // A recycled buffer large enough for a batch of full packets: no growth copies, no fresh pages.
    if (transmit.capacity() == 0) transmit = wire::acquire_buffer(kTransmitBuffer);
    const std::size_t before = transmit.size();
    if (deflater) {
      if (!write_compressed(head, body)) return;
    } else {
      writer.write(head, body, transmit);
    }
    const std::size_t n = transmit.size() - before;
    bytes_sent += n;
    bytes_out_since_kex += n;
    ++packets_out_since_kex;
  }

  // With compression on, the payload is deflated aside and the packet sealed from there.
  bool write_compressed(ByteView head, ByteView body) {
    deflated.clear();
    if (!deflater->compress(head, body, deflated)) {
      deflater.reset();
      // The peer expects compressed packets: nothing more can be said to it.
      lose(kProtocolError, "compression failed");
      return false;
    }
    compression_stats.out_raw += head.size() + body.size();
    compression_stats.out_compressed += deflated.size();
    writer.write(deflated, transmit);
    return true;
  }

  // Upper-layer payloads (and PONG) may not be sent between our KEXINIT and our NEWKEYS
  // (RFC 4253 §7.1), nor before the first key exchange.
  bool can_send_upper() const { return !closed && (kex.active ? kex.newkeys_sent : established); }

  void flush_queue() {
    while (!queued.empty() && can_send_upper()) {
      Bytes p = std::move(queued.front());
      queued.pop_front();
      queued_bytes -= p.size();
      send_upper(p);
    }
  }

  // User authentication payloads (RFC 4252 messages 50-79) can hold a password or
  // keyboard-interactive answers: wipe the plaintext once it has been sealed.
  void send_upper(Bytes& payload) {
    send_packet(payload);
    if (!payload.empty() && payload[0] >= 50 && payload[0] <= 79) {
      wipe(payload.data(), payload.size());
      if (!deflated.empty()) wipe(deflated.data(), deflated.size());
    }
  }

  void fail(std::uint32_t reason, std::string description) {
    if (closed) return;
    // Best effort: tell the server why, under whatever keys are current (RFC 4253 §11.1). Our
    // identification line always went out first, so a packet may follow it.
    send_packet(wire::Writer(msg::kDisconnect).u32(reason).string(std::string_view(description)).string("").take());
    lose(reason, std::move(description));
  }

  // Closes without a word to the server.
  void lose(std::uint32_t reason, std::string description) {
    if (closed) return;
    closed = true;
    kex = Kex{};
    queued.clear();
    queued_bytes = 0;
    events.emplace_back(tevent::Disconnected{reason, std::move(description), false});
  }

  // ---- key exchange
  void begin_kex(bool initial) {
    kex = Kex{};
    kex.active = true;
    kex.initial = initial;
    kex.deadline = now + config.handshake_timeout;
    kex.ours = make_client_kexinit(config.algorithms, initial);
    kex.i_c = encode_kexinit(kex.ours);
    send_packet(kex.i_c);
  }

  void maybe_rekey() {
    if (closed || !established || kex.active) return;
    const auto& p = config.rekey;
    if (bytes_out_since_kex >= p.max_bytes || bytes_in_since_kex >= p.max_bytes ||
        packets_out_since_kex >= p.max_packets || packets_in_since_kex >= p.max_packets ||
        now >= last_kex_time + p.max_time) {
      begin_kex(false);
    }
  }

  void handle_kexinit(std::uint32_t seq, ByteView payload) {
    if (kex.active && kex.kexinit_received) return fail(kProtocolError, "second KEXINIT during key exchange");
    auto theirs = parse_kexinit(payload);
    if (!theirs) return fail(kProtocolError, "malformed KEXINIT");
    if (!kex.active) {
      if (!established) return fail(kProtocolError, "unexpected KEXINIT");
      begin_kex(false);  // the server started a re-key (RFC 4253 §9)
    }
    kex.kexinit_received = true;
    kex.i_s.assign(payload.begin(), payload.end());
    auto result = negotiate_kexinit(kex.ours, *theirs, kex.initial);
    if (!result.algorithms) return fail(kKeyExchangeFailed, "algorithm negotiation failed: " + result.error);
    if (kex.initial && result.algorithms->strict_kex) {
      strict = true;
      // Strict KEX: the server's KEXINIT must be its very first packet (PROTOCOL §1.10).
      if (seq != 0) return fail(kProtocolError, "strict KEX violation: KEXINIT was not the first packet");
    }
    kex.negotiated = *result.algorithms;
    kex.negotiated.strict_kex = strict;
    kex.ignore_next_packet = result.ignore_guessed_packet;
    kex.method = find_kex_method(kex.negotiated.kex);
    if (!kex.method) return fail(kKeyExchangeFailed, "unsupported key exchange method " + kex.negotiated.kex);
    KexInputs in;
    in.method = *kex.method;
    in.host_key_algorithm = kex.negotiated.host_key;
    in.v_c = config.client_version;
    in.v_s = server_version;
    in.i_c = kex.i_c;
    in.i_s = kex.i_s;
    in.gex_min = config.dh_gex_min;
    in.gex_n = config.dh_gex_preferred;
    in.gex_max = config.dh_gex_max;
    kex.exchange = std::make_unique<KexExchange>(std::move(in));
    apply_step(kex.exchange->start());
  }

  void apply_step(KexExchange::Step step) {
    switch (step.status) {
      case KexExchange::Status::need_more:
        return;
      case KexExchange::Status::send:
        send_packet(step.send);
        return;
      case KexExchange::Status::failed:
        return fail(kKeyExchangeFailed, "key exchange failed: " + step.error);
      case KexExchange::Status::done:
        return exchange_done();
    }
  }

  void exchange_done() {
    const KexOutcome& out = kex.exchange->outcome();
    kex.exchange_done = true;
    // The session identifier is H of the first exchange and never changes (RFC 4253 §7.2).
    if (session_id.empty()) session_id.assign(out.exchange_hash.begin(), out.exchange_hash.end());
    if (!derive_session_keys(kex.method->hash, out.shared_secret, out.exchange_hash, session_id,
                             kex.negotiated.cipher_c2s, kex.negotiated.mac_c2s, kex.negotiated.cipher_s2c,
                             kex.negotiated.mac_s2c, kex.keys)) {
      return fail(kKeyExchangeFailed, "cannot derive keys for the negotiated algorithms");
    }
    if (!kex.initial) {
      if (out.host_key_blob != first_host_key) {
        return fail(kHostKeyNotVerifiable, "server host key changed during re-key");
      }
      return send_newkeys();
    }
    first_host_key = out.host_key_blob;
    first_signature = out.signature;
    kex.awaiting_verdict = true;
    events.emplace_back(tevent::HostKey{kex.negotiated.host_key, out.host_key_blob});
  }

  void send_newkeys() {
    const auto& k = kex.keys.c2s;
    auto cipher =
        crypto::make_packet_cipher(kex.negotiated.cipher_c2s, kex.negotiated.mac_c2s, true, k.key, k.iv, k.mac_key);
    if (!cipher) return fail(kKeyExchangeFailed, "cannot set up " + kex.negotiated.cipher_c2s);
    send_packet(wire::Writer(msg::kNewKeys).take());
    // New outgoing keys take effect right after our NEWKEYS (RFC 4253 §7.3).
    writer.set_cipher(std::move(cipher));
    if (strict) writer.reset_sequence();
    compression_out = kex.negotiated.compression_c2s;
    if (!start_compression(true)) return;
    kex.newkeys_sent = true;
    kex.keys.c2s = DirectionKeys{};
    flush_queue();
    if (kex.newkeys_received) complete_kex();
  }

  void handle_newkeys() {
    if (!kex.active || !kex.exchange_done || kex.newkeys_received) {
      return fail(kProtocolError, "unexpected NEWKEYS");
    }
    const auto& k = kex.keys.s2c;
    auto cipher =
        crypto::make_packet_cipher(kex.negotiated.cipher_s2c, kex.negotiated.mac_s2c, false, k.key, k.iv, k.mac_key);
    if (!cipher) return fail(kKeyExchangeFailed, "cannot set up " + kex.negotiated.cipher_s2c);
    reader.set_cipher(std::move(cipher));
    if (strict) reader.reset_sequence();
    compression_in = kex.negotiated.compression_s2c;
    if (!start_compression(false)) return;
    kex.newkeys_received = true;
    kex.keys.s2c = DirectionKeys{};
    if (kex.newkeys_sent) complete_kex();
  }

  // (Re)starts one direction's stream after its NEWKEYS: a fresh stream or none, as OpenSSH's
  // ssh_set_newkeys() does on every key change. False (and closed) when zlib cannot start.
  bool start_compression(bool out) {
    const std::string& method = out ? compression_out : compression_in;
    const CompressionStart when = compression_start(method);
    const bool start = when == CompressionStart::after_newkeys || (when == CompressionStart::after_auth && after_auth);
    bool ok = true;
    if (out) {
      deflater.reset();
      if (start) {
        deflater = std::make_unique<Compressor>(kCompressionLevel);
        ok = deflater->ok();
      }
    } else {
      inflater.reset();
      if (start) {
        inflater = std::make_unique<Decompressor>(config.max_packet_length);
        ok = inflater->ok();
      }
    }
    if (!ok) {
      deflater.reset();
      inflater.reset();
      lose(kProtocolError, "cannot start " + method + " compression");
    }
    return ok;
  }

  // SSH_MSG_USERAUTH_SUCCESS arrived: delayed compression starts in both directions, from our next
  // packet and from the server's next one (PROTOCOL §2.2; OpenSSH enables it as it reads this).
  void on_auth_success() {
    if (after_auth) return;
    after_auth = true;
    if (compression_start(compression_out) == CompressionStart::after_auth && !start_compression(true)) return;
    if (compression_start(compression_in) == CompressionStart::after_auth) start_compression(false);
  }

  // Inflates a received payload into a fresh pooled buffer; the compressed one goes back.
  bool inflate_payload(Bytes& payload) {
    Bytes plain = wire::acquire_buffer(kInflateBuffer);
    const auto status = inflater->decompress(payload, plain);
    const std::size_t compressed = payload.size();
    wire::release_buffer(std::move(payload));
    if (status != Decompressor::Status::ok) {
      wire::release_buffer(std::move(plain));
      fail(kProtocolError, status == Decompressor::Status::too_large
                               ? "bad packet from server: decompressed payload exceeds " +
                                     std::to_string(config.max_packet_length) + " bytes"
                               : "bad packet from server: corrupt compressed data");
      return false;
    }
    compression_stats.in_raw += plain.size();
    compression_stats.in_compressed += compressed;
    payload = std::move(plain);
    return true;
  }

  void complete_kex() {
    algorithms = kex.negotiated;
    const bool initial = kex.initial;
    kex = Kex{};
    established = true;
    bytes_out_since_kex = bytes_in_since_kex = 0;
    packets_out_since_kex = packets_in_since_kex = 0;
    last_kex_time = now;
    events.emplace_back(tevent::KexComplete{algorithms, initial});
    flush_queue();
  }

  // ---- input
  void handle_ext_info(ByteView payload) {
    // RFC 8308 §2.3; unknown extensions are ignored (§2.5).
    wire::Reader r(payload.subspan(1));
    std::uint32_t count = 0;
    if (!r.u32(count)) return fail(kProtocolError, "malformed EXT_INFO");
    for (std::uint32_t i = 0; i < count; ++i) {
      std::string_view name, value;
      if (!r.string(name) || !r.string(value)) return fail(kProtocolError, "malformed EXT_INFO");
      if (name == "server-sig-algs") server_sig_algs = split_name_list(value);
      if (name == "ping@openssh.com") server_ping = true;
    }
  }

  void handle_packet(std::uint32_t seq, Bytes payload) {
    if (payload.empty()) return fail(kProtocolError, "empty packet payload");
    const std::uint8_t type = payload[0];
    if (kex.active && kex.ignore_next_packet) {
      kex.ignore_next_packet = false;
      return;
    }
    // Strict KEX: during the initial exchange only KEX messages are legal, and the sequence
    // number must not wrap (PROTOCOL §1.10).
    if (strict && kex.active && kex.initial) {
      if (!msg::is_kex_message(type) && type != msg::kDisconnect) {
        return fail(kProtocolError, "strict KEX violation: unexpected message " + std::to_string(type));
      }
      if (seq == 0xffffffffu) return fail(kProtocolError, "strict KEX violation: sequence number wrapped");
    }
    switch (type) {
      case msg::kDisconnect: {
        wire::Reader r(ByteView(payload).subspan(1));
        std::uint32_t reason = 0;
        std::string description;
        if (!r.u32(reason) || !r.string(description)) description = "(malformed DISCONNECT)";
        closed = true;
        kex = Kex{};
        events.emplace_back(tevent::Disconnected{reason, std::move(description), true});
        return;
      }
      case msg::kIgnore:
      case msg::kUnimplemented:
      case msg::kPong:
        return;
      case msg::kDebug: {
        wire::Reader r(ByteView(payload).subspan(1));
        bool always_display = false;
        std::string message;
        if (r.boolean(always_display) && r.string(message) && always_display) {
          events.emplace_back(tevent::Debug{std::move(message)});
        }
        return;
      }
      case msg::kKexInit:
        return handle_kexinit(seq, payload);
      case msg::kNewKeys:
        return handle_newkeys();
      case msg::kExtInfo:
        // Only after the first NEWKEYS (RFC 8308 §2.4).
        if (!established && !kex.newkeys_received) return fail(kProtocolError, "EXT_INFO before NEWKEYS");
        return handle_ext_info(payload);
      case msg::kPing:
        // PROTOCOL §1.9: answered only once the first key exchange is done.
        if (established) {
          wire::Reader r(ByteView(payload).subspan(1));
          ByteView data;
          if (!r.string(data)) return fail(kProtocolError, "malformed PING");
          enqueue_upper(wire::Writer(msg::kPong).string(data).take());
        }
        return;
      default:
        break;
    }
    if (type >= msg::kKexFirst && type <= msg::kKexLast) {
      if (!kex.active || !kex.exchange || kex.exchange_done) {
        return fail(kProtocolError, "unexpected key exchange message " + std::to_string(type));
      }
      return apply_step(kex.exchange->handle(payload));
    }
    const bool upper = type == msg::kServiceRequest || type == msg::kServiceAccept || type >= msg::kUserauthFirst;
    if (!upper) {
      // Unknown transport-range message (RFC 4253 §11.4).
      send_packet(wire::Writer(msg::kUnimplemented).u32(seq).take());
      return;
    }
    if (!established) {
      return fail(kProtocolError, "message " + std::to_string(type) + " before the key exchange completed");
    }
    if (type == msg::kUserauthSuccess) on_auth_success();
    payloads.push_back(InboundPacket{seq, std::move(payload)});
  }

  void enqueue_upper(Bytes payload) {
    if (can_send_upper() && queued.empty()) return send_upper(payload);
    queued_bytes += payload.size();
    queued.push_back(std::move(payload));
  }

  void process_packets() {
    while (!closed && !kex.awaiting_verdict) {
      auto r = reader.next();
      if (r.status == PacketReader::Status::need_more) break;
      if (r.status == PacketReader::Status::error) {
        fail(r.mac_error ? kMacError : kProtocolError, "bad packet from server: " + r.error);
        break;
      }
      bytes_in_since_kex += r.wire_size;
      ++packets_in_since_kex;
      if (inflater && !inflate_payload(r.payload)) break;
      handle_packet(r.seq, std::move(r.payload));
    }
    maybe_rekey();
  }

  void handle_bytes(ByteView data) {
    if (closed) return;
    bytes_received += data.size();
    if (!version_done) {
      std::size_t consumed = 0;
      const auto status = version.feed(data, consumed);
      if (status == VersionExchange::Status::failed) {
        return fail(version.version_unsupported() ? kProtocolVersionNotSupported : kProtocolError, version.error());
      }
      if (status == VersionExchange::Status::need_more) return;
      version_done = true;
      server_version = version.version();
      events.emplace_back(tevent::ServerVersion{server_version, version.banner_lines()});
      begin_kex(true);
      data = data.subspan(consumed);
    }
    reader.feed(data);
    process_packets();
    // `data` is the caller's read buffer and goes away on return; decoding may have stopped early
    // (a pending host key verdict, or the connection failed), so the reader keeps what is left.
    reader.save_input();
    // While the host key verdict is pending nothing is decoded; bound what the server can make
    // us hold meanwhile.
    if (!closed && kex.awaiting_verdict && reader.buffered() > 4 * std::size_t{config.max_packet_length}) {
      fail(kProtocolError, "too much data while waiting for host key verification");
    }
  }
};

Transport::Transport(TransportConfig config, TimePoint now) : impl_(std::make_unique<Impl>(std::move(config), now)) {
  // RFC 4253 §4.2: the client may send its identification first, without waiting.
  const std::string line = identification_line(impl_->config.client_version);
  impl_->transmit.insert(impl_->transmit.end(), line.begin(), line.end());
  impl_->bytes_sent += line.size();
}

Transport::~Transport() = default;

void Transport::handle_bytes(ByteView data) {
  impl_->handle_bytes(data);
}

void Transport::handle_timeout(TimePoint now) {
  auto& d = *impl_;
  if (now > d.now) d.now = now;
  if (d.closed) return;
  if (!d.established && d.now >= d.handshake_deadline) {
    return d.fail(kConnectionLost, "timed out waiting for the key exchange to complete");
  }
  // A server that stalls a re-key would otherwise hold our queued payloads forever.
  if (d.kex.active && d.established && d.now >= d.kex.deadline) {
    return d.fail(kConnectionLost, "timed out waiting for the re-key to complete");
  }
  d.maybe_rekey();
}

void Transport::advance_time(TimePoint now) {
  if (now > impl_->now) impl_->now = now;
}

void Transport::host_key_verdict(bool accepted) {
  auto& d = *impl_;
  if (d.closed || !d.kex.awaiting_verdict) return;
  d.kex.awaiting_verdict = false;
  if (!accepted) return d.fail(kHostKeyNotVerifiable, "server host key was not accepted");
  d.send_newkeys();
  d.process_packets();  // packets that arrived while we waited
}

bool Transport::send_payload(Bytes payload) {
  auto& d = *impl_;
  if (d.closed || payload.empty()) return false;
  // The transport's own key exchange messages cannot come from above.
  if (msg::is_kex_message(payload[0])) return false;
  if (!d.can_send_upper() || !d.queued.empty()) {
    if (d.queued_bytes + payload.size() > d.config.max_queued_bytes) return false;
  }
  d.enqueue_upper(std::move(payload));
  d.maybe_rekey();
  return true;
}

bool Transport::send_payload(ByteView head, ByteView body) {
  auto& d = *impl_;
  if (d.closed || head.empty() || msg::is_kex_message(head[0])) return false;
  if (!d.can_send_upper() || !d.queued.empty()) {
    // Held back (key exchange): joined and queued like any other payload.
    Bytes joined(head.begin(), head.end());
    joined.insert(joined.end(), body.begin(), body.end());
    return send_payload(std::move(joined));
  }
  d.send_packet(head, body);
  d.maybe_rekey();
  return true;
}

void Transport::send_unimplemented(std::uint32_t seq) {
  auto& d = *impl_;
  if (d.closed) return;
  d.send_packet(wire::Writer(msg::kUnimplemented).u32(seq).take());
}

void Transport::disconnect(std::uint32_t reason, std::string_view description) {
  impl_->fail(reason, std::string(description));
}

void Transport::request_rekey() {
  auto& d = *impl_;
  if (d.closed || !d.established || d.kex.active) return;
  d.begin_kex(false);
}

std::optional<TransportEvent> Transport::poll_event() {
  auto& e = impl_->events;
  if (e.empty()) return std::nullopt;
  TransportEvent ev = std::move(e.front());
  e.pop_front();
  return ev;
}

std::optional<InboundPacket> Transport::poll_payload() {
  auto& p = impl_->payloads;
  if (p.empty()) return std::nullopt;
  InboundPacket pkt = std::move(p.front());
  p.pop_front();
  return pkt;
}

bool Transport::has_transmit() const {
  return !impl_->transmit.empty();
}

Bytes Transport::take_transmit() {
  Bytes out;
  out.swap(impl_->transmit);
  return out;
}

std::size_t Transport::pending_transmit_bytes() const {
  return impl_->transmit.size();
}

std::optional<TimePoint> Transport::next_deadline() const {
  const auto& d = *impl_;
  if (d.closed) return std::nullopt;
  if (!d.established) return d.handshake_deadline;
  if (d.kex.active) return d.kex.deadline;
  return d.last_kex_time + d.config.rekey.max_time;
}

bool Transport::is_established() const {
  return impl_->established && !impl_->closed;
}
bool Transport::is_closed() const {
  return impl_->closed;
}
ByteView Transport::initial_host_key() const {
  return impl_->first_host_key;
}

ByteView Transport::initial_signature() const {
  return impl_->first_signature;
}

ByteView Transport::session_id() const {
  return impl_->session_id;
}
const std::vector<std::string>& Transport::server_sig_algs() const {
  return impl_->server_sig_algs;
}
bool Transport::server_supports_ping() const {
  return impl_->server_ping;
}
bool Transport::is_kex_in_progress() const {
  return impl_->kex.active;
}
const std::string& Transport::server_version() const {
  return impl_->server_version;
}
const NegotiatedAlgorithms& Transport::algorithms() const {
  return impl_->algorithms;
}
std::uint64_t Transport::bytes_sent() const {
  return impl_->bytes_sent;
}
std::uint64_t Transport::bytes_received() const {
  return impl_->bytes_received;
}
CompressionStatus Transport::compression() const {
  CompressionStatus s = impl_->compression_stats;
  s.out_active = impl_->deflater != nullptr;
  s.in_active = impl_->inflater != nullptr;
  return s;
}

}  // namespace ssh::transport
