#pragma once
// -f / ForkAfterAuthentication. The process forks before it connects: the child does everything
// (prompts included, on the same terminal) and the parent waits for its word. Once the child is
// logged in and every forward listens (remote ones granted too) it says so and detaches; the
// parent then exits 0. A child that fails first exits, and the parent exits with its status, so a
// script's `sshplex -f ... && use-the-tunnel` is only reached when the tunnel is there.
#include <optional>

namespace gateway::session {

// In the parent: returns the status to exit with, once the child is serving or gone. In the child:
// returns nullopt (carry on). When fork() itself fails, it says so and returns 255.
std::optional<int> fork_into_background();

// In the child: tell the parent we are serving, start a session of our own, and point stdin and
// stdout (and stderr, unless `keep_stderr`) at /dev/null, as ssh does. Once only; a no-op
// without a waiting parent.
void serving_in_background(bool keep_stderr);

}  // namespace gateway::session
