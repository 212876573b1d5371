#pragma once
// Client side of the user authentication protocol (RFC 4252) with the publickey, password and
// keyboard-interactive (RFC 4256) methods, as a payload-level sans-IO state machine: it takes
// received payloads (message number first) and yields payloads to send and events. The transport
// and the choice of methods live elsewhere (ssh::Client and the gateway).
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ssh/wire/bytes.hpp"

namespace ssh::auth {

namespace aevent {
struct Banner {
  std::string message;
};
struct Methods {
  std::vector<std::string> methods;
  bool partial_success;
};
struct PublicKeyOk {
  std::string algorithm;
  Bytes key_blob;
};
struct Prompt {
  std::string text;
  bool echo;
};
struct Prompts {
  std::string name;
  std::string instruction;
  std::vector<Prompt> prompts;
};
struct Success {
  std::string method;
};
}  // namespace aevent

using AuthEvent = std::variant<aevent::Banner, aevent::Methods, aevent::PublicKeyOk, aevent::Prompts, aevent::Success>;

// Outcome of handle(): ok, or a protocol violation the caller turns into a DISCONNECT.
struct HandleResult {
  bool ok = true;
  std::string error;
};

// The exact bytes a publickey signature covers (RFC 4252 §7).
Bytes publickey_data_to_sign(ByteView session_id, std::string_view user, std::string_view algorithm, ByteView key_blob);

class UserAuth {
 public:
  explicit UserAuth(std::string user);

  // Queues SERVICE_REQUEST "ssh-userauth" (RFC 4253 §10); called once the transport is up.
  void start();

  // A payload with message number 6 (SERVICE_ACCEPT) or 50..79.
  HandleResult handle(ByteView payload);

  // ---- attempts. One at a time: each returns false (and sends nothing) when the service is not
  // accepted yet, another attempt is in flight, or authentication already succeeded. A
  // keyboard-interactive attempt waiting for our answers may be abandoned by starting another
  // (RFC 4252 §5: the server then drops the previous attempt).
  bool request_none();
  bool request_password(std::string_view password);
  bool request_publickey_query(std::string_view algorithm, ByteView key_blob);
  bool request_publickey_signed(std::string_view algorithm, ByteView key_blob, ByteView signature_blob);
  bool request_keyboard_interactive();
  // Answers the outstanding INFO_REQUEST; false when none is outstanding or the count differs.
  bool respond_keyboard_interactive(const std::vector<SecretString>& answers);
  // A publickey attempt that could not be made (local signing failed): reported like a failure.
  void fail_locally();

  std::optional<SecretBytes> poll_send();
  std::optional<AuthEvent> poll_event();

  bool service_accepted() const { return state_ != State::service_requested && state_ != State::idle; }
  bool authenticated() const { return state_ == State::authenticated; }
  bool attempt_in_flight() const { return pending_ != Method::none; }
  // A new attempt would be accepted now.
  bool can_attempt() const {
    return state_ == State::ready &&
           (pending_ == Method::none || (pending_ == Method::keyboard_interactive && info_request_outstanding_));
  }
  const std::string& user() const { return user_; }

 private:
  enum class State { idle, service_requested, ready, authenticated };
  // The method whose request is in flight: decides what message 60 means.
  enum class Method { none, none_probe, password, publickey_query, publickey_signed, keyboard_interactive };

  void begin(Method m) {
    pending_ = m;
    info_request_outstanding_ = false;
    outstanding_prompts_ = 0;
  }
  SecretBytes request_header(std::string_view method) const;
  HandleResult handle_failure(ByteView body);
  HandleResult handle_success(ByteView body);
  HandleResult handle_banner(ByteView body);
  HandleResult handle_method_specific(std::uint8_t type, ByteView body);
  HandleResult handle_info_request(ByteView body);
  static const char* method_name(Method m);

  std::string user_;
  State state_ = State::idle;
  Method pending_ = Method::none;
  bool info_request_outstanding_ = false;
  std::size_t outstanding_prompts_ = 0;
  std::vector<std::string> last_methods_;
  std::deque<SecretBytes> out_;
  std::deque<AuthEvent> events_;
};

}  // namespace ssh::auth
