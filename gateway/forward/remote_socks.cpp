#include "gateway/forward/remote_socks.hpp"

#include "gateway/core/log.hpp"
#include "gateway/net/listener.hpp"
#include "socks/address.hpp"

namespace gateway {
namespace {

// A client that has not completed its SOCKS request by then is dropped (it holds a channel).
constexpr std::uint64_t kHandshakeTimeoutMs = 30000;

}  // namespace

RemoteSocks::RemoteSocks(uv_loop_t* loop, net::Resolver& resolver, SshSession& session, ssh::ChannelId id,
                         std::string label, OnFinished on_finished)
    : loop_(loop),
      resolver_(resolver),
      session_(session),
      id_(id),
      label_(std::move(label)),
      on_finished_(std::move(on_finished)) {
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uv_timer_start(timer_, [](uv_timer_t* t) { static_cast<RemoteSocks*>(t->data)->fail("SOCKS handshake timed out"); },
                 kHandshakeTimeoutMs, 0);
}

RemoteSocks::~RemoteSocks() {
  if (attempt_) attempt_->cancel();
  stop_timer();
}

void RemoteSocks::stop_timer() {
  if (timer_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  timer_ = nullptr;
}

socks::ReplyCode RemoteSocks::reply_for_connect_error(int uv_status) {
  switch (uv_status) {
    case UV_ECONNREFUSED:
      return socks::ReplyCode::connection_refused;
    case UV_ENETUNREACH:
    case UV_ENETDOWN:
      return socks::ReplyCode::network_unreachable;
    case UV_EHOSTUNREACH:
    case UV_EHOSTDOWN:
    case UV_ETIMEDOUT:
    case UV_EAI_NONAME:
    case UV_EAI_AGAIN:
    case UV_EAI_FAIL:
    case UV_EAI_NODATA:
      return socks::ReplyCode::host_unreachable;
    case UV_EAI_ADDRFAMILY:
    case UV_EAI_FAMILY:
    case UV_EAFNOSUPPORT:
      return socks::ReplyCode::address_type_not_supported;
    default:
      return socks::ReplyCode::general_failure;
  }
}

void RemoteSocks::on_data_flush() {
  if (splice_) splice_->on_data_flush();
}

void RemoteSocks::on_data(ssh::Bytes data, std::uint32_t extended_type) {
  if (splice_) {
    splice_->on_data(std::move(data), extended_type);
    return;
  }
  if (extended_type != 0 || closing_) {
    session_.consume(id_, data.size());
    return;
  }
  if (requested_) {
    // Connecting: held unacknowledged (the window bounds it) and written once connected.
    early_.insert(early_.end(), data.begin(), data.end());
    return;
  }
  const std::size_t n = data.size();
  handle(codec_.feed(data), n);
}

void RemoteSocks::handle(socks::Step step, std::size_t fed) {
  if (!step.send.empty()) send_to_channel(std::move(step.send));
  switch (step.kind) {
    case socks::Step::Kind::need_more:
      session_.consume(id_, fed);
      return;
    case socks::Step::Kind::credentials:
      // Not configured (the codec runs without authentication); a client cannot get here.
      session_.consume(id_, fed);
      fail("unexpected SOCKS credentials");
      return;
    case socks::Step::Kind::error:
      session_.consume(id_, fed);
      fail(socks::to_string(step.error));
      return;
    case socks::Step::Kind::connect:
      requested_ = true;
      request_ = std::move(step.request);
      early_ = codec_.take_remaining();
      // Handshake bytes are done with; bytes after the request are acknowledged by the splice
      // once written to the local socket.
      session_.consume(id_, fed > early_.size() ? fed - early_.size() : 0);
      if (timer_ != nullptr) uv_timer_stop(timer_);
      connect();
      return;
  }
}

void RemoteSocks::connect() {
  const std::string host = socks::host_string(request_.destination);
  label_ += " -> " + host + ":" + std::to_string(request_.port);
  log::debug("%s: connecting", label_.c_str());
  attempt_ = net::connect_tcp(loop_, resolver_, host, request_.port,
                              [this](net::ConnectResult result) { on_connected(std::move(result)); });
}

void RemoteSocks::on_connected(net::ConnectResult result) {
  attempt_.reset();
  if (result.stream == nullptr) {
    log::info("%s: connect failed: %s", label_.c_str(), result.error.c_str());
    send_to_channel(socks::encode_failure(request_, reply_for_connect_error(result.status)));
    if (!closing_) {
      closing_ = true;
      session_.close_channel(id_);
    }
    return;
  }
  if (closing_) {
    net::close_stream(result.stream);
    return;
  }
  splice_ = std::make_unique<StreamSplice>(session_, result.stream, label_, [this](StreamSplice*) { finish(); });
  splice_->attach(id_);
  ssh::Bytes first = std::move(out_);
  out_.clear();
  const ssh::Bytes reply = socks::encode_success(request_);
  first.insert(first.end(), reply.begin(), reply.end());
  // The reply goes to the channel ahead of anything read from the local socket.
  splice_->set_open_replies({}, nullptr, std::move(first));
  splice_->on_open_confirmed();
  if (!early_.empty()) {
    splice_->on_data(std::move(early_), 0);
    splice_->on_data_flush();  // not within a session dispatch: nothing else will flush it
  }
  early_.clear();
  if (remote_eof_) splice_->on_eof();
}

void RemoteSocks::send_to_channel(ssh::Bytes bytes) {
  out_.insert(out_.end(), bytes.begin(), bytes.end());
  flush_out();
}

void RemoteSocks::flush_out() {
  if (out_.empty()) return;
  const std::size_t n = session_.send(id_, out_);
  out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(n));
  if (!out_.empty()) session_.want_writable(id_);
}

void RemoteSocks::on_writable() {
  if (splice_) {
    splice_->on_writable();
    return;
  }
  flush_out();
}

void RemoteSocks::on_eof() {
  if (splice_) {
    splice_->on_eof();
    return;
  }
  remote_eof_ = true;
  if (!requested_) fail("client closed during the SOCKS handshake");
}

void RemoteSocks::on_open_failed(std::uint32_t, const std::string&) { on_closed(); }

void RemoteSocks::on_closed() {
  if (splice_) {
    splice_->on_closed();
    return;
  }
  if (attempt_) {
    attempt_->cancel();
    attempt_.reset();
  }
  finish();
}

void RemoteSocks::fail(const std::string& why) {
  log::debug("%s: %s", label_.c_str(), why.c_str());
  stop_timer();
  if (closing_) return;
  closing_ = true;
  session_.close_channel(id_);
}

void RemoteSocks::abort() {
  if (splice_) {
    splice_->abort();
    return;
  }
  if (attempt_) {
    attempt_->cancel();
    attempt_.reset();
  }
  fail("forward closing");
}

void RemoteSocks::finish() {
  if (finished_) return;
  finished_ = true;
  stop_timer();
  on_finished_(this);
}

}  // namespace gateway
