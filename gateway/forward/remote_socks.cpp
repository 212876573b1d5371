#include "gateway/forward/remote_socks.hpp"

#include "gateway/util/log.hpp"
#include "socks/address.hpp"

namespace gateway {
namespace {

// A client that has not completed its SOCKS request and been connected by then is dropped (it
// holds a channel).
constexpr std::chrono::milliseconds kHandshakeTimeout{30000};

}  // namespace

RemoteSocks::RemoteSocks(uv_loop_t* loop, net::Resolver& resolver, std::string label,
                         std::vector<std::string> permitted)
    : HandshakeEnd(loop, kHandshakeTimeout, std::move(label)), resolver_(resolver), permitted_(std::move(permitted)) {}

// PermitRemoteOpen, as ssh matches it: the host exactly as the client named it (or "*"), the port
// (or "*"); "any" allows everything, "none" nothing.
bool RemoteSocks::permitted(const std::string& host, std::uint16_t port) const {
  if (permitted_.empty()) return true;
  for (const auto& entry : permitted_) {
    if (entry == "any") return true;
    const auto colon = entry.rfind(':');
    if (colon == std::string::npos) continue;
    std::string allowed_host = entry.substr(0, colon);
    if (allowed_host.size() > 2 && allowed_host.front() == '[' && allowed_host.back() == ']') {
      allowed_host = allowed_host.substr(1, allowed_host.size() - 2);
    }
    const std::string allowed_port = entry.substr(colon + 1);
    if ((allowed_host == "*" || allowed_host == host) &&
        (allowed_port == "*" || allowed_port == std::to_string(port))) {
      return true;
    }
  }
  return false;
}

RemoteSocks::~RemoteSocks() { cancel(); }

void RemoteSocks::cancel() {
  if (attempt_) attempt_->cancel();
  attempt_.reset();
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

std::size_t RemoteSocks::handshake_data(ssh::ByteView data) {
  socks::Step step = codec_.feed(data);
  if (!step.send.empty()) reply(std::move(step.send));
  switch (step.kind) {
    case socks::Step::Kind::need_more:
      return data.size();
    case socks::Step::Kind::credentials:
      // Not configured (the codec runs without authentication); a client cannot get here.
      fail("unexpected SOCKS credentials");
      return data.size();
    case socks::Step::Kind::error:
      fail(socks::to_string(step.error));
      return data.size();
    case socks::Step::Kind::connect:
      break;
  }
  request_ = std::move(step.request);
  handshake_complete();
  // Bytes after the request belong to the destination.
  const std::size_t early = codec_.take_remaining().size();
  const std::string host = socks::host_string(request_.destination);
  label_ += " -> " + host + ":" + std::to_string(request_.port);
  if (!permitted(host, request_.port)) {
    log::info("%s: refused by PermitRemoteOpen", label_.c_str());
    reply(socks::encode_failure(request_, socks::ReplyCode::not_allowed));
    fail("not permitted");
    return data.size() - early;
  }
  log::debug("%s: connecting", label_.c_str());
  attempt_ = net::connect_tcp(loop_, resolver_, host, request_.port,
                              [this](net::ConnectResult result) { on_connected(std::move(result)); });
  return data.size() - early;
}

void RemoteSocks::on_connected(net::ConnectResult result) {
  attempt_.reset();
  if (result.stream == nullptr) {
    log::info("%s: connect failed: %s", label_.c_str(), result.error.c_str());
    reply(socks::encode_failure(request_, reply_for_connect_error(result.status)));
    fail("connect failed");
    return;
  }
  // The success reply reaches the channel ahead of anything the destination sends.
  reply(socks::encode_success(request_));
  connected(result.stream);
}

}  // namespace gateway
