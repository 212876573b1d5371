#include "gateway/core/link_jump.hpp"

#include "gateway/auth/host_key_policy.hpp"
#include "gateway/core/log.hpp"
#include "gateway/core/session_settings.hpp"

namespace gateway {
namespace {

// RFC 4254 §5.1 reason codes, as ssh words them.
std::string open_failure_text(std::uint32_t reason) {
  switch (reason) {
    case 1: return "administratively prohibited";
    case 2: return "connect failed";
    case 3: return "unknown channel type";
    case 4: return "resource shortage";
    default: return "reason " + std::to_string(reason);
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
  uv_timer_start(&remains->timer, [](uv_timer_t* t) {
    auto* r = static_cast<Remains*>(t->data);
    r->session.reset();
    r->authenticator.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { delete static_cast<Remains*>(h->data); });
  }, 0, 0);
}

void close_timer(uv_timer_t* t) {
  uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

}  // namespace

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
  for (uv_timer_t** t : {&timeout_timer_, &resume_timer_}) {
    *t = new uv_timer_t;
    uv_timer_init(loop_, *t);
    (*t)->data = this;
  }
}

JumpLink::~JumpLink() {
  close({});
  close_timer(timeout_timer_);
  close_timer(resume_timer_);
  destroy_later(loop_, std::move(session_), std::move(authenticator_));
}

const std::string& JumpLink::hop_name() const { return hop_->target.host; }

std::string JumpLink::where() const { return "jump host " + hop_->target.host + ": "; }

std::string JumpLink::target_text() const { return host_ + " port " + std::to_string(port_); }

void JumpLink::start() {
  if (finished_ || session_) return;
  SessionTarget target = hop_->target;
  target.jumps = before_;
  log::verbose("Connecting to %s port %u through jump host %s", host_.c_str(), port_, hop_name().c_str());
  authenticator_ = std::make_unique<auth::Authenticator>(hop_->auth);
  session_ = std::make_unique<SshSession>(loop_, resolver_, std::move(target), hop_->client,
                                          static_cast<SessionDelegate&>(*this));
  if (connect_timeout_.count() > 0) {
    uv_timer_start(timeout_timer_, [](uv_timer_t* t) { static_cast<JumpLink*>(t->data)->on_timeout(); },
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

bool JumpLink::verify_host_key(SshSession&, const ssh::event::HostKey& key) {
  return auth::verify_host_key(hop_->host_keys, key);
}

void JumpLink::on_auth_event(SshSession& session, const ssh::Event& event) {
  if (authenticator_) authenticator_->handle(session, event);
}

void JumpLink::on_authenticated(SshSession& session, const std::string& method) {
  if (finished_) return;
  log::verbose("Authenticated to jump host %s (%s port %u) using \"%s\".", hop_name().c_str(),
               session.target().connect_host.c_str(), session.target().port, method.c_str());
  // The originator is informational (RFC 4254 §7.2); ssh -W sends the loopback address too.
  channel_ = session.open_direct_tcpip(host_, port_, "127.0.0.1", 0, *this);
  if (!channel_ && !finished_) fail(where() + "cannot open a channel to " + target_text());
}

void JumpLink::on_disconnected(SshSession& session, const std::string& reason, bool) {
  if (finished_) return;
  // A failure further down the chain already names its hop.
  fail(session.failure_names_hop() ? reason : where() + reason);
}

void JumpLink::on_open_confirmed() {
  if (finished_) return;
  log::verbose("Channel to %s through jump host %s is open.", target_text().c_str(), hop_name().c_str());
  open_ = true;
  std::weak_ptr<bool> alive = alive_;
  flush();
  if (alive.expired() || finished_) return;
  observer_.on_link_connected();
}

void JumpLink::on_open_failed(std::uint32_t reason, const std::string& description) {
  channel_.reset();
  if (finished_) return;
  std::string why = where() + "cannot open a channel to " + target_text() + ": " + open_failure_text(reason);
  if (!description.empty()) why += " (" + description + ")";
  fail(why);
}

void JumpLink::on_data(ssh::Bytes data, std::uint32_t extended_type) {
  if (finished_ || !channel_) return;
  if (extended_type != 0) {
    // direct-tcpip carries no extended data (RFC 4254 §7.2); drop it but keep the window open.
    session_->consume(*channel_, data.size());
    return;
  }
  in_.push_back(std::move(data));
  deliver();
}

void JumpLink::deliver() {
  if (delivering_) return;
  delivering_ = true;
  std::weak_ptr<bool> alive = alive_;
  while (!in_.empty() && !paused_ && !finished_) {
    ssh::Bytes chunk = std::move(in_.front());
    in_.pop_front();
    observer_.on_link_data(chunk);
    if (alive.expired()) return;
    // Window credit goes back only now that the owner has taken the bytes.
    if (!finished_ && channel_) session_->consume(*channel_, chunk.size());
    if (alive.expired()) return;
  }
  delivering_ = false;
  if (eof_ && in_.empty() && !finished_) fail(where() + "connection to " + target_text() + " closed");
}

void JumpLink::on_writable() {
  if (finished_) return;
  std::weak_ptr<bool> alive = alive_;
  const bool progressed = flush();
  if (alive.expired() || finished_) return;
  if (progressed) observer_.on_link_drained();
}

void JumpLink::on_eof() {
  if (finished_) return;
  eof_ = true;
  deliver();
}

void JumpLink::on_closed() {
  channel_.reset();
  open_ = false;
  // When the hop's connection itself died, on_disconnected follows with the reason.
  if (finished_ || !session_ || session_->finished()) return;
  fail(where() + "connection to " + target_text() + " closed");
}

bool JumpLink::write(ssh::Bytes bytes, std::string& error) {
  if (finished_) {
    error = "connection through jump host " + hop_name() + " is closed";
    return false;
  }
  if (bytes.empty()) return true;
  queued_ += bytes.size();
  out_.push_back(std::move(bytes));
  flush();
  return true;
}

bool JumpLink::flush() {
  if (flushing_ || !open_ || !channel_ || finished_) return false;
  flushing_ = true;
  std::weak_ptr<bool> alive = alive_;
  bool progressed = false;
  while (!out_.empty() && open_ && channel_ && !finished_) {
    const ssh::Bytes& front = out_.front();
    // The hop's session limits this to the channel window and its own socket's output queue;
    // when limited it calls on_writable() once there is room again.
    const std::size_t n = session_->send(*channel_, ssh::ByteView(front).subspan(out_offset_));
    if (alive.expired()) return progressed;
    if (n == 0) break;
    progressed = true;
    out_offset_ += n;
    queued_ -= n;
    if (out_offset_ == front.size()) {
      out_.pop_front();
      out_offset_ = 0;
    }
  }
  flushing_ = false;
  return progressed;
}

void JumpLink::pause_reading() { paused_ = true; }

void JumpLink::resume_reading() {
  if (!paused_) return;
  paused_ = false;
  if (finished_ || (in_.empty() && !eof_)) return;
  // Not from inside the owner's call: it may be in the middle of handling earlier bytes.
  uv_timer_start(resume_timer_, [](uv_timer_t* t) { static_cast<JumpLink*>(t->data)->deliver(); }, 0, 0);
}

void JumpLink::established() {
  established_ = true;
  uv_timer_stop(timeout_timer_);
}

void JumpLink::close(ssh::ByteView farewell) {
  if (finished_) return;
  finished_ = true;
  uv_timer_stop(timeout_timer_);
  uv_timer_stop(resume_timer_);
  if (session_) {
    if (open_ && channel_ && !farewell.empty()) session_->send(*channel_, farewell);
    // Its DISCONNECT goes out behind the farewell; its callbacks to us are ignored from here on.
    session_->shutdown("disconnected by user");
  }
}

void JumpLink::fail(const std::string& why) {
  if (finished_) return;
  close({});
  observer_.on_link_failed(why);
}

}  // namespace gateway
