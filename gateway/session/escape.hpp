#pragma once
// ssh's escape sequences on an interactive session (ssh(1) ESCAPE CHARACTERS): the escape
// character (~ by default) is recognised only as the first byte of a line (after \r or \n, or at
// the very start). Input in, bytes for the channel and commands out, in order; no I/O here.
#include <cstdint>
#include <functional>
#include <string>

#include "ssh/wire/bytes.hpp"

namespace gateway::session {

enum class EscapeCommand : std::uint8_t {
  disconnect,     // ~.
  send_break,     // ~B
  command_line,   // ~C
  rekey,          // ~R
  less_verbose,   // ~V
  more_verbose,   // ~v
  suspend,        // ~^Z
  list_channels,  // ~#
  help,           // ~?
};

class EscapeFilter {
 public:
  // `escape_char` < 0: none (everything passes through).
  explicit EscapeFilter(int escape_char) : escape_(escape_char) {}

  // Bytes for the channel, then commands, are reported in the order the user typed them; stop
  // feeding after a command that ends the session (the rest of `input` is then not reported).
  struct Sink {
    std::function<void(ssh::ByteView bytes)> data;
    // Returns false to stop processing the rest of the input.
    std::function<bool(EscapeCommand command)> command;
  };
  void feed(ssh::ByteView input, const Sink& sink);

  // The escape character as typed, for messages ("~.").
  std::string name(char command) const;
  // The help text of ~? (lines end with \r\n: the terminal is in raw mode).
  std::string help(bool command_line_enabled) const;

 private:
  std::string escape_text() const;

  int escape_;
  bool at_line_start_ = true;
  bool pending_ = false;  // saw the escape character at a line start
};

}  // namespace gateway::session
