#include "gateway/pool/link_jump.hpp"

#include "gateway/auth/host_key_policy.hpp"
#include "gateway/pool/session_settings.hpp"
#include "gateway/util/liveness.hpp"
#include "gateway/util/log.hpp"
#include "ssh/connection/channel_types.hpp"

namespace gateway {
namespace {

// RFC 4254 §5.1 reason codes, as ssh words them.
std::string open_failure_text(std::uint32_t reason) {
  switch (reason) {
    case 1:
      return "administratively prohibited";
    case 2:
      return "connect failed";
    case 3:
      return "unknown channel type";
    case 4:
      return "resource shortage";
    default:
      return "reason " + std::to_string(reason);
  }
}

// The hop's connection and authenticator outlive this link by one loop turn: the link may be
// destroyed from inside their callbacks (a failure travelling up to the session's owner).
struct Remains {
  std::unique_ptr<SshSession> session;
  std::unique_ptr<auth::Authenticator> authenticator;
  uv_timer_t timer{};
};

void destroy_later(uv_loop_t* loop, std::unique_ptr<SshSession> session,
                   std::unique_ptr<auth::Authenticator> authenticator) {
  if (!session && !authenticator) return;
  auto* remains = new Remains{std::move(session), std::move(authenticator), {}};
  uv_timer_init(loop, &remains->timer);
  remains->timer.data = remains;
  uv_timer_start(
      &remains->timer,
      [](uv_timer_t* t) {
        auto* r = static_cast<Remains*>(t->data);
        r->session.reset();
        r->authenticator.reset();
        uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { delete static_cast<Remains*>(h->data); });
      },
      0, 0);
}

void close_timer(uv_timer_t* t) {
  uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

}  // namespace

void route_through(SessionTarget& target, std::vector<std::shared_ptr<const HopSettings>> hops) {
  // No hops: the target keeps its own link (TCP, or ProxyCommand's process).
  if (hops.empty()) return;
  target.make_link = [hops = std::move(hops)](uv_loop_t* loop, net::Resolver& resolver, const SessionTarget& t,
                                              LinkObserver& observer) -> std::unique_ptr<Link> {
    // The last hop carries us; it is reached through the hops before it (each its own session).
    std::vector<std::shared_ptr<const HopSettings>> before(hops.begin(), hops.end() - 1);
    return std::make_unique<JumpLink>(loop, resolver, hops.back(), std::move(before), t.connect_host, t.port,
                                      t.socket.connect_timeout, observer);
  };
}

// The pump's local end: what the session carried through this link writes is its input, and the
// channel's bytes are handed to that session, held while it pauses reading.
class JumpLink::Bridge final : public LocalEnd {
 public:
  Bridge(JumpLink& link, uv_loop_t* loop) : link_(&link) {
    resume_timer_ = new uv_timer_t;
    uv_timer_init(loop, resume_timer_);
    resume_timer_->data = this;
  }
  ~Bridge() override {
    if (resume_timer_ != nullptr) close_timer(resume_timer_);
  }
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  // The link is going away; the bridge lives on until the pump closes it.
  void detach() { link_ = nullptr; }
  std::size_t queued() const { return queued_; }

  // Bytes the session above wrote, for the channel.
  void push(ssh::Bytes bytes) {
    if (closing_ || bytes.empty()) return;
    if (reading_ && out_.empty()) {
      owner_->on_local_data(bytes);
      return;
    }
    queued_ += bytes.size();
    out_.push_back(std::move(bytes));
  }

  void pause(bool paused) {
    paused_ = paused;
    if (!paused_ && !in_.empty()) {
      // Not from inside the owner's call: it may be in the middle of handling earlier bytes.
      uv_timer_start(
          resume_timer_, [](uv_timer_t* t) { static_cast<Bridge*>(t->data)->deliver(); }, 0, 0);
    }
  }

  void bind(LocalEndOwner& owner) override { owner_ = &owner; }

  void read_start() override {
    if (closing_) return;
    reading_ = true;
    while (reading_ && !out_.empty() && !closing_) {
      ssh::Bytes bytes = std::move(out_.front());
      out_.pop_front();
      queued_ -= bytes.size();
      owner_->on_local_data(bytes);
    }
    if (reading_ && backlog_ && link_ != nullptr) {
      backlog_ = false;
      link_->observer_.on_link_drained();
    }
  }

  void read_stop() override {
    reading_ = false;
    backlog_ = true;
  }

  void write(std::vector<ssh::Bytes> parts, Stream stream) override {
    std::size_t credit = 0;
    for (const auto& p : parts) credit += p.size();
    if (stream != Stream::data || closing_ || parts.empty()) {
      // direct-tcpip carries no extended data (RFC 4254 §7.2); nothing of ours goes to the session.
      owner_->on_local_written(stream == Stream::control ? 0 : credit);
      return;
    }
    for (std::size_t i = 0; i < parts.size(); ++i) {
      in_.push_back(Piece{std::move(parts[i]), i + 1 == parts.size() ? credit : 0, i + 1 == parts.size()});
    }
    deliver();
  }

  void shutdown_output() override {
    eof_ = true;
    deliver();
  }

  void close() override {
    if (closing_) return;
    closing_ = true;
    reading_ = false;
    // Every write completes once, delivered or not.
    while (!in_.empty()) {
      const Piece piece = std::move(in_.front());
      in_.pop_front();
      if (piece.last) owner_->on_local_written(piece.credit);
    }
    out_.clear();
    queued_ = 0;
    resume_timer_->data = this;
    uv_close(reinterpret_cast<uv_handle_t*>(resume_timer_), [](uv_handle_t* h) {
      auto* self = static_cast<Bridge*>(h->data);
      delete reinterpret_cast<uv_timer_t*>(h);
      self->resume_timer_ = nullptr;
      self->owner_->on_local_closed();  // last: the pump may delete us
    });
  }

 private:
  struct Piece {
    ssh::Bytes bytes;
    std::size_t credit;  // the whole write's, on its last piece
    bool last;
  };

  void deliver() {
    if (delivering_) return;
    delivering_ = true;
    while (!in_.empty() && !paused_ && !closing_ && link_ != nullptr) {
      Piece piece = std::move(in_.front());
      in_.pop_front();
      link_->observer_.on_link_data(piece.bytes);
      // Window credit goes back only now that the session above has taken the bytes.
      if (piece.last) owner_->on_local_written(piece.credit);
    }
    delivering_ = false;
    if (eof_ && in_.empty() && !eof_reported_ && !closing_) {
      eof_reported_ = true;
      if (link_ != nullptr) link_->on_channel_ended();
      owner_->on_local_output_shut();
    }
  }

  JumpLink* link_;
  LocalEndOwner* owner_ = nullptr;
  uv_timer_t* resume_timer_ = nullptr;  // delivers held data on a later turn after resume
  std::deque<ssh::Bytes> out_;          // from the session above, waiting for the pump to read
  std::size_t queued_ = 0;
  std::deque<Piece> in_;  // for the session above, waiting while it pauses
  bool reading_ = false;
  bool backlog_ = false;  // reading stopped: tell the session above once it resumes
  bool paused_ = false;
  bool eof_ = false;
  bool eof_reported_ = false;
  bool delivering_ = false;
  bool closing_ = false;
};

JumpLink::JumpLink(uv_loop_t* loop, net::Resolver& resolver, std::shared_ptr<const HopSettings> hop,
                   std::vector<std::shared_ptr<const HopSettings>> before, std::string host, std::uint16_t port,
                   std::chrono::milliseconds connect_timeout, LinkObserver& observer)
    : loop_(loop),
      resolver_(resolver),
      hop_(std::move(hop)),
      before_(std::move(before)),
      host_(std::move(host)),
      port_(port),
      connect_timeout_(connect_timeout),
      observer_(observer) {
  timeout_timer_ = new uv_timer_t;
  uv_timer_init(loop_, timeout_timer_);
  timeout_timer_->data = this;
}

JumpLink::~JumpLink() {
  close({});
  *alive_ = false;
  if (pump_ != nullptr) {
    // It finishes on its own once its end has closed; it must not call back into us.
    pump_->set_observer(nullptr);
    if (bridge_ != nullptr) bridge_->detach();
  }
  close_timer(timeout_timer_);
  destroy_later(loop_, std::move(session_), std::move(authenticator_));
}

const std::string& JumpLink::hop_name() const {
  return hop_->target.host;
}

std::string JumpLink::where() const {
  return "jump host " + hop_->target.host + ": ";
}

std::string JumpLink::target_text() const {
  return host_ + " port " + std::to_string(port_);
}

void JumpLink::start() {
  if (finished_ || session_) return;
  SessionTarget target = hop_->target;
  route_through(target, before_);
  log::verbose("Connecting to %s port %u through jump host %s", host_.c_str(), port_, hop_name().c_str());
  authenticator_ = std::make_unique<auth::Authenticator>(hop_->auth);
  session_ = std::make_unique<SshSession>(loop_, resolver_, std::move(target), hop_->client,
                                          static_cast<SessionDelegate&>(*this));
  if (connect_timeout_.count() > 0) {
    uv_timer_start(
        timeout_timer_, [](uv_timer_t* t) { static_cast<JumpLink*>(t->data)->on_timeout(); },
        static_cast<std::uint64_t>(connect_timeout_.count()), 0);
  }
  session_->start();
}

void JumpLink::on_timeout() {
  if (finished_ || established_) return;
  if (open_) {
    fail(where() + "Connection timed out during banner exchange with " + target_text());
  } else {
    fail(where() + "Connection timed out reaching " + target_text());
  }
}

bool JumpLink::verify_host_key(SshSession& session, const ssh::event::HostKey& key) {
  return auth::verify_host_key(hop_->host_keys, key, session.peer_address());
}

void JumpLink::on_auth_event(SshSession& session, const ssh::Event& event) {
  if (authenticator_) authenticator_->handle(session, event);
}

void JumpLink::on_authenticated(SshSession& session, const std::string& method) {
  if (finished_ || pump_ != nullptr) return;
  log::verbose("Authenticated to jump host %s (%s port %u) using \"%s\".", hop_name().c_str(),
               session.target().connect_host.c_str(), session.target().port, method.c_str());
  auto bridge = std::make_unique<Bridge>(*this, loop_);
  bridge_ = bridge.get();
  std::weak_ptr<bool> alive = alive_;
  pump_ = new ChannelPump(session, std::move(bridge), "jump host " + hop_name() + " -> " + target_text(),
                          [this, alive](ChannelPump* done) {
                            if (util::still_alive(alive)) {
                              pump_ = nullptr;
                              bridge_ = nullptr;
                            }
                            delete done;
                          });
  pump_->set_observer(this);
  bridge_->pause(paused_);
  // The originator is informational (RFC 4254 §7.2); ssh -W sends the loopback address too.
  namespace ct = ssh::connection::channel_type;
  pump_->open(ct::kDirectTcpip, ct::direct_tcpip(host_, port_, "127.0.0.1", 0));
}

void JumpLink::on_disconnected(SshSession& session, const std::string& reason, bool) {
  if (finished_) return;
  // A failure further down the chain already names its hop.
  fail(session.failure_names_hop() ? reason : where() + reason);
}

void JumpLink::on_open_confirmed(ChannelPump&) {
  if (finished_) return;
  log::verbose("Channel to %s through jump host %s is open.", target_text().c_str(), hop_name().c_str());
  open_ = true;
  observer_.on_link_connected();
}

void JumpLink::on_open_failed(ChannelPump&, std::uint32_t reason, const std::string& description) {
  // When the hop's connection itself died, on_disconnected follows with the reason.
  if (finished_ || (session_ && session_->finished())) return;
  std::string why = where() + "cannot open a channel to " + target_text() + ": " + open_failure_text(reason);
  if (!description.empty()) why += " (" + description + ")";
  fail(why);
}

void JumpLink::on_channel_ended() {
  if (finished_ || (session_ && session_->finished())) return;
  fail(where() + "connection to " + target_text() + " closed");
}

void JumpLink::on_finished(ChannelPump&) {}

bool JumpLink::write(ssh::Bytes bytes, std::string& error) {
  if (finished_ || bridge_ == nullptr) {
    error = "connection through jump host " + hop_name() + " is closed";
    return false;
  }
  bridge_->push(std::move(bytes));
  return true;
}

std::size_t JumpLink::queued() const {
  if (bridge_ == nullptr || pump_ == nullptr) return 0;
  return bridge_->queued() + pump_->pending_input();
}

void JumpLink::pause_reading() {
  paused_ = true;
  if (bridge_ != nullptr) bridge_->pause(true);
}

void JumpLink::resume_reading() {
  paused_ = false;
  if (bridge_ != nullptr && !finished_) bridge_->pause(false);
}

void JumpLink::established() {
  established_ = true;
  uv_timer_stop(timeout_timer_);
}

void JumpLink::close(ssh::ByteView farewell) {
  if (finished_) return;
  finished_ = true;
  uv_timer_stop(timeout_timer_);
  if (pump_ != nullptr) {
    // The farewell (a DISCONNECT) goes out ahead of the channel's close.
    if (open_ && !farewell.empty()) bridge_->push(ssh::Bytes(farewell.begin(), farewell.end()));
    pump_->abort();
  }
  // Its DISCONNECT goes out behind the farewell; its callbacks to us are ignored from here on.
  if (session_) session_->shutdown("disconnected by user");
}

void JumpLink::fail(const std::string& why) {
  if (finished_) return;
  close({});
  observer_.on_link_failed(why);
}

}  // namespace gateway
