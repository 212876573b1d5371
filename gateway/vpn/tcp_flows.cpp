#include "gateway/vpn/tcp_flows.hpp"

#include "gateway/util/log.hpp"
#include "gateway/vpn/flow_end.hpp"
#include "ssh/connection/channel_types.hpp"

namespace gateway::vpn {
namespace {

using Clock = std::chrono::steady_clock;
// How often quarantined NAT ports are returned to the free list (new flows also do it).
constexpr std::uint64_t kExpiryIntervalMs = 5000;
// SYNs that may wait for a free open slot, the kernel's default somaxconn: a burst of thousands of
// connects (a browser restoring its tabs, a test suite) waits instead of being refused.
constexpr std::size_t kBacklogLimit = 4096;

std::string flow_label(const tun::Flow& flow) {
  return "vpn " + tun::to_string(flow.client) + " -> " + tun::to_string(flow.destination);
}

}  // namespace

// Tells TcpFlows what became of one flow's channel; owned by the flow's pump.
class TcpFlows::Observer final : public ChannelObserver {
 public:
  Observer(TcpFlows& flows, std::uint16_t port, std::weak_ptr<bool> alive)
      : flows_(flows), port_(port), alive_(std::move(alive)) {}
  void on_open_confirmed(ChannelPump&) override {
    if (live()) flows_.on_open_confirmed(port_);
  }
  void on_open_failed(ChannelPump&, std::uint32_t, const std::string& description) override {
    if (live()) flows_.on_open_failed(port_, description);
  }
  void on_finished(ChannelPump&) override {
    if (live()) flows_.on_pump_finished(port_);
  }

 private:
  bool live() const {
    const auto a = alive_.lock();
    return a && *a;
  }
  TcpFlows& flows_;
  std::uint16_t port_;
  std::weak_ptr<bool> alive_;
};

TcpFlows::TcpFlows(uv_loop_t* loop, Upstream& upstream, tun::NatConfig nat, ForwardLimits limits,
                   std::chrono::milliseconds accept_timeout, WritePacket write_packet)
    : loop_(loop),
      config_(nat),
      limits_(limits),
      accept_timeout_(accept_timeout),
      write_packet_(std::move(write_packet)),
      waits_(upstream) {}

TcpFlows::~TcpFlows() {
  close();
  *alive_ = false;
}

bool TcpFlows::listen_on(const tun::IpAddress& address, net::Listener& out, std::string& error) {
  std::string why;
  out = net::listen(
      loop_, net::ListenSpec{{}, 0177, false, tun::to_string(address), config_.listener_port}, this,
      [](uv_stream_t* server, int status) {
        auto* self = static_cast<TcpFlows*>(server->data);
        if (status < 0) {
          log::error("vpn: accept failed: %s", uv_strerror(status));
          return;
        }
        self->on_connection(server == self->listener_v4_.stream ? self->listener_v4_ : self->listener_v6_);
      },
      why);
  if (out.stream == nullptr) {
    error = "cannot listen on the tun's address " + tun::to_string(address) + ": " + why;
    return false;
  }
  config_.listener_port = out.bound_port;
  return true;
}

bool TcpFlows::start(std::string& error) {
  // One port for both families: the IPv6 listener takes the port the IPv4 one got.
  if (config_.v4 && !listen_on(config_.v4->tun, listener_v4_, error)) return false;
  if (config_.v6 && !listen_on(config_.v6->tun, listener_v6_, error)) return false;
  nat_ = std::make_unique<tun::NatTable>(config_);
  expiry_timer_ = new uv_timer_t;
  uv_timer_init(loop_, expiry_timer_);
  expiry_timer_->data = this;
  uv_timer_start(
      expiry_timer_, [](uv_timer_t* t) { static_cast<TcpFlows*>(t->data)->nat_->expire(Clock::now()); },
      kExpiryIntervalMs, kExpiryIntervalMs);
  backlog_timer_ = new uv_timer_t;
  uv_timer_init(loop_, backlog_timer_);
  backlog_timer_->data = this;
  return true;
}

void TcpFlows::on_packet(std::span<std::uint8_t> packet, tun::Packet& parsed, const tun::OffloadHeader& offload) {
  if (!nat_) return;
  tun::Verdict verdict = nat_->handle(packet, parsed, Clock::now());
  switch (verdict.action) {
    case tun::Action::forward:
      write_packet_(packet.first(parsed.length), offload);
      return;
    case tun::Action::reply:
      ++counters_.resets_sent;
      if (verdict.reason == tun::NatReason::too_many_flows || verdict.reason == tun::NatReason::ports_exhausted) {
        ++counters_.flows_refused;
        log::info("vpn: refusing a flow to %s: %s", tun::to_string(parsed.destination).c_str(),
                  tun::to_string(verdict.reason));
      }
      write_packet_(verdict.reply, {});
      return;
    case tun::Action::drop:
      ++counters_.dropped;
      return;
    case tun::Action::hold:
      break;
  }
  const std::uint16_t port = verdict.port;
  if (!accepting_) {
    refuse(port, "the VPN is stopping");
    return;
  }
  if (opens_full() || !backlog_.empty()) {
    if (backlog_.size() >= kBacklogLimit) {
      log::info("vpn: refusing a flow to %s: %zu flows wait for MaxPendingOpens already",
                tun::to_string(parsed.destination).c_str(), backlog_.size());
      refuse(port, "the backlog is full");
      pumps_.counters().failed(OpenFailure::limit);
      return;
    }
    if (backlog_.empty()) log::verbose("vpn: MaxPendingOpens (%u) reached: new flows wait", limits_.max_pending_opens);
    ++counters_.backlogged;
    backlog_.push_back(Backlogged{port, Clock::now()});
    schedule_backlog();
    return;
  }
  start_open(port);
}

bool TcpFlows::opens_full() const { return waits_.waiting() + pumps_.opening() >= limits_.max_pending_opens; }

void TcpFlows::start_open(std::uint16_t port) {
  records_[port] = Record{};
  std::weak_ptr<bool> alive = alive_;
  waits_.acquire(limits_.wait_timeout, [this, alive, port](SshSession* session) {
    if (auto a = alive.lock(); a && *a) open_channel(port, session);
  });
}

void TcpFlows::open_channel(std::uint16_t port, SshSession* session) {
  const auto flow = nat_->lookup(port);
  if (!flow || !records_.contains(port)) return;
  if (session == nullptr) {
    pumps_.counters().failed(OpenFailure::no_connection);
    refuse(port, "no connection to the server");
    schedule_backlog();
    return;
  }
  const std::string label = flow_label(*flow);
  auto end = std::make_unique<FlowEnd>(loop_, accept_timeout_, label);
  records_[port].end = end.get();
  ChannelPump* pump = pumps_.create(*session, std::move(end), label);
  pump->own_observer(std::make_unique<Observer>(*this, port, alive_));
  namespace ct = ssh::connection::channel_type;
  tun::Endpoint target = flow->destination;
  if (redirect_) target = redirect_(target).value_or(target);
  pump->open(ct::kDirectTcpip, ct::direct_tcpip(tun::to_string(target.address), target.port,
                                                tun::to_string(flow->client.address), flow->client.port));
}

void TcpFlows::refuse(std::uint16_t port, const char* why) {
  records_.erase(port);
  if (const auto flow = nat_->lookup(port)) log::debug("%s: refused: %s", flow_label(*flow).c_str(), why);
  ++counters_.flows_refused;
  if (auto reset = nat_->refuse(port)) {
    ++counters_.resets_sent;
    write_packet_(*reset, {});
  }
}

void TcpFlows::on_open_confirmed(std::uint16_t port) {
  auto it = records_.find(port);
  if (it == records_.end()) return;
  auto syn = nat_->confirm(port);
  if (!syn) return;
  it->second.confirmed = true;
  ++counters_.flows_opened;
  write_packet_(*syn, {});
  schedule_backlog();
}

// Deferred to the loop: the open slot frees inside a pump's callback, and opening the next flow
// there would create pumps while one of them runs.
void TcpFlows::schedule_backlog() {
  if (backlog_.empty() || backlog_timer_ == nullptr || uv_is_active(reinterpret_cast<uv_handle_t*>(backlog_timer_))) return;
  uv_timer_start(backlog_timer_, [](uv_timer_t* t) { static_cast<TcpFlows*>(t->data)->run_backlog(); }, 0, 0);
}

void TcpFlows::run_backlog() {
  const auto now = Clock::now();
  while (!backlog_.empty() && !opens_full()) {
    const Backlogged next = backlog_.front();
    backlog_.pop_front();
    if (!nat_->lookup(next.port)) continue;
    if (now - next.since >= limits_.wait_timeout) {
      // Waited as long as a flow may wait for a connection: the application hears so now.
      pumps_.counters().failed(OpenFailure::limit);
      refuse(next.port, "MaxPendingOpens reached for TransportWaitTimeout");
      continue;
    }
    start_open(next.port);
  }
}

void TcpFlows::refuse_backlog(const char* why) {
  while (!backlog_.empty()) {
    const std::uint16_t port = backlog_.front().port;
    backlog_.pop_front();
    refuse(port, why);
  }
}

void TcpFlows::on_open_failed(std::uint16_t port, const std::string& description) {
  if (!records_.contains(port)) return;
  log::verbose("vpn: channel open failed: %s", description.c_str());
  refuse(port, "the server refused the channel");
  schedule_backlog();
}

void TcpFlows::on_pump_finished(std::uint16_t port) {
  auto it = records_.find(port);
  if (it == records_.end()) return;  // refused: the port is free already
  const bool confirmed = it->second.confirmed;
  records_.erase(it);
  if (confirmed) nat_->release(port, Clock::now());
  schedule_backlog();
}

void TcpFlows::on_connection(net::Listener& listener) {
  uv_stream_t* socket = net::accept_client(loop_, listener);
  if (socket == nullptr) return;
  std::uint16_t peer_port = 0;
  const std::string peer = net::peer_address(socket, false, peer_port);
  // Only the NAT's spare address connects here: a local program that found the listener is not a flow.
  const bool from_nat = (config_.v4 && peer == tun::to_string(config_.v4->spare)) ||
                        (config_.v6 && peer == tun::to_string(config_.v6->spare));
  auto it = records_.find(peer_port);
  if (!from_nat || it == records_.end() || !it->second.confirmed || it->second.attached || it->second.end == nullptr) {
    log::debug("vpn: closing a connection from %s:%u that is no flow of ours", peer.c_str(), peer_port);
    net::close_stream(socket);
    return;
  }
  it->second.attached = true;
  it->second.end->attach(socket);
}

void TcpFlows::stop_accepting() {
  // The listeners stay open: flows already confirmed still need them for the kernel's half of their
  // handshake. New SYNs are refused in on_packet, and so are those in the backlog.
  accepting_ = false;
  refuse_backlog("the VPN is stopping");
}

void TcpFlows::close() {
  accepting_ = false;
  for (auto* listener : {&listener_v4_, &listener_v6_}) {
    if (listener->stream != nullptr) {
      net::close_stream(listener->stream);
      listener->stream = nullptr;
    }
  }
  for (auto** timer : {&expiry_timer_, &backlog_timer_}) {
    if (*timer != nullptr) {
      uv_close(reinterpret_cast<uv_handle_t*>(*timer), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
      *timer = nullptr;
    }
  }
  if (nat_) refuse_backlog("the VPN is closing");
  waits_.cancel_all();
  pumps_.abort_all();
  records_.clear();
}

}  // namespace gateway::vpn
