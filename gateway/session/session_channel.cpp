#include "gateway/session/session_channel.hpp"

#include "gateway/core/ssh_session.hpp"
#include "gateway/util/liveness.hpp"
#include "gateway/util/log.hpp"
#include "ssh/connection/channel_types.hpp"
#include "ssh/connection/message_numbers.hpp"

namespace gateway::session {
namespace {

// Connections one session may try before its refusal is taken as final (PoolMaxSize's default).
constexpr int kMaxAttempts = 16;

const char* reason_text(std::uint32_t reason) {
  switch (reason) {
    case 1: return "administratively prohibited";
    case 2: return "connect failed";
    case 3: return "unknown channel type";
    case 4: return "resource shortage";
    default: return "unknown reason";
  }
}

}  // namespace

SessionChannel::SessionChannel(uv_loop_t* loop, SessionSetup setup) : loop_(loop), setup_(std::move(setup)) {}

SessionChannel::~SessionChannel() {
  *alive_ = false;
  if (pump_ != nullptr) {
    // It finishes on its own; it must not call back into us.
    pump_->set_observer(nullptr);
    pump_->abort();
  }
}

SshSession* SessionChannel::connection() const {
  return util::still_alive(session_alive_) ? session_ : nullptr;
}

void SessionChannel::open(ConnectionSource& source, std::unique_ptr<LocalEnd> local) {
  source_ = &source;
  auto end = std::make_shared<std::unique_ptr<LocalEnd>>(std::move(local));
  std::weak_ptr<bool> alive = alive_;
  source.acquire_for_session([this, alive, end](SshSession* session) {
    if (!util::still_alive(alive)) return;
    if (session == nullptr) {
      on_no_channel("no connection to the server");
      return;
    }
    open_on(*session, std::move(*end));
  });
}

void SessionChannel::open_on(SshSession& session, std::unique_ptr<LocalEnd> local) {
  ++attempts_;
  session_ = &session;
  session_alive_ = session.liveness();
  attach(session);
  std::weak_ptr<bool> alive = alive_;
  pump_ = new ChannelPump(session, std::move(local), "session", [this, alive](ChannelPump* done) {
    if (util::still_alive(alive) && pump_ == done) pump_ = nullptr;
    delete done;
  });
  pump_->set_observer(this);
  // Nothing is read locally before the command runs (a refused one must not swallow input).
  pump_->hold_input(true);
  pump_->open(ssh::connection::channel_type::kSession, {});
}

void SessionChannel::abort_channel() {
  if (pump_ != nullptr) pump_->abort();
}

bool SessionChannel::request(std::string_view name, ssh::ByteView data) {
  return pump_ != nullptr && pump_->request(name, data, false).has_value();
}

void SessionChannel::on_open_confirmed(ChannelPump& pump) {
  on_channel_open(pump);
  setup_.send(pump, extra_requests(), pty_shape());
}

void SessionChannel::on_open_failed(ChannelPump& pump, std::uint32_t reason, const std::string& description) {
  // sshd refuses a session beyond its MaxSessions like any other open it cannot serve (OpenSSH 9.2
  // says "open failed", reason 2; others say "administratively prohibited"): with sessions open on
  // the connection, that is what it was. Another connection (the pool grows) takes it.
  SshSession* session = connection();
  if (session != nullptr && session->session_count() > 0 && attempts_ < kMaxAttempts && source_ != nullptr) {
    session->note_session_refused();
    if (auto end = pump.detach_end()) {
      log::verbose("The connection takes no more sessions; trying another.");
      pump_ = nullptr;  // this attempt finishes on its own
      open(*source_, std::move(end));
      return;
    }
  }
  on_no_channel(std::string("channel open failed: ") + reason_text(reason) + ": " + description);
}

bool SessionChannel::on_request(ChannelPump&, const ssh::event::ChannelRequest& request) {
  return setup_.take(request);
}

void SessionChannel::on_request_result(ChannelPump& pump, std::uint32_t seq, bool success) {
  std::string what;
  switch (setup_.answer(seq, success, what)) {
    case SessionSetup::Answer::pty_refused:
      on_pty_refused(pump);
      return;
    case SessionSetup::Answer::started:
      pump.hold_input(false);
      on_started(pump);
      return;
    case SessionSetup::Answer::not_started:
      on_not_started(pump);
      return;
    case SessionSetup::Answer::extra_refused:
      on_extra_refused(pump, what);
      return;
    case SessionSetup::Answer::pty_granted:
    case SessionSetup::Answer::unrelated:
      return;
  }
}

void SessionChannel::on_finished(ChannelPump& pump) {
  if (&pump != pump_) return;  // an attempt that handed its end on to another connection
  pump_ = nullptr;
  SshSession* session = connection();
  on_ended(session == nullptr || session->finished());
}

}  // namespace gateway::session
