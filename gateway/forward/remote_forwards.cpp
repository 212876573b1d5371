#include "gateway/forward/remote_forwards.hpp"

#include <algorithm>

#include "gateway/util/liveness.hpp"
#include "gateway/channel/stream_end.hpp"
#include "gateway/util/log.hpp"
#include "ssh/connection/channel_types.hpp"

namespace gateway {
namespace {

// A forward the server refuses after a reconnect, although it granted it before, is most likely
// still held by the previous connection's server process (it has not noticed the loss yet).
constexpr std::uint64_t kRetryIntervalMs = 2000;
constexpr std::uint64_t kRetryWindowMs = 60000;

constexpr std::uint32_t kProhibited = 1;    // RFC 4254 §5.1 SSH_OPEN_ADMINISTRATIVELY_PROHIBITED
constexpr std::uint32_t kConnectFailed = 2;  // SSH_OPEN_CONNECT_FAILED

std::string host_port(const std::string& host, std::uint32_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// What tcpip-forward carries as "address to bind" for the spec's listen host: ssh sends
// "localhost" when none was given and "" (every interface) for "*".
std::string bind_address_for(const config::ForwardEndpoint& listen) {
  if (listen.host.empty()) return "localhost";
  if (listen.host == "*") return "";
  return listen.host;
}

void close_timer(uv_timer_t*& timer) {
  if (timer == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(timer), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  timer = nullptr;
}

}  // namespace

struct RemoteForwards::Entry {
  RemoteForwards* owner = nullptr;
  config::ForwardSpec spec;
  std::string bind_address;   // as sent in tcpip-forward
  std::uint32_t allocated = 0;  // port-0 forwards: the port the server chose
  bool ready = false;           // granted on the attached connection
  bool granted_before = false;  // granted on some connection
  bool settled = true;          // its request on the attached connection has a final answer
  bool retrying = false;
  bool retired = false;         // removed by remove()
  std::uint64_t retry_started_ms = 0;
  uv_timer_t* retry_timer = nullptr;
  bool asking = false;  // a request is out (or being retried) and has no final answer yet
  std::vector<RemoteForwards::Answered> answered;
  // Shared with its pumps, which may outlive the entry.
  std::shared_ptr<PumpCounters> counters = std::make_shared<PumpCounters>();
  std::shared_ptr<std::size_t> clients = std::make_shared<std::size_t>(0);

  std::uint32_t asked_port() const { return spec.listen.port != 0 ? spec.listen.port : allocated; }
  std::string target() const {
    if (!spec.target) return "SOCKS";
    return spec.target->is_socket() ? spec.target->socket_path : host_port(spec.target->host, spec.target->port);
  }
  std::string describe() const {
    std::string from;
    if (spec.listen.is_socket()) {
      from = spec.listen.socket_path;
    } else {
      from = host_port(bind_address.empty() ? "*" : bind_address, asked_port());
    }
    return from + " -> " + target();
  }
};

struct RemoteForwards::PendingConnect {
  SshSession* session;
  ssh::ChannelId id;
  std::shared_ptr<net::ConnectAttempt> attempt;
};

RemoteForwards::RemoteForwards(uv_loop_t* loop, net::Resolver& resolver, std::vector<config::ForwardSpec> specs)
    : loop_(loop), resolver_(resolver) {
  for (const auto& spec : specs) add(spec);
}

RemoteForward::RemoteForward(RemoteForwards& registry, config::ForwardSpec spec)
    : registry_(registry), spec_(std::move(spec)) {}

std::string RemoteForward::describe() const { return "remote forward " + config::to_string(spec_); }

bool RemoteForward::start(std::string& error) {
  if (!registry_.add(spec_)) {
    error = "remote forward " + config::to_string(spec_) + " already requested";
    return false;
  }
  started_ = true;
  return true;
}

void RemoteForward::stop_listening() {
  if (started_) registry_.remove(spec_);
  started_ = false;
}

void RemoteForwards::unregister(SshSession& session) {
  session.unregister_channel_type(std::string(ssh::connection::channel_type::kForwardedTcpip));
  session.unregister_channel_type(std::string(ssh::connection::channel_type::kForwardedStreamlocal));
}

RemoteForwards::~RemoteForwards() {
  close();
  *alive_ = false;
}

std::size_t RemoteForwards::active_connections() const { return pending_.size() + pumps_.size(); }

const RemoteForwards::Entry* RemoteForwards::find(const config::ForwardSpec& spec) const {
  const std::string key = config::to_string(spec);
  for (const auto& f : forwards_) {
    if (config::to_string(f->spec) == key) return f.get();
  }
  return nullptr;
}

const PumpCounters* RemoteForwards::counters(const config::ForwardSpec& spec) const {
  const Entry* f = find(spec);
  return f != nullptr ? f->counters.get() : nullptr;
}

std::size_t RemoteForwards::clients(const config::ForwardSpec& spec) const {
  const Entry* f = find(spec);
  return f != nullptr ? *f->clients : 0;
}

namespace {

// One client of a remote forward, for as long as its pump lives (the pump owns it).
class ClientCount final : public ChannelObserver {
 public:
  explicit ClientCount(std::shared_ptr<std::size_t> clients) : clients_(std::move(clients)) { ++*clients_; }
  ~ClientCount() override { --*clients_; }
  ClientCount(const ClientCount&) = delete;
  ClientCount& operator=(const ClientCount&) = delete;

 private:
  std::shared_ptr<std::size_t> clients_;
};

}  // namespace

ChannelPump* RemoteForwards::create_pump(SshSession& session, Entry& f, std::unique_ptr<LocalEnd> end,
                                         const std::string& label) {
  ChannelPump* pump = pumps_.create(session, std::move(end), label);
  pump->count_into(f.counters);
  pump->own_observer(std::make_unique<ClientCount>(f.clients));
  ++f.counters->opens;
  return pump;
}

std::optional<std::uint16_t> RemoteForwards::listen_port(std::size_t i) const {
  if (i >= forwards_.size() || forwards_[i]->spec.listen.is_socket()) return std::nullopt;
  const std::uint32_t port = forwards_[i]->asked_port();
  if (port == 0) return std::nullopt;
  return static_cast<std::uint16_t>(port);
}

bool RemoteForwards::ready(std::size_t i) const { return i < forwards_.size() && forwards_[i]->ready; }

std::string RemoteForwards::describe(std::size_t i) const {
  return i < forwards_.size() ? forwards_[i]->describe() : std::string();
}

void RemoteForwards::attach(SshSession& session, std::function<void(bool all_ok)> done) {
  if (closed_) return;
  session_ = &session;
  // The server opens a channel per connection to a forward (RFC 4254 §7.2, PROTOCOL §2.4).
  std::weak_ptr<bool> alive = alive_;
  for (const auto type : {ssh::connection::channel_type::kForwardedTcpip,
                          ssh::connection::channel_type::kForwardedStreamlocal}) {
    SshSession* s = &session;
    session.register_channel_type(std::string(type), [this, alive, s](const ssh::event::ChannelOpenRequest& r) {
      if (!util::still_alive(alive)) {
        s->reject_channel(r.id, kProhibited, "no remote forwards on this connection");
        return;
      }
      on_channel_open(*s, r);
    });
  }
  const std::uint64_t generation = ++generation_;
  ++attach_count_;
  all_ok_ = true;
  done_ = std::move(done);
  unsettled_ = forwards_.size();
  for (auto& f : forwards_) f->settled = false;
  if (forwards_.empty()) {
    auto callback = std::move(done_);
    done_ = nullptr;
    if (callback) callback(true);
    return;
  }
  for (auto& f : forwards_) {
    if (generation != generation_) break;  // a callback detached or closed meanwhile
    request(*f);
  }
}

void RemoteForwards::request(Entry& f) {
  f.ready = false;
  f.asking = true;
  if (session_ == nullptr || closed_) {
    settle(f, false);
    return;
  }
  const std::uint64_t generation = generation_;
  Entry* fp = &f;
  std::weak_ptr<bool> alive = alive_;
  const bool sent = session_->global_request(
      [fp](ssh::Client& client) {
        if (fp->spec.listen.is_socket()) return client.request_streamlocal_forward(fp->spec.listen.socket_path);
        return client.request_tcpip_forward(fp->bind_address, fp->asked_port());
      },
      [this, fp, generation, alive](const ssh::event::GlobalRequestResult& result) {
        if (!util::still_alive(alive)) return;
        on_reply(*fp, generation, result);
      });
  if (!sent) {
    log::error("Warning: remote forward %s: the request could not be sent", f.describe().c_str());
    settle(f, false);
    return;
  }
  log::verbose("Requesting remote forward %s", f.describe().c_str());
}

void RemoteForwards::on_reply(Entry& f, std::uint64_t generation, const ssh::event::GlobalRequestResult& result) {
  if (generation != generation_ || closed_) return;
  if (f.retired) {
    // Granted after remove() took it out.
    if (result.success && !f.spec.listen.is_socket() && f.asked_port() == 0) {
      if (auto port = ssh::Client::allocated_port(result.data)) f.allocated = *port;
    }
    if (result.success) {
      f.ready = true;
      cancel_on_server(f);
    }
    return;
  }
  if (!result.success) {
    on_refused(f);
    return;
  }
  if (!f.spec.listen.is_socket() && f.asked_port() == 0) {
    // RFC 4254 §7.1: the reply to a port-0 request carries the port the server allocated.
    const auto port = ssh::Client::allocated_port(result.data);
    if (!port || *port == 0 || *port > 65535) {
      log::error("Warning: remote forward %s: the server allocated an invalid port", f.describe().c_str());
      settle(f, false);
      return;
    }
    f.allocated = *port;
    // Worded exactly as ssh prints it (scripts read it), including its "socks:0" for a dynamic
    // forward and ":-2" after a socket path.
    std::string to = "socks:0";
    if (f.spec.target) {
      to = f.spec.target->is_socket() ? f.spec.target->socket_path + ":-2"
                                      : f.spec.target->host + ":" + std::to_string(f.spec.target->port);
    }
    log::info("Allocated port %u for remote forward to %s", *port, to.c_str());
  }
  stop_retry(f);
  f.ready = true;
  f.granted_before = true;
  log::info("Remote forward ready: %s", f.describe().c_str());
  settle(f, true);
}

void RemoteForwards::on_refused(Entry& f) {
  if (attach_count_ > 1 && f.granted_before) {
    const std::uint64_t now = uv_now(loop_);
    if (!f.retrying) {
      f.retrying = true;
      f.retry_started_ms = now;
      log::info("Remote forward %s refused by the server; the previous connection may still hold it. "
                "Retrying every %llu s for up to %llu s.",
                f.describe().c_str(), static_cast<unsigned long long>(kRetryIntervalMs / 1000),
                static_cast<unsigned long long>(kRetryWindowMs / 1000));
    }
    if (now - f.retry_started_ms < kRetryWindowMs) {
      if (f.retry_timer == nullptr) {
        f.retry_timer = new uv_timer_t;
        uv_timer_init(loop_, f.retry_timer);
        f.retry_timer->data = &f;
      }
      uv_timer_start(f.retry_timer, [](uv_timer_t* t) {
        auto* fwd = static_cast<Entry*>(t->data);
        fwd->owner->request(*fwd);
      }, kRetryIntervalMs, 0);
      return;
    }
    stop_retry(f);
    if (f.spec.listen.port == 0 && f.allocated != 0) {
      // The port chosen earlier stays taken: let the server choose again.
      f.allocated = 0;
      request(f);
      return;
    }
  }
  if (f.spec.listen.is_socket()) {
    log::error("Warning: remote port forwarding failed for listen path %s (%s): the server refused the request",
               f.spec.listen.socket_path.c_str(), f.describe().c_str());
  } else {
    log::error("Warning: remote port forwarding failed for listen port %u (%s): the server refused the request",
               f.asked_port(), f.describe().c_str());
  }
  settle(f, false);
}

void RemoteForwards::stop_retry(Entry& f) {
  f.retrying = false;
  if (f.retry_timer != nullptr) uv_timer_stop(f.retry_timer);
}

void RemoteForwards::answer(Entry& f, bool ok) {
  auto callbacks = std::move(f.answered);
  f.answered.clear();
  const std::uint32_t port = f.spec.listen.is_socket() ? 0 : f.asked_port();
  for (auto& callback : callbacks) callback(ok, port);
}

bool RemoteForwards::when_answered(const config::ForwardSpec& spec, Answered answered) {
  const std::string key = config::to_string(spec);
  for (auto& f : forwards_) {
    if (config::to_string(f->spec) != key) continue;
    const bool waiting = f->asking || session_ == nullptr;
    if (waiting && !closed_) {
      f->answered.push_back(std::move(answered));
    } else {
      answered(f->ready, f->spec.listen.is_socket() ? 0 : f->asked_port());
    }
    return true;
  }
  return false;
}

void RemoteForwards::settle(Entry& f, bool ok) {
  f.asking = false;
  answer(f, ok);
  if (f.settled) return;
  f.settled = true;
  if (!ok) all_ok_ = false;
  if (unsettled_ > 0 && --unsettled_ == 0 && done_) {
    auto callback = std::move(done_);
    done_ = nullptr;
    callback(all_ok_);
  }
}

void RemoteForwards::detach(SshSession& session) {
  if (&session != session_) return;
  unregister(session);
  session_ = nullptr;
  ++generation_;
  done_ = nullptr;
  unsettled_ = 0;
  for (auto& f : forwards_) {
    f->ready = false;
    f->settled = true;
    f->asking = false;
    stop_retry(*f);
  }
  // Connects not yet answered belong to channels of that connection.
  for (PendingConnect* pc : std::unordered_set<PendingConnect*>(pending_)) {
    pc->attempt->cancel();
    pc->session->reject_channel(pc->id, kConnectFailed, "connection going away");
    pending_.erase(pc);
    delete pc;
  }
}

RemoteForwards::Entry* RemoteForwards::match(const Incoming& incoming) {
  if (incoming.streamlocal) {
    for (auto& f : forwards_) {
      if (f->ready && f->spec.listen.is_socket() && f->spec.listen.socket_path == incoming.socket_path) return f.get();
    }
    return nullptr;
  }
  // The server names the address and port it listened on (RFC 4254 §7.2). It may spell the address
  // differently from our request (a server normalising "localhost"), so a unique port match is
  // accepted too.
  Entry* by_port = nullptr;
  std::size_t port_matches = 0;
  for (auto& f : forwards_) {
    if (!f->ready || f->spec.listen.is_socket() || f->asked_port() != incoming.tcpip.connected_port) continue;
    if (f->bind_address == incoming.tcpip.connected_address) return f.get();
    by_port = f.get();
    ++port_matches;
  }
  return port_matches == 1 ? by_port : nullptr;
}

void RemoteForwards::on_channel_open(SshSession& session, const ssh::event::ChannelOpenRequest& request) {
  namespace ct = ssh::connection::channel_type;
  if (closed_ || &session != session_) {
    session.reject_channel(request.id, kProhibited, "no remote forwards on this connection");
    return;
  }
  Incoming incoming;
  incoming.streamlocal = request.type == ct::kForwardedStreamlocal;
  bool parsed = false;
  if (incoming.streamlocal) {
    if (auto open = ct::parse_forwarded_streamlocal(request.data)) {
      incoming.socket_path = open->socket_path;
      parsed = true;
    }
  } else if (auto open = ct::parse_forwarded_tcpip(request.data)) {
    incoming.tcpip = *open;
    parsed = true;
  }
  if (!parsed) {
    // A bad open costs the server this channel, not the connection.
    log::info("Refusing a %s channel: malformed open data", request.type.c_str());
    session.reject_channel(request.id, kProhibited, "malformed " + request.type + " data");
    return;
  }
  Entry* f = match(incoming);
  const std::string where = incoming.streamlocal
                                ? incoming.socket_path
                                : host_port(incoming.tcpip.connected_address, incoming.tcpip.connected_port);
  if (f == nullptr) {
    log::info("Refusing a %s channel for %s: no such remote forward", request.type.c_str(), where.c_str());
    session.reject_channel(request.id, kProhibited, "no such remote forward");
    return;
  }
  std::string label = "remote forward " + f->describe();
  if (!incoming.streamlocal) {
    label += " from " + host_port(incoming.tcpip.originator_address, incoming.tcpip.originator_port);
  }
  log::debug("%s: connection", label.c_str());
  if (!f->spec.target) {
    // Reverse SOCKS: the destination is only known from the client's request on the channel.
    create_pump(session, *f, std::make_unique<RemoteSocks>(loop_, resolver_, label, permitted_opens_), label)
        ->accept(request.id);
    return;
  }
  connect_then_accept(session, *f, request.id, std::move(label));
}

void RemoteForwards::connect_then_accept(SshSession& session, Entry& f, ssh::ChannelId id, std::string label) {
  auto* pc = new PendingConnect{&session, id, nullptr};
  pending_.insert(pc);
  const std::string target = f.target();
  // Entries are never freed before the registry (removed ones are retired, inert), and the registry
  // cancels pending connects when it closes.
  auto on_connected = [this, pc, label, target, entry = &f, counters = f.counters](net::ConnectResult result) {
    pending_.erase(pc);
    SshSession& s = *pc->session;
    const ssh::ChannelId channel = pc->id;
    delete pc;
    if (result.stream == nullptr) {
      log::info("%s: connect to %s failed: %s", label.c_str(), target.c_str(), result.error.c_str());
      counters->failed(OpenFailure::connect_failed);
      s.reject_channel(channel, kConnectFailed, "connect failed");
      return;
    }
    create_pump(s, *entry, std::make_unique<StreamEnd>(result.stream), label)->accept(channel);
  };
  const config::ForwardEndpoint& t = *f.spec.target;
  pc->attempt = t.is_socket() ? net::connect_unix(loop_, t.socket_path, std::move(on_connected))
                              : net::connect_tcp(loop_, resolver_, t.host, t.port, std::move(on_connected));
}

void RemoteForwards::cancel_on_server(Entry& f) {
  if (!f.ready || session_ == nullptr || !session_->authenticated()) return;
  f.ready = false;
  // Best effort: the server stops listening; nobody waits for the answer. The request is built
  // now, so the lambda does not outlive its use of `f`.
  const bool socket = f.spec.listen.is_socket();
  const std::string path = f.spec.listen.socket_path;
  const std::string bind = f.bind_address;
  const std::uint32_t port = f.asked_port();
  session_->global_request(
      [&](ssh::Client& client) {
        return socket ? client.cancel_streamlocal_forward(path) : client.cancel_tcpip_forward(bind, port);
      },
      [](const ssh::event::GlobalRequestResult&) {});
  log::verbose("Cancelled remote forward %s", f.describe().c_str());
}

bool RemoteForwards::add(const config::ForwardSpec& spec) {
  if (closed_) return false;
  const std::string key = config::to_string(spec);
  for (const auto& f : forwards_) {
    if (config::to_string(f->spec) == key) return false;
  }
  auto f = std::make_unique<Entry>();
  f->owner = this;
  f->bind_address = bind_address_for(spec.listen);
  f->spec = spec;
  Entry* added = f.get();
  forwards_.push_back(std::move(f));
  if (session_ != nullptr) request(*added);
  return true;
}

bool RemoteForwards::remove(const config::ForwardSpec& spec) {
  const std::string key = config::to_string(spec);
  const auto it = std::find_if(forwards_.begin(), forwards_.end(),
                               [&](const std::unique_ptr<Entry>& f) { return config::to_string(f->spec) == key; });
  if (it == forwards_.end()) return false;
  // Kept (inert) because replies and timers may still point at it; connections carry on.
  Entry& f = **it;
  answer(f, false);
  f.retired = true;
  stop_retry(f);
  close_timer(f.retry_timer);
  cancel_on_server(f);
  settle(f, true);
  retired_.push_back(std::move(*it));
  forwards_.erase(it);
  return true;
}

void RemoteForwards::close() {
  if (closed_) return;
  closed_ = true;
  for (auto& f : forwards_) {
    answer(*f, false);
    cancel_on_server(*f);
  }
  for (PendingConnect* pc : std::unordered_set<PendingConnect*>(pending_)) {
    pc->attempt->cancel();
    pc->session->reject_channel(pc->id, kConnectFailed, "forward closing");
    delete pc;
  }
  pending_.clear();
  pumps_.abort_all();
  for (auto& f : forwards_) {
    f->ready = false;
    f->retrying = false;
    close_timer(f->retry_timer);
  }
  if (session_ != nullptr) unregister(*session_);
  session_ = nullptr;
  done_ = nullptr;
  ++generation_;
}

}  // namespace gateway
