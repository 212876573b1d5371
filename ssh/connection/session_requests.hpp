#pragma once
// Type-specific data of the session channel requests (RFC 4254 §6, OpenSSH PROTOCOL §2), beside the
// generic core: encoders for what the client asks, decoders for what the server tells. A decoder
// returns nullopt for missing fields.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ssh/wire/bytes.hpp"

namespace ssh::connection::session_request {

inline constexpr std::string_view kPtyReq = "pty-req";                           // §6.2
inline constexpr std::string_view kX11Req = "x11-req";                           // §6.3.1
inline constexpr std::string_view kEnv = "env";                                  // §6.4
inline constexpr std::string_view kShell = "shell";                              // §6.5, no data
inline constexpr std::string_view kExec = "exec";                                // §6.5
inline constexpr std::string_view kSubsystem = "subsystem";                      // §6.5
inline constexpr std::string_view kWindowChange = "window-change";               // §6.7
inline constexpr std::string_view kSignal = "signal";                            // §6.9
inline constexpr std::string_view kExitStatus = "exit-status";                   // §6.10
inline constexpr std::string_view kExitSignal = "exit-signal";                   // §6.10
inline constexpr std::string_view kAuthAgentReq = "auth-agent-req@openssh.com";  // PROTOCOL.agent, no data
inline constexpr std::string_view kEow = "eow@openssh.com";                      // PROTOCOL §2.1, no data

struct WindowSize {
  std::uint32_t columns = 80;
  std::uint32_t rows = 24;
  std::uint32_t width_pixels = 0;
  std::uint32_t height_pixels = 0;
};

// pty-req: TERM, the size, and the encoded terminal modes (terminal_modes.hpp).
struct PtyReq {
  std::string term;
  WindowSize size;
  Bytes modes;
};
Bytes pty_req(const PtyReq& req);
std::optional<PtyReq> parse_pty_req(ByteView data);

// x11-req: single connection, authentication protocol, authentication cookie (hex), screen number.
struct X11Req {
  bool single_connection = false;
  std::string auth_protocol;
  std::string auth_cookie;
  std::uint32_t screen = 0;
};
Bytes x11_req(const X11Req& req);
std::optional<X11Req> parse_x11_req(ByteView data);

Bytes env(std::string_view name, std::string_view value);
Bytes exec(std::string_view command);
Bytes subsystem(std::string_view name);
Bytes window_change(const WindowSize& size);
// signal: the signal name without "SIG" ("INT", "TERM" ...).
Bytes signal(std::string_view name);

// exit-status: uint32 status.
Bytes exit_status(std::uint32_t status);
std::optional<std::uint32_t> parse_exit_status(ByteView data);

// exit-signal: signal name without "SIG", core dumped, error message, language tag.
struct ExitSignal {
  std::string signal;
  bool core_dumped = false;
  std::string message;
  std::string language;
};
Bytes exit_signal(const ExitSignal& s);
std::optional<ExitSignal> parse_exit_signal(ByteView data);

}  // namespace ssh::connection::session_request
