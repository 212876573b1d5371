#pragma once
// LocalCommand (with PermitLocalCommand yes): a command run on this machine once sshplex is
// connected, through $SHELL -c with the terminal's stdin, stdout and stderr, as ssh runs it. It runs
// beside the loop (ssh waits for it; sshplex serves meanwhile) and is reaped when it exits.
#include <uv.h>

#include <string>

namespace gateway::session {

// Starts `command`; false (with a log line) when it could not be started.
bool run_local_command(uv_loop_t* loop, const std::string& command);

}  // namespace gateway::session
