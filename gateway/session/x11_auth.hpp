#pragma once
// The sans-IO parts of X11 forwarding: DISPLAY parsing, and the check of an X11 client's
// connection setup (X Window System Protocol, "Connection Setup") against the fake cookie given to
// the server, with the real cookie put in its place. No I/O here; the gateway runs xauth and
// connects to the display.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ssh/wire/bytes.hpp"

namespace gateway::session {

// DISPLAY as X11 clients read it: [host]:display[.screen], "unix:N" and ":N" being the local
// unix socket /tmp/.X11-unix/XN.
struct Display {
  std::string host;          // empty for the local unix socket
  std::uint32_t number = 0;  // the display number: socket XN, or TCP port 6000 + N
  std::uint32_t screen = 0;
  bool local_socket() const { return host.empty(); }
  std::string socket_path() const { return "/tmp/.X11-unix/X" + std::to_string(number); }
};
// nullopt with `error` for a DISPLAY that is empty, unparsable or holds characters outside
// [A-Za-z0-9:/.-_] (it ends up on an xauth command line).
std::optional<Display> parse_display(std::string_view text, std::string& error);

// The first bytes of an X11 connection: byte order, protocol version, then the authorization
// protocol name and data (each padded to 4 bytes). Until `complete`, more bytes are needed.
class X11SetupCheck {
 public:
  enum class Verdict { need_more, accepted, bad_byte_order, wrong_protocol, wrong_cookie };

  // `protocol` and `fake_cookie` (raw bytes) as given in x11-req; `real_cookie` replaces the fake
  // one and must have its length.
  X11SetupCheck(std::string protocol, ssh::Bytes fake_cookie, ssh::Bytes real_cookie);

  // Feeds the client's bytes. `used` is set to how many of them belong to the setup once the
  // verdict is final (the rest is the client's first requests).
  Verdict feed(ssh::ByteView data, std::size_t& used);
  // After `accepted`: the setup with the real cookie, to send to the display.
  const ssh::Bytes& rewritten() const { return setup_; }

 private:
  std::string protocol_;
  ssh::Bytes fake_;
  ssh::Bytes real_;
  ssh::Bytes setup_;        // what arrived so far, at most the whole setup
  std::size_t length_ = 0;  // the whole setup's length once known
  Verdict verdict_ = Verdict::need_more;
};

}  // namespace gateway::session
