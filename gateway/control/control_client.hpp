#pragma once
// The client side of the control socket for `sshplex -S path -O command`: one request to a running
// master (sshplex's or OpenSSH's), its answer on the terminal and ssh's exit status. Blocking: it
// runs before and instead of the event loop.
//   check        "Master running (pid=N)" on stderr
//   forward      the -L / -R / -D forwards of the options opened on the master (a remote port 0
//                prints the port the server allocated on stdout)
//   cancel       the same forwards closed
//   exit, stop   the master exits / stops accepting clients
//   status[=json]  the master's pool, connections, channels and forwards (sshplex masters only)
#include <string>

#include "gateway/config/options.hpp"

namespace gateway::control {

// Returns the exit status: 0, or 255 with a message on stderr.
int run_control_command(const std::string& command, const config::Options& options);

}  // namespace gateway::control
