#include "socks/server_codec.hpp"

#include <algorithm>
#include <utility>

namespace socks {

namespace {

void append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }

}  // namespace

ServerCodec::ServerCodec(ServerConfig config) : config_(config) {}

Step ServerCodec::feed(ByteView data) {
  if (stage_ == Stage::failed) {
    Step s;
    s.kind = Step::Kind::error;
    s.error = error_;
    return s;
  }
  if (stage_ == Stage::done) {
    // The caller should stop reading until the channel is open; a bound keeps a caller that does not
    // from growing memory. No reply is built: only the caller knows whether it already answered.
    if (data.size() > config_.max_early_data_bytes - std::min(remaining_.size(), config_.max_early_data_bytes)) {
      return fail(ErrorCode::too_much_buffered, {});
    }
    remaining_.insert(remaining_.end(), data.begin(), data.end());
    return {};
  }
  if (stage_ == Stage::awaiting_verdict) {
    if (data.size() > config_.max_handshake_bytes - std::min(unparsed().size(), config_.max_handshake_bytes)) {
      return fail(ErrorCode::too_much_buffered, {});
    }
    buffer_.insert(buffer_.end(), data.begin(), data.end());
    return {};
  }
  buffer_.insert(buffer_.end(), data.begin(), data.end());
  return run({});
}

Step ServerCodec::answer_credentials(bool accepted) {
  if (stage_ != Stage::awaiting_verdict) return fail(ErrorCode::misuse, {});
  if (!accepted) return fail(ErrorCode::auth_rejected, {});
  stage_ = Stage::request;
  return run(encode_auth_status(true));
}

Bytes ServerCodec::take_remaining() { return std::exchange(remaining_, {}); }

Step ServerCodec::run(Bytes send) {
  Step step;
  while (true) {
    const ByteView in = unparsed();
    switch (stage_) {
      case Stage::first_byte: {
        if (in.empty()) break;
        if (in[0] == 0x05) {
          version_ = Version::socks5;
          stage_ = Stage::methods;
          continue;
        }
        if (in[0] == 0x04) {
          version_ = Version::socks4;
          stage_ = Stage::socks4_request;
          // SOCKS4 carries no password: with authentication required it would be a way around it.
          if (!config_.allow_socks4 || config_.auth == AuthMode::username_password) {
            return fail(ErrorCode::socks4_not_allowed, std::move(send));
          }
          continue;
        }
        return fail(ErrorCode::unsupported_version, std::move(send));
      }
      case Stage::socks4_request: {
        auto p = parse_socks4_request(in, config_.socks4_limits);
        if (p.status == ParseStatus::error) return fail(p.error, std::move(send));
        if (p.status == ParseStatus::need_more) break;
        consumed_ += p.consumed;
        version_ = p.value.version;
        step.request = std::move(p.value);
        stage_ = Stage::done;
        continue;
      }
      case Stage::methods: {
        auto p = parse_method_offer(in);
        if (p.status == ParseStatus::error) return fail(p.error, std::move(send));
        if (p.status == ParseStatus::need_more) break;
        consumed_ += p.consumed;
        const std::uint8_t wanted =
            config_.auth == AuthMode::username_password ? method_username_password : method_no_auth;
        const auto& offered = p.value.methods;
        if (std::find(offered.begin(), offered.end(), wanted) == offered.end()) {
          return fail(ErrorCode::no_acceptable_methods, std::move(send));
        }
        append(send, encode_method_selection(wanted));
        stage_ = wanted == method_username_password ? Stage::auth : Stage::request;
        continue;
      }
      case Stage::auth: {
        auto p = parse_username_password(in);
        if (p.status == ParseStatus::error) return fail(p.error, std::move(send));
        if (p.status == ParseStatus::need_more) break;
        consumed_ += p.consumed;
        stage_ = Stage::awaiting_verdict;
        step.kind = Step::Kind::credentials;
        step.send = std::move(send);
        step.credentials = std::move(p.value);
        return step;
      }
      case Stage::request: {
        auto p = parse_socks5_request(in);
        if (p.status == ParseStatus::error) return fail(p.error, std::move(send));
        if (p.status == ParseStatus::need_more) break;
        consumed_ += p.consumed;
        step.request = std::move(p.value);
        stage_ = Stage::done;
        continue;
      }
      case Stage::done: {
        // Whatever followed the request is the client's first application data.
        remaining_.insert(remaining_.end(), in.begin(), in.end());
        wipe_buffer();
        step.kind = Step::Kind::connect;
        step.send = std::move(send);
        return step;
      }
      case Stage::awaiting_verdict:
      case Stage::failed:
        return fail(ErrorCode::misuse, std::move(send));
    }
    break;
  }
  // Need more bytes: keep only the unparsed tail, and bound it.
  if (unparsed().size() > config_.max_handshake_bytes) return fail(ErrorCode::too_much_buffered, std::move(send));
  if (consumed_ != 0) {
    ssh::SecretBytes rest(unparsed().begin(), unparsed().end());
    buffer_.swap(rest);
    consumed_ = 0;
  }
  step.send = std::move(send);
  return step;
}

Bytes ServerCodec::error_reply(ErrorCode code) const {
  switch (code) {
    case ErrorCode::unsupported_version:
    case ErrorCode::misuse:
      return {};
    case ErrorCode::no_acceptable_methods:
      return encode_method_selection(method_none_acceptable);
    case ErrorCode::bad_auth_version:
    case ErrorCode::auth_rejected:
      return encode_auth_status(false);
    case ErrorCode::command_not_supported:
      return encode_failure(version_, ReplyCode::command_not_supported);
    case ErrorCode::address_type_not_supported:
      return encode_failure(version_, ReplyCode::address_type_not_supported);
    case ErrorCode::socks4_not_allowed:
      return encode_failure(version_, ReplyCode::not_allowed);
    case ErrorCode::bad_request_version:
    case ErrorCode::malformed_address:
    case ErrorCode::field_too_long:
      return encode_failure(version_, ReplyCode::general_failure);
    case ErrorCode::too_much_buffered:
      // Answer in the message the client is waiting for.
      switch (stage_) {
        case Stage::methods:
          return encode_method_selection(method_none_acceptable);
        case Stage::auth:
        case Stage::awaiting_verdict:
          return encode_auth_status(false);
        case Stage::done:
          return {};
        case Stage::first_byte:
        case Stage::socks4_request:
        case Stage::request:
        case Stage::failed:
          return encode_failure(version_, ReplyCode::general_failure);
      }
      return {};
  }
  return {};
}

Step ServerCodec::fail(ErrorCode code, Bytes send) {
  append(send, error_reply(code));
  stage_ = Stage::failed;
  error_ = code;
  wipe_buffer();
  remaining_.clear();
  Step s;
  s.kind = Step::Kind::error;
  s.send = std::move(send);
  s.error = code;
  return s;
}

void ServerCodec::wipe_buffer() {
  // Releasing the storage runs the wiping allocator over all of it.
  ssh::SecretBytes().swap(buffer_);
  consumed_ = 0;
}

}  // namespace socks
