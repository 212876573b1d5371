#include "ssh/client/client.hpp"

#include <algorithm>
#include <deque>
#include <set>
#include <unordered_map>
#include <utility>

#include "ssh/auth/message_numbers.hpp"
#include "ssh/auth/user_auth.hpp"
#include "ssh/connection/connection.hpp"
#include "ssh/connection/keepalive.hpp"
#include "ssh/connection/message_numbers.hpp"
#include "ssh/connection/remote_forward.hpp"
#include "ssh/crypto/host_key.hpp"

namespace ssh {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

Event from_transport(transport::TransportEvent e) {
  return std::visit(Overloaded{
                        [](transport::tevent::HostKey& k) -> Event {
                          std::string fp = crypto::sha256_fingerprint(k.key_blob);
                          return event::HostKey{std::move(k.algorithm), std::move(k.key_blob), std::move(fp)};
                        },
                        [](auto& other) -> Event { return std::move(other); },
                    },
                    e);
}

Event from_auth(auth::AuthEvent e) {
  return std::visit(Overloaded{
                        [](auth::aevent::Banner& b) -> Event { return event::AuthBanner{std::move(b.message)}; },
                        [](auth::aevent::Methods& m) -> Event {
                          return event::AuthMethods{std::move(m.methods), m.partial_success};
                        },
                        [](auth::aevent::PublicKeyOk& k) -> Event {
                          return event::AuthPublicKeyOk{std::move(k.algorithm), std::move(k.key_blob)};
                        },
                        [](auth::aevent::Prompts& p) -> Event {
                          event::AuthPrompts out{std::move(p.name), std::move(p.instruction), {}};
                          for (auto& q : p.prompts) out.prompts.push_back(KbdIntPrompt{std::move(q.text), q.echo});
                          return out;
                        },
                        [](auth::aevent::Success& s) -> Event { return event::Authenticated{std::move(s.method)}; },
                    },
                    e);
}

// The connection layer's events are the client's own (client.hpp aliases them): moved, not rebuilt.
Event from_connection(connection::ConnectionEvent e) {
  return std::visit([](auto& event) -> Event { return std::move(event); }, e);
}

}  // namespace

struct Client::Impl {
  Impl(ClientConfig c, TimePoint t)
      : config(std::move(c)),
        transport(config.transport, t),
        auth(config.user),
        conn(connection::ConnectionConfig{config.channel_window, config.channel_max_packet, config.max_channels}),
        keepalive(config.server_alive_interval, config.server_alive_count_max),
        now(t) {}

  ClientConfig config;
  transport::Transport transport;
  auth::UserAuth auth;
  connection::Connection conn;
  connection::Keepalive keepalive;
  std::deque<Event> events;
  TimePoint now;
  bool closed = false;
  bool auth_started = false;
  // Channels whose last send() was cut short by the output budget rather than the peer window:
  // they get ChannelWritable once the transmit buffer has been taken.
  std::set<ChannelId> budget_limited;

  // Bytes the application may still add to the transmit buffer. Keeps channel data from piling
  // up in memory when the socket is slower than the channels; half the transport's queue bound
  // leaves room for what a key exchange holds back.
  std::size_t output_budget() const {
    const std::size_t cap = config.transport.max_queued_bytes / 2;
    const std::size_t pending = transport.pending_transmit_bytes();
    return pending >= cap ? 0 : cap - pending;
  }

  bool dead() const { return closed || transport.is_closed(); }
  bool ready_for_channels() const { return !dead() && auth.authenticated(); }

  void drain_transport_events() {
    while (auto e = transport.poll_event()) {
      if (std::holds_alternative<transport::tevent::Disconnected>(*e)) {
        if (closed) continue;  // one Disconnected only
        closed = true;
        keepalive.stop();
      }
      events.push_back(from_transport(std::move(*e)));
    }
  }

  void drain_layer_events() {
    while (auto e = auth.poll_event()) {
      if (std::holds_alternative<auth::aevent::Success>(*e)) keepalive.start(now);
      events.push_back(from_auth(std::move(*e)));
    }
    while (auto e = conn.poll_event()) {
      if (const auto* opened = std::get_if<connection::cevent::Opened>(&*e)) on_channel_opened(opened->id);
      if (const auto* failed = std::get_if<connection::cevent::OpenFailed>(&*e)) opening_since.erase(failed->id);
      events.push_back(from_connection(std::move(*e)));
    }
  }

  // Channel opens we sent, by when: their answers measure the round trip.
  std::unordered_map<ChannelId, TimePoint> opening_since;
  std::optional<std::chrono::nanoseconds> min_round_trip;

  void note_open(std::optional<ChannelId> id) {
    if (id) opening_since[*id] = now;
  }

  // The window that keeps window_target_rate flowing over the shortest round trip seen (the open
  // also includes the server's own connect, so this errs towards a wider window, within the cap).
  void on_channel_opened(ChannelId id) {
    const auto it = opening_since.find(id);
    if (it == opening_since.end()) return;
    const auto sample = now - it->second;
    opening_since.erase(it);
    if (!min_round_trip || sample < *min_round_trip) min_round_trip = sample;
    const double seconds = std::chrono::duration<double>(*min_round_trip).count();
    const double wanted = seconds * static_cast<double>(config.window_target_rate);
    const auto window = static_cast<std::uint32_t>(
        std::clamp(wanted, static_cast<double>(config.channel_window), static_cast<double>(config.max_channel_window)));
    if (window > conn.window()) conn.set_window(window);
    conn.enlarge_window(id, conn.window());
  }

  void protocol_error(const std::string& why) {
    transport.disconnect(transport::kProtocolError, why);
    drain_transport_events();
  }

  // Hands the layers' payloads to the transport, in the order they were produced.
  void flush() {
    if (dead()) return;
    while (auto p = auth.poll_send()) {
      // The transport takes plain Bytes; the SecretBytes original is wiped when `p` goes.
      if (!transport.send_payload(Bytes(p->begin(), p->end()))) return overflow();
    }
    while (auto p = conn.poll_send()) {
      if (!transport.send_payload(std::move(*p))) return overflow();
    }
  }

  void overflow() {
    if (!transport.is_closed()) transport.disconnect(transport::kByApplication, "output queue limit exceeded");
    drain_transport_events();
  }

  void dispatch(transport::InboundPacket& packet) {
    const ByteView payload = packet.payload;
    if (payload.empty()) return protocol_error("empty message");
    const std::uint8_t type = payload[0];
    // Legality per phase (RFC 4252 §6, RFC 4254 §1): auth messages only until success,
    // connection messages only after it.
    if (type == auth::msg::kServiceAccept ||
        (type >= auth::msg::kFirstAuthMessage && type <= auth::msg::kLastAuthMessage)) {
      if (auth.authenticated()) return protocol_error("authentication message after authentication");
      if (!auth_started) return protocol_error("unexpected SERVICE_ACCEPT");
      const auto r = auth.handle(payload);
      if (!r.ok) return protocol_error(r.error);
      return;
    }
    if (type >= connection::msg::kFirstConnectionMessage && type <= connection::msg::kLastConnectionMessage) {
      if (!auth.authenticated()) return protocol_error("connection protocol message before authentication");
      // The payload is given up: channel data keeps its buffer all the way to the application.
      const auto r = conn.handle(std::move(packet.payload));
      if (!r.ok) return protocol_error(r.error);
      if (r.unimplemented) transport.send_unimplemented(packet.seq);
      return;
    }
    transport.send_unimplemented(packet.seq);
  }

  void pump() {
    drain_transport_events();
    if (dead()) return;
    if (!auth_started && transport.is_established()) {
      auth_started = true;
      auth.start();
    }
    while (!dead()) {
      auto packet = transport.poll_payload();
      if (!packet) break;
      keepalive.on_traffic(now);
      dispatch(*packet);
      drain_layer_events();
      flush();
      drain_transport_events();
    }
    flush();
    drain_transport_events();
  }

  // After a command: send what it produced and surface any resulting events.
  void after_command() {
    drain_layer_events();
    flush();
    drain_transport_events();
  }
};

Client::Client(ClientConfig config, TimePoint now) : impl_(std::make_unique<Impl>(std::move(config), now)) {
  impl_->pump();
}

Client::~Client() = default;

void Client::handle_bytes(ByteView data) {
  handle_bytes(data, impl_->now);
}

void Client::handle_bytes(ByteView data, TimePoint now) {
  Impl& s = *impl_;
  if (s.dead()) return;
  if (now > s.now) s.now = now;
  // Before the bytes: a re-key they start must not take its deadline from an old clock.
  s.transport.advance_time(s.now);
  if (!data.empty()) s.keepalive.on_traffic(s.now);
  s.transport.handle_bytes(data);
  s.pump();
}

void Client::advance_time(TimePoint now) {
  if (now > impl_->now) impl_->now = now;
  impl_->transport.advance_time(now);
}

void Client::handle_timeout(TimePoint now) {
  Impl& s = *impl_;
  if (s.dead()) return;
  if (now > s.now) s.now = now;
  s.transport.handle_timeout(now);
  s.pump();
  if (s.dead() || !s.auth.authenticated()) return;
  switch (s.keepalive.on_timeout(now)) {
    case connection::Keepalive::Action::probe:
      s.conn.send_keepalive();
      s.after_command();
      break;
    case connection::Keepalive::Action::timeout:
      s.transport.disconnect(transport::kConnectionLost, "Timeout, server not responding");
      s.drain_transport_events();
      break;
    case connection::Keepalive::Action::none:
      break;
  }
}

bool Client::has_transmit() const {
  return impl_->transport.has_transmit();
}

Bytes Client::take_transmit() {
  Impl& s = *impl_;
  Bytes out = s.transport.take_transmit();
  if (!s.budget_limited.empty() && !s.dead()) {
    for (const ChannelId id : s.budget_limited) {
      if (s.conn.send_capacity(id) > 0) s.events.push_back(event::ChannelWritable{id});
    }
    s.budget_limited.clear();
  }
  return out;
}
std::size_t Client::pending_transmit_bytes() const {
  return impl_->transport.pending_transmit_bytes();
}

std::optional<Event> Client::poll_event() {
  if (impl_->events.empty()) return std::nullopt;
  Event e = std::move(impl_->events.front());
  impl_->events.pop_front();
  return e;
}

std::optional<TimePoint> Client::next_deadline() const {
  const Impl& s = *impl_;
  if (s.dead()) return std::nullopt;
  std::optional<TimePoint> t = s.transport.next_deadline();
  if (s.auth.authenticated()) {
    if (auto k = s.keepalive.deadline(); k && (!t || *k < *t)) t = k;
  }
  return t;
}

void Client::host_key_verdict(bool accepted) {
  if (impl_->dead()) return;
  impl_->transport.host_key_verdict(accepted);
  impl_->pump();
}

void Client::auth_none() {
  if (impl_->dead()) return;
  impl_->auth.request_none();
  impl_->after_command();
}

void Client::auth_password(std::string_view password) {
  if (impl_->dead()) return;
  impl_->auth.request_password(password);
  impl_->after_command();
}

void Client::auth_publickey_query(std::string_view algorithm, ByteView key_blob) {
  if (impl_->dead()) return;
  impl_->auth.request_publickey_query(algorithm, key_blob);
  impl_->after_command();
}

void Client::auth_publickey_sign(std::string_view algorithm, const keys::Signer& signer) {
  Impl& s = *impl_;
  if (s.dead() || !s.auth.can_attempt()) return;
  const Bytes blob = signer.public_blob();
  const Bytes data = publickey_data_to_sign(algorithm, blob);
  const std::optional<Bytes> signature = signer.sign(algorithm, data);
  if (!signature) {
    s.events.push_back(event::Debug{"signing with the " + signer.key_type() + " key failed"});
    s.auth.fail_locally();
  } else {
    s.auth.request_publickey_signed(algorithm, blob, *signature);
  }
  s.after_command();
}

Bytes Client::publickey_data_to_sign(std::string_view algorithm, ByteView key_blob) const {
  return auth::publickey_data_to_sign(impl_->transport.session_id(), impl_->auth.user(), algorithm, key_blob);
}

void Client::auth_publickey_signed(std::string_view algorithm, ByteView key_blob, ByteView signature_blob) {
  if (impl_->dead()) return;
  impl_->auth.request_publickey_signed(algorithm, key_blob, signature_blob);
  impl_->after_command();
}

void Client::auth_keyboard_interactive() {
  if (impl_->dead()) return;
  impl_->auth.request_keyboard_interactive();
  impl_->after_command();
}

void Client::auth_kbdint_respond(const std::vector<SecretString>& answers) {
  if (impl_->dead()) return;
  impl_->auth.respond_keyboard_interactive(answers);
  impl_->after_command();
}

bool Client::is_authenticated() const {
  return impl_->auth.authenticated();
}

const std::vector<std::string>& Client::server_sig_algs() const {
  return impl_->transport.server_sig_algs();
}

std::optional<ChannelId> Client::open_channel(std::string_view type, ByteView type_data, std::uint32_t window) {
  if (!impl_->ready_for_channels()) return std::nullopt;
  auto id = impl_->conn.open(type, type_data, window);
  impl_->note_open(id);
  impl_->after_command();
  return id;
}

std::optional<ChannelId> Client::open_relayed_channel(std::string_view type, std::uint32_t window,
                                                      std::uint32_t max_packet, ByteView type_data) {
  if (!impl_->ready_for_channels()) return std::nullopt;
  auto id = impl_->conn.open_relayed(type, window, max_packet, type_data);
  impl_->after_command();
  return id;
}

bool Client::send_relayed(ChannelId id, Bytes payload) {
  if (!impl_->ready_for_channels()) return false;
  const bool sent = impl_->conn.send_relayed(id, std::move(payload));
  impl_->after_command();
  return sent;
}

std::size_t Client::send_capacity(ChannelId id) const {
  if (!impl_->ready_for_channels()) return 0;
  return std::min(impl_->conn.send_capacity(id), impl_->output_budget());
}

std::size_t Client::send(ChannelId id, ByteView data, std::uint32_t extended_type) {
  Impl& s = *impl_;
  if (!s.ready_for_channels()) return 0;
  // Whatever the layers queued goes first; then the data is sealed straight into the transmit
  // buffer, without an intermediate payload copy.
  s.flush();
  if (s.dead()) return 0;
  struct ToTransport final : connection::PayloadSink {
    explicit ToTransport(transport::Transport& t) : transport(t) {}
    bool payload(ByteView head, ByteView body) override {
      refused = !transport.send_payload(head, body);
      return !refused;
    }
    transport::Transport& transport;
    bool refused = false;  // the transport's queue is full (a key exchange holds it): retry later
  } sink(s.transport);
  const std::size_t budget = s.output_budget();
  const std::size_t window = s.conn.send_capacity(id);
  const std::size_t taken = s.conn.send(id, data, extended_type, budget, sink);
  if (taken < data.size() && (budget < window || sink.refused)) s.budget_limited.insert(id);
  s.after_command();
  return taken;
}

void Client::consume(ChannelId id, std::size_t n) {
  if (!impl_->ready_for_channels()) return;
  impl_->conn.consume(id, n);
  impl_->after_command();
}

void Client::send_eof(ChannelId id) {
  if (!impl_->ready_for_channels()) return;
  impl_->conn.send_eof(id);
  impl_->after_command();
}

void Client::close_channel(ChannelId id) {
  if (!impl_->ready_for_channels()) return;
  impl_->conn.close(id);
  impl_->after_command();
}

std::optional<std::uint32_t> Client::channel_request(ChannelId id, std::string_view name, ByteView data,
                                                     bool want_reply) {
  if (!impl_->ready_for_channels()) return std::nullopt;
  const auto seq = impl_->conn.request(id, name, data, want_reply);
  impl_->after_command();
  return seq;
}

void Client::reply_channel_request(ChannelId id, bool success) {
  if (!impl_->ready_for_channels()) return;
  impl_->conn.reply_request(id, success);
  impl_->after_command();
}

void Client::accept_channel(ChannelId id) {
  if (!impl_->ready_for_channels()) return;
  impl_->conn.accept(id);
  impl_->after_command();
}

void Client::reject_channel(ChannelId id, std::uint32_t reason, std::string_view description) {
  if (!impl_->ready_for_channels()) return;
  impl_->conn.reject(id, reason, description);
  impl_->after_command();
}

// Remote forwarding (RFC 4254 §7.1, OpenSSH PROTOCOL §2.4): plain want-reply global requests.
std::uint64_t Client::request_tcpip_forward(std::string_view bind_address, std::uint32_t port) {
  return global_request(connection::kTcpipForward, connection::tcpip_forward_data(bind_address, port), true);
}

std::uint64_t Client::cancel_tcpip_forward(std::string_view bind_address, std::uint32_t port) {
  return global_request(connection::kCancelTcpipForward, connection::tcpip_forward_data(bind_address, port), true);
}

std::uint64_t Client::request_streamlocal_forward(std::string_view socket_path) {
  return global_request(connection::kStreamlocalForward, connection::streamlocal_forward_data(socket_path), true);
}

std::uint64_t Client::cancel_streamlocal_forward(std::string_view socket_path) {
  return global_request(connection::kCancelStreamlocalForward, connection::streamlocal_forward_data(socket_path),
                        true);
}

std::optional<std::uint32_t> Client::allocated_port(ByteView reply_data) {
  return connection::parse_allocated_port(reply_data);
}

std::uint64_t Client::global_request(std::string_view name, ByteView request_data, bool want_reply) {
  if (!impl_->ready_for_channels()) return 0;
  const std::uint64_t token = impl_->conn.global_request(name, request_data, want_reply);
  impl_->after_command();
  return token;
}

void Client::request_rekey() {
  if (!impl_->ready_for_channels()) return;
  impl_->transport.request_rekey();
  impl_->after_command();
}

void Client::disconnect(std::uint32_t reason, std::string_view description) {
  if (impl_->dead()) return;
  impl_->transport.disconnect(reason, description);
  impl_->drain_transport_events();
}

bool Client::is_closed() const {
  return impl_->dead();
}

const transport::Transport& Client::transport() const {
  return impl_->transport;
}

std::size_t Client::open_channel_count() const {
  return impl_->conn.open_channel_count();
}

std::optional<std::chrono::nanoseconds> Client::round_trip() const {
  return impl_->min_round_trip;
}

}  // namespace ssh
