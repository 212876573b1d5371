#include "gateway/session/escape.hpp"

#include <optional>

namespace gateway::session {
namespace {

constexpr std::uint8_t kCtrlZ = 0x1a;

}  // namespace

void EscapeFilter::feed(ssh::ByteView input, const Sink& sink) {
  if (escape_ < 0) {
    if (!input.empty()) sink.data(input);
    return;
  }
  const auto escape = static_cast<std::uint8_t>(escape_);
  std::size_t run_start = 0;  // start of bytes not yet reported
  auto flush = [&](std::size_t end) {
    if (end > run_start) sink.data(input.subspan(run_start, end - run_start));
  };
  for (std::size_t i = 0; i < input.size(); ++i) {
    const std::uint8_t ch = input[i];
    if (pending_) {
      pending_ = false;
      run_start = i + 1;
      std::optional<EscapeCommand> command;
      switch (ch) {
        case '.':
          command = EscapeCommand::disconnect;
          break;
        case 'B':
          command = EscapeCommand::send_break;
          break;
        case 'C':
          command = EscapeCommand::command_line;
          break;
        case 'R':
          command = EscapeCommand::rekey;
          break;
        case 'V':
          command = EscapeCommand::less_verbose;
          break;
        case 'v':
          command = EscapeCommand::more_verbose;
          break;
        case kCtrlZ:
          command = EscapeCommand::suspend;
          break;
        case '#':
          command = EscapeCommand::list_channels;
          break;
        case '?':
          command = EscapeCommand::help;
          break;
        default:
          break;
      }
      if (command) {
        // A command leaves the line where it was: another escape may follow at once.
        at_line_start_ = false;
        if (!sink.command(*command)) return;
        continue;
      }
      if (ch == escape) {
        // Typed twice: the character itself goes through.
        sink.data(ssh::ByteView(&escape, 1));
      } else {
        // Not a command: both characters go through, as typed.
        const std::uint8_t both[2] = {escape, ch};
        sink.data(ssh::ByteView(both, 2));
      }
      at_line_start_ = ch == '\r' || ch == '\n';
      continue;
    }
    if (at_line_start_ && ch == escape) {
      flush(i);
      pending_ = true;  // held back until the next byte says what it is
      run_start = i + 1;
      continue;
    }
    at_line_start_ = ch == '\r' || ch == '\n';
  }
  flush(input.size());
}

std::string EscapeFilter::escape_text() const {
  if (escape_ < 0) return {};
  if (escape_ < 32) return std::string("^") + static_cast<char>(escape_ + '@');
  return std::string(1, static_cast<char>(escape_));
}

std::string EscapeFilter::name(char command) const {
  std::string s = escape_text();
  if (command == static_cast<char>(kCtrlZ)) {
    s += "^Z";
  } else {
    s += command;
  }
  return s;
}

std::string EscapeFilter::help(bool command_line_enabled) const {
  const std::string e = escape_text();
  std::string text = "Supported escape sequences:\r\n";
  auto line = [&](const std::string& keys, const char* what) {
    std::string padded = e + keys;
    while (padded.size() < 5) padded += ' ';
    text += " " + padded + "- " + what + "\r\n";
  };
  line(".", "terminate connection");
  line("B", "send a BREAK to the remote system");
  if (command_line_enabled) line("C", "open a command line (-L, -R, -D, -KL, -KR, -KD)");
  line("R", "request rekey");
  line("V/v", "decrease/increase verbosity (LogLevel)");
  line("^Z", "suspend sshplex");
  line("#", "list forwarded connections");
  line("?", "this message");
  line(e, "send the escape character by typing it twice");
  text += "(Note that escapes are only recognized immediately after newline.)\r\n";
  return text;
}

}  // namespace gateway::session
