#pragma once
// Asking the user for a passphrase, password or keyboard-interactive answer, the way ssh does:
// on the controlling terminal (/dev/tty, echo off), or through the SSH_ASKPASS program when
// SSH_ASKPASS_REQUIRE says so (force / prefer) or when there is no terminal but a DISPLAY.
// Secrets never come from the command line.
#include <optional>
#include <string>

#include "ssh/wire/bytes.hpp"

namespace gateway::auth {

struct PromptOptions {
  bool batch_mode = false;  // BatchMode yes: never ask
};

// A yes/no question through SSH_ASKPASS (SSH_ASKPASS_PROMPT=confirm), as ssh asks it for
// ControlMaster ask: allowed on an empty answer or "yes"; refused otherwise and when no askpass
// program is set.
bool confirm(const std::string& prompt);

// nullopt when no way to ask exists (batch mode, no tty and no askpass) or the user cancelled.
std::optional<ssh::SecretString> read_secret(const std::string& prompt, bool echo, const PromptOptions& options);

}  // namespace gateway::auth
