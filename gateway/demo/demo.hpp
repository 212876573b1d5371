#pragma once
// `sshplex` with no destination: a self-contained demonstration. It starts a throwaway sshd and
// an echo service on loopback, connects to the sshd like any server (host key pinned, public key
// authentication), opens a local forward to the echo service, pushes data through it, checks the
// SHA-256 of what comes back, prints what happened and cleans up.
namespace gateway::demo {

// Returns the process exit status.
int run_demo(int verbosity);

}  // namespace gateway::demo
