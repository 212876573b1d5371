// Type-specific data of server-opened channels and channel requests, as the server sends it: every
// typed decoder must refuse what it cannot read without crashing, and what it reads must encode
// back to the bytes it came from (up to trailing bytes, which are tolerated).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ssh/connection/channel_types.hpp"
#include "ssh/connection/session_requests.hpp"
#include "ssh/connection/terminal_modes.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// `encoded` must be the start of `input`.
void prefix_of(const ssh::Bytes& encoded, ssh::ByteView input) {
  check(encoded.size() <= input.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) check(encoded[i] == input[i]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace ct = ssh::connection::channel_type;
  namespace sr = ssh::connection::session_request;
  namespace tm = ssh::connection::terminal_modes;
  const ssh::ByteView input(data, size);
  if (auto v = ct::parse_forwarded_tcpip(input)) prefix_of(ct::forwarded_tcpip(*v), input);
  if (auto v = ct::parse_forwarded_streamlocal(input))
    check(ct::parse_forwarded_streamlocal(ct::forwarded_streamlocal(*v)).has_value());
  if (auto v = ct::parse_x11(input)) prefix_of(ct::x11(*v), input);
  if (auto v = sr::parse_exit_status(input)) prefix_of(sr::exit_status(*v), input);
  // A boolean is any non-zero byte on the wire and ours is 1: these compare by field.
  if (auto v = sr::parse_exit_signal(input)) {
    const auto again = sr::parse_exit_signal(sr::exit_signal(*v));
    check(again && again->signal == v->signal && again->core_dumped == v->core_dumped &&
          again->message == v->message && again->language == v->language);
  }
  if (auto v = sr::parse_x11_req(input)) {
    const auto again = sr::parse_x11_req(sr::x11_req(*v));
    check(again && again->single_connection == v->single_connection && again->auth_protocol == v->auth_protocol &&
          again->auth_cookie == v->auth_cookie && again->screen == v->screen);
  }
  if (auto v = sr::parse_pty_req(input)) {
    prefix_of(sr::pty_req(*v), input);
    if (auto modes = tm::decode(v->modes)) {
      // Re-encoded, the modes decode to the same pairs.
      check(tm::decode(tm::encode(*modes)) == modes);
    }
  }
  if (auto modes = tm::decode(input)) check(tm::decode(tm::encode(*modes)) == modes);
  return 0;
}
