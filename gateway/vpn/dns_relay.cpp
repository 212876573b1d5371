#include "gateway/vpn/dns_relay.hpp"

#include <algorithm>

#include "gateway/util/log.hpp"
#include "ssh/connection/channel_types.hpp"
#include "tun/address.hpp"

namespace gateway::vpn {

DnsRelay::DnsRelay(uv_loop_t* loop, Upstream& upstream, Settings settings, SendPacket send)
    : loop_(loop),
      upstream_(upstream),
      settings_(std::move(settings)),
      send_(std::move(send)),
      pending_(settings_.max_pending) {
  if (settings_.resolver) resolvers_.push_back(*settings_.resolver);
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
}

DnsRelay::~DnsRelay() {
  close();
}

std::optional<tun::Endpoint> DnsRelay::resolver() const {
  if (resolvers_.empty()) return std::nullopt;
  return resolvers_[resolver_index_ % resolvers_.size()];
}

std::uint64_t DnsRelay::now_ms() const {
  return uv_now(loop_);
}

void DnsRelay::close() {
  if (closed_) return;
  closed_ = true;
  if (state_ == State::waiting) upstream_.cancel(wait_);
  if (fetch_) fetch_->cancel();
  release_channel();
  state_ = State::idle;
  pending_.clear();
  flights_.clear();
  expiries_.clear();
  if (timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
}

void DnsRelay::on_query(std::span<const std::uint8_t> packet, const tun::Packet& parsed) {
  if (closed_) return;
  if (parsed.transport != tun::Transport::udp || parsed.payload_end > packet.size() ||
      parsed.payload_offset > parsed.payload_end) {
    ++counters_.malformed;
    return;
  }
  const auto query = packet.subspan(parsed.payload_offset, parsed.payload_size());
  if (query.size() < tun::dns_header_size || query.size() > 0xffff || tun::dns_is_response(query)) {
    ++counters_.malformed;
    log::debug2("VPN DNS: dropped a datagram of %zu bytes that is not a DNS query", query.size());
    return;
  }
  ++counters_.queries;
  // The answer comes from the address the client asked, to the port it asked from.
  const tun::Endpoint server{parsed.destination, parsed.destination_port()};
  const tun::Endpoint client{parsed.source, parsed.source_port()};
  if (now_ms() < failed_until_ms_) {
    servfail(query, server, client);
    return;
  }
  const auto client_id = tun::dns_id(query);
  const auto wire_id = pending_.add(tun::PendingQuery{client, server, *client_id});
  if (!wire_id) {
    log::debug("VPN DNS: %zu queries in flight, answering SERVFAIL", pending_.size());
    servfail(query, server, client);
    return;
  }
  ssh::Bytes framed = *tun::frame_dns_message(query);
  tun::set_dns_id(std::span(framed).subspan(2), *wire_id);
  Flight& flight = flights_[*wire_id];
  flight = Flight{++next_serial_, std::move(framed), tun::dns_udp_limit(query), 0};
  expiries_.push_back(
      Expiry{now_ms() + static_cast<std::uint64_t>(settings_.query_timeout.count()), *wire_id, flight.serial});
  if (expiries_.size() == 1) arm_timer();
  if (end_ != nullptr) {
    send_flight(flight);
  } else {
    ensure_channel();
  }
}

void DnsRelay::send_flight(Flight& flight) {
  ++flight.sends;
  end_->send(flight.framed);
}

void DnsRelay::ensure_channel() {
  if (closed_ || state_ != State::idle) return;
  if (resolvers_.empty()) {
    // The server's resolver, asked once: the answer holds for the relay's life.
    state_ = State::fetching;
    if (!fetch_) {
      fetch_ = std::make_unique<ServerResolverFetch>(loop_, upstream_, settings_.query_timeout,
                                                     [this](ServerResolverFetch::Result result) {
                                                       resolvers_ = std::move(result.resolvers);
                                                       state_ = State::idle;
                                                       if (!flights_.empty()) ensure_channel();
                                                     });
      fetch_->start();
    }
    return;
  }
  state_ = State::waiting;
  // Half the query timeout: when no connection comes, the clients still hear SERVFAIL before they
  // give up on their own.
  upstream_.acquire(wait_, settings_.query_timeout / 2);
}

void DnsRelay::on_session(SshSession* session) {
  if (closed_ || state_ != State::waiting) return;
  state_ = State::idle;
  if (session == nullptr) {
    open_failed("no connection to the server");
    return;
  }
  if (flights_.empty()) return;  // they timed out while we waited
  const tun::Endpoint target = *resolver();
  MemoryEnd::Callbacks callbacks;
  callbacks.on_data = [this](ssh::ByteView data) { on_channel_data(data); };
  callbacks.on_eof = [this] { channel_lost("the resolver closed the connection"); };
  callbacks.on_closed = [this] { end_ = nullptr; };
  auto end = std::make_unique<MemoryEnd>(std::move(callbacks));
  end_ = end.get();
  reader_ = tun::DnsStreamReader();
  channel_answers_ = 0;
  pump_ = new ChannelPump(*session, std::move(end), "DNS " + tun::to_string(target), [](ChannelPump* p) { delete p; });
  pump_->set_observer(this);
  state_ = State::opening;
  ++counters_.channels;
  log::debug("VPN DNS: opening a channel to the resolver %s", tun::to_string(target).c_str());
  // Queries go first into the end, which holds them until the channel is open.
  std::vector<Flight*> order;
  order.reserve(flights_.size());
  for (auto& [id, flight] : flights_) order.push_back(&flight);
  std::sort(order.begin(), order.end(), [](const Flight* a, const Flight* b) { return a->serial < b->serial; });
  for (Flight* flight : order) send_flight(*flight);
  namespace ct = ssh::connection::channel_type;
  // The originator is not a client of ours in particular: the channel carries every client's queries.
  pump_->open(ct::kDirectTcpip, ct::direct_tcpip(tun::to_string(target.address), target.port, "127.0.0.1", 0));
}

void DnsRelay::on_open_confirmed(ChannelPump&) {
  state_ = State::open;
  if (failing_) {
    failing_ = false;
    log::info("VPN DNS: the resolver %s is reachable again", tun::to_string(*resolver()).c_str());
  }
}

void DnsRelay::on_open_failed(ChannelPump& pump, std::uint32_t, const std::string& description) {
  // The pump winds down by itself after a failed open.
  pump.set_observer(nullptr);
  if (end_ != nullptr) end_->detach();
  pump_ = nullptr;
  end_ = nullptr;
  state_ = State::idle;
  open_failed("the server could not connect to it (" + description + ")");
}

void DnsRelay::open_failed(const std::string& why) {
  const std::string target = resolver() ? tun::to_string(*resolver()) : std::string("the server's resolver");
  if (!failing_) {
    failing_ = true;
    log::error("VPN DNS: cannot reach the resolver %s: %s; answering SERVFAIL", target.c_str(), why.c_str());
  } else {
    log::debug("VPN DNS: cannot reach the resolver %s: %s", target.c_str(), why.c_str());
  }
  // The server's next resolver, if it has several, for the next attempt.
  if (!resolvers_.empty()) resolver_index_ = (resolver_index_ + 1) % resolvers_.size();
  failed_until_ms_ = now_ms() + static_cast<std::uint64_t>(settings_.open_retry_delay.count());
  // Everyone waiting hears at once rather than after their timeout.
  auto flights = std::move(flights_);
  flights_.clear();
  for (auto& [id, flight] : flights) {
    const auto query = pending_.take(id);
    if (!query) continue;
    ssh::Bytes message(flight.framed.begin() + 2, flight.framed.end());
    tun::set_dns_id(message, query->client_id);
    servfail(message, query->server, query->client);
  }
}

void DnsRelay::servfail(std::span<const std::uint8_t> query, const tun::Endpoint& server, const tun::Endpoint& client) {
  ++counters_.failures;
  const auto answer = tun::dns_error_answer(query, tun::dns_rcode_servfail);
  if (!answer) return;  // a question we cannot even echo: the client times out
  auto packet = tun::build_dns_reply(server, client, *answer);
  if (packet) send_(std::move(*packet));
}

void DnsRelay::on_channel_data(ssh::ByteView data) {
  while (!data.empty()) {
    const auto status = reader_.feed(data);
    if (status == tun::DnsStreamReader::Status::need_more) return;
    if (status == tun::DnsStreamReader::Status::error) {
      channel_lost("the resolver sent a malformed length");
      return;
    }
    on_answer(reader_.message());
    if (end_ == nullptr) return;  // the answer's delivery closed the relay
  }
}

void DnsRelay::on_answer(std::span<const std::uint8_t> message) {
  const auto id = tun::dns_id(message);
  const auto query = id ? pending_.take(*id) : std::nullopt;
  if (!query) {
    log::debug2("VPN DNS: an answer with id %u matches no query in flight (late)", id.value_or(0));
    return;
  }
  const auto it = flights_.find(*id);
  const std::size_t limit = it != flights_.end() ? it->second.udp_limit : tun::dns_classic_udp_limit;
  if (it != flights_.end()) flights_.erase(it);
  ssh::Bytes answer(message.begin(), message.end());
  tun::set_dns_id(answer, query->client_id);
  // Too large for the client's UDP: TC tells it to ask again over TCP (RFC 1035 §4.2.1).
  tun::truncate_dns_for_udp(answer, limit);
  auto packet = tun::build_dns_reply(query->server, query->client, answer);
  if (!packet) {
    ++counters_.failures;
    return;
  }
  ++counters_.answers;
  ++channel_answers_;
  send_(std::move(*packet));
}

void DnsRelay::channel_lost(const char* why) {
  if (closed_) return;
  log::debug("VPN DNS: channel to the resolver closed (%s), %zu queries in flight", why, flights_.size());
  release_channel();
  state_ = State::idle;
  // A channel that answered something closed for its own reasons (idle, a per-connection limit):
  // its queries go out again as they are. One that answered nothing may have died of a query.
  const bool progressed = channel_answers_ > 0;
  channel_answers_ = 0;
  for (auto it = flights_.begin(); it != flights_.end();) {
    if (it->second.sends > 0 && !progressed) ++it->second.lost;
    if (it->second.lost >= 2) {
      pending_.take(it->first);
      ++counters_.failures;
      it = flights_.erase(it);
    } else {
      ++it;
    }
  }
  if (!flights_.empty()) ensure_channel();
}

void DnsRelay::on_finished(ChannelPump& pump) {
  if (&pump != pump_) return;
  pump_ = nullptr;
  end_ = nullptr;
  channel_lost("the channel closed");
}

void DnsRelay::release_channel() {
  if (state_ == State::waiting) {
    upstream_.cancel(wait_);
    state_ = State::idle;
  }
  abandon_pump(pump_, end_);
}

void DnsRelay::arm_timer() {
  if (timer_ == nullptr || expiries_.empty()) return;
  const std::uint64_t now = now_ms();
  const std::uint64_t due = expiries_.front().deadline_ms;
  uv_timer_start(
      timer_, [](uv_timer_t* t) { static_cast<DnsRelay*>(t->data)->on_timer(); }, due > now ? due - now : 0, 0);
}

void DnsRelay::on_timer() {
  const std::uint64_t now = now_ms();
  while (!expiries_.empty() && expiries_.front().deadline_ms <= now) {
    const Expiry e = expiries_.front();
    expiries_.pop_front();
    const auto it = flights_.find(e.wire_id);
    if (it == flights_.end() || it->second.serial != e.serial) continue;  // answered already
    flights_.erase(it);
    pending_.take(e.wire_id);
    ++counters_.timeouts;
  }
  arm_timer();
}

}  // namespace gateway::vpn
