#include "ssh/auth/user_auth.hpp"

#include <algorithm>
#include <utility>

#include "ssh/auth/message_numbers.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::auth {
namespace {

constexpr std::string_view kUserauthService = "ssh-userauth";
constexpr std::string_view kConnectionService = "ssh-connection";

HandleResult fail(std::string why) {
  return HandleResult{false, std::move(why)};
}

}  // namespace

Bytes publickey_data_to_sign(ByteView session_id, std::string_view user, std::string_view algorithm,
                             ByteView key_blob) {
  // RFC 4252 §7: the session identifier followed by the request as it will be sent, minus the
  // signature itself.
  wire::Writer w;
  w.string(session_id)
      .u8(msg::kUserauthRequest)
      .string(user)
      .string(kConnectionService)
      .string(std::string_view("publickey"))
      .boolean(true)
      .string(algorithm)
      .string(key_blob);
  return w.take();
}

UserAuth::UserAuth(std::string user) : user_(std::move(user)) {}

void UserAuth::start() {
  if (state_ != State::idle) return;
  wire::SecretWriter w(msg::kServiceRequest);
  w.string(kUserauthService);
  out_.push_back(w.take());
  state_ = State::service_requested;
}

const char* UserAuth::method_name(Method m) {
  switch (m) {
    case Method::none_probe:
      return "none";
    case Method::password:
      return "password";
    case Method::publickey_query:
    case Method::publickey_signed:
      return "publickey";
    case Method::keyboard_interactive:
      return "keyboard-interactive";
    case Method::none:
      break;
  }
  return "";
}

SecretBytes UserAuth::request_header(std::string_view method) const {
  wire::SecretWriter w(msg::kUserauthRequest);
  w.string(user_).string(kConnectionService).string(method);
  return w.take();
}

bool UserAuth::request_none() {
  if (!can_attempt()) return false;
  out_.push_back(request_header("none"));
  begin(Method::none_probe);
  return true;
}

bool UserAuth::request_password(std::string_view password) {
  if (!can_attempt()) return false;
  // RFC 4252 §8; the payload is a SecretBytes so the encoded password is wiped when released.
  wire::SecretWriter w(msg::kUserauthRequest);
  w.string(user_).string(kConnectionService).string(std::string_view("password")).boolean(false).string(password);
  out_.push_back(w.take());
  begin(Method::password);
  return true;
}

bool UserAuth::request_publickey_query(std::string_view algorithm, ByteView key_blob) {
  if (!can_attempt()) return false;
  // RFC 4252 §7: FALSE and no signature asks whether the key would be acceptable.
  wire::SecretWriter w(msg::kUserauthRequest);
  w.string(user_)
      .string(kConnectionService)
      .string(std::string_view("publickey"))
      .boolean(false)
      .string(algorithm)
      .string(key_blob);
  out_.push_back(w.take());
  begin(Method::publickey_query);
  return true;
}

bool UserAuth::request_publickey_signed(std::string_view algorithm, ByteView key_blob, ByteView signature_blob) {
  if (!can_attempt()) return false;
  wire::SecretWriter w(msg::kUserauthRequest);
  w.string(user_)
      .string(kConnectionService)
      .string(std::string_view("publickey"))
      .boolean(true)
      .string(algorithm)
      .string(key_blob)
      .string(signature_blob);
  out_.push_back(w.take());
  begin(Method::publickey_signed);
  return true;
}

bool UserAuth::request_keyboard_interactive() {
  if (!can_attempt()) return false;
  // RFC 4256 §3.1: empty language tag and submethods let the server choose.
  wire::SecretWriter w(msg::kUserauthRequest);
  w.string(user_)
      .string(kConnectionService)
      .string(std::string_view("keyboard-interactive"))
      .string(std::string_view(""))
      .string(std::string_view(""));
  out_.push_back(w.take());
  begin(Method::keyboard_interactive);
  return true;
}

bool UserAuth::respond_keyboard_interactive(const std::vector<SecretString>& answers) {
  if (state_ != State::ready || pending_ != Method::keyboard_interactive || !info_request_outstanding_) return false;
  if (answers.size() != outstanding_prompts_) return false;
  wire::SecretWriter w(msg::kUserauthInfoResponse);
  w.u32(static_cast<std::uint32_t>(answers.size()));
  for (const auto& a : answers) w.string(std::string_view(a.data(), a.size()));
  out_.push_back(w.take());
  info_request_outstanding_ = false;
  outstanding_prompts_ = 0;
  return true;
}

void UserAuth::fail_locally() {
  if (!can_attempt()) return;
  events_.emplace_back(aevent::Methods{last_methods_, false});
}

std::optional<SecretBytes> UserAuth::poll_send() {
  if (out_.empty()) return std::nullopt;
  SecretBytes p = std::move(out_.front());
  out_.pop_front();
  return p;
}

std::optional<AuthEvent> UserAuth::poll_event() {
  if (events_.empty()) return std::nullopt;
  AuthEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

HandleResult UserAuth::handle(ByteView payload) {
  if (payload.empty()) return fail("empty authentication message");
  const std::uint8_t type = payload[0];
  const ByteView body = payload.subspan(1);
  if (state_ == State::authenticated) return fail("authentication message after success");

  if (type == msg::kServiceAccept) {
    if (state_ != State::service_requested) return fail("unexpected SERVICE_ACCEPT");
    // Some old servers omit the name; when present it must be the service we asked for.
    if (!body.empty()) {
      wire::Reader r(body);
      std::string_view name;
      if (!r.string(name) || name != kUserauthService) return fail("SERVICE_ACCEPT for an unexpected service");
    }
    state_ = State::ready;
    events_.emplace_back(aevent::Methods{{}, false});
    return {};
  }
  // RFC 4252 §5.4: a banner may come at any time before success.
  if (type == msg::kUserauthBanner) return handle_banner(body);
  if (state_ != State::ready) return fail("authentication message before the service was accepted");
  switch (type) {
    case msg::kUserauthFailure:
      return handle_failure(body);
    case msg::kUserauthSuccess:
      return handle_success(body);
    default:
      break;
  }
  if (type >= 60 && type <= msg::kLastAuthMessage) return handle_method_specific(type, body);
  return fail("unexpected authentication message " + std::to_string(type));
}

HandleResult UserAuth::handle_banner(ByteView body) {
  wire::Reader r(body);
  std::string message;
  std::string_view language;
  if (!r.string(message) || !r.string(language)) return fail("malformed USERAUTH_BANNER");
  events_.emplace_back(aevent::Banner{std::move(message)});
  return {};
}

HandleResult UserAuth::handle_failure(ByteView body) {
  if (pending_ == Method::none) return fail("USERAUTH_FAILURE without a request");
  wire::Reader r(body);
  std::vector<std::string> methods;
  bool partial = false;
  if (!r.name_list(methods) || !r.boolean(partial)) return fail("malformed USERAUTH_FAILURE");
  pending_ = Method::none;
  info_request_outstanding_ = false;
  last_methods_ = methods;
  events_.emplace_back(aevent::Methods{std::move(methods), partial});
  return {};
}

HandleResult UserAuth::handle_success(ByteView body) {
  if (pending_ == Method::none) return fail("USERAUTH_SUCCESS without a request");
  if (!body.empty()) return fail("malformed USERAUTH_SUCCESS");
  const Method m = pending_;
  pending_ = Method::none;
  info_request_outstanding_ = false;
  state_ = State::authenticated;
  events_.emplace_back(aevent::Success{method_name(m)});
  return {};
}

HandleResult UserAuth::handle_method_specific(std::uint8_t type, ByteView body) {
  wire::Reader r(body);
  if (type == msg::kUserauthPkOk && pending_ == Method::publickey_query) {
    // RFC 4252 §7: echoes the algorithm and blob of the query.
    std::string algorithm;
    ByteView blob;
    if (!r.string(algorithm) || !r.string(blob)) return fail("malformed USERAUTH_PK_OK");
    pending_ = Method::none;
    events_.emplace_back(aevent::PublicKeyOk{std::move(algorithm), Bytes(blob.begin(), blob.end())});
    return {};
  }
  if (type == msg::kUserauthPasswdChangereq && pending_ == Method::password) {
    // RFC 4252 §8: the server wants a new password. We do not offer password changes, so the
    // attempt ends as a failure; password is dropped from the list so the caller moves on.
    std::string prompt;
    std::string_view language;
    if (!r.string(prompt) || !r.string(language)) return fail("malformed USERAUTH_PASSWD_CHANGEREQ");
    pending_ = Method::none;
    std::vector<std::string> methods = last_methods_;
    std::erase(methods, std::string("password"));
    std::string note = "The server requires a password change, which is not supported";
    if (!prompt.empty()) note += ": " + prompt;
    events_.emplace_back(aevent::Banner{std::move(note)});
    events_.emplace_back(aevent::Methods{std::move(methods), false});
    return {};
  }
  if (type == msg::kUserauthInfoRequest && pending_ == Method::keyboard_interactive) return handle_info_request(body);
  return fail("unexpected authentication message " + std::to_string(type));
}

HandleResult UserAuth::handle_info_request(ByteView body) {
  if (info_request_outstanding_) return fail("USERAUTH_INFO_REQUEST before the previous one was answered");
  // RFC 4256 §3.2.
  wire::Reader r(body);
  aevent::Prompts p;
  std::string_view language;
  std::uint32_t count = 0;
  if (!r.string(p.name) || !r.string(p.instruction) || !r.string(language) || !r.u32(count)) {
    return fail("malformed USERAUTH_INFO_REQUEST");
  }
  // Each prompt takes at least 5 bytes, so a count beyond that is malformed; checking first keeps
  // a forged count from driving allocation.
  if (count > r.remaining() / 5) return fail("malformed USERAUTH_INFO_REQUEST");
  for (std::uint32_t i = 0; i < count; ++i) {
    aevent::Prompt prompt;
    if (!r.string(prompt.text) || !r.boolean(prompt.echo)) return fail("malformed USERAUTH_INFO_REQUEST");
    p.prompts.push_back(std::move(prompt));
  }
  if (!r.empty()) return fail("malformed USERAUTH_INFO_REQUEST");
  if (count == 0) {
    // OpenSSH sends prompt-less requests (e.g. after PAM account checks); they still need an
    // INFO_RESPONSE (RFC 4256 §3.4), which needs no user input, so answer it here.
    if (!p.name.empty() || !p.instruction.empty()) {
      std::string text = p.name;
      if (!p.instruction.empty()) text += (text.empty() ? "" : "\n") + p.instruction;
      events_.emplace_back(aevent::Banner{std::move(text)});
    }
    wire::SecretWriter w(msg::kUserauthInfoResponse);
    w.u32(0);
    out_.push_back(w.take());
    return {};
  }
  info_request_outstanding_ = true;
  outstanding_prompts_ = count;
  events_.emplace_back(std::move(p));
  return {};
}

}  // namespace ssh::auth
