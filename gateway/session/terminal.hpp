#pragma once
// The local terminal under an interactive session: raw mode while the session runs, restored on
// every way out (the session's end, exit(), a fatal signal, ~^Z), its size for pty-req and
// window-change, and its modes in RFC 4254 §8 terms for pty-req.
#include <termios.h>

#include <optional>
#include <vector>

#include "ssh/connection/session_requests.hpp"
#include "ssh/connection/terminal_modes.hpp"

namespace gateway::session {

// The modes to send with pty-req for the settings the user had before raw mode (as ssh sends them:
// speeds, control characters with 255 for disabled ones, then flags as 0 or 1).
std::vector<ssh::connection::terminal_modes::Mode> modes_of(const termios& tio);

// The size of the terminal on `fd`; nullopt when it is not a terminal.
std::optional<ssh::connection::session_request::WindowSize> window_size(int fd);

class RawMode {
 public:
  // Saves the settings of the terminal on `fd` and switches it to raw mode (no echo, no line
  // editing, no signals from keys, no output processing). Does nothing when `fd` is not a terminal.
  explicit RawMode(int fd);
  ~RawMode();  // restores
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;

  bool active() const { return active_; }
  // The settings from before raw mode (for pty-req); nullopt when `fd` is not a terminal.
  const std::optional<termios>& saved() const { return saved_; }
  // Back to the saved settings for a while (~^Z, ~C) and into raw mode again.
  void leave();
  void enter();

 private:
  int fd_;
  std::optional<termios> saved_;
  bool active_ = false;
};

}  // namespace gateway::session
