#pragma once
// What sshplex runs in the foreground besides its forwards: a remote command, login shell or
// subsystem (a session channel), or the stdio forward of -W. It ends the program with its status.
#include <functional>
#include <string>

namespace gateway {
class SshSession;
}

namespace gateway::session {

class Foreground {
 public:
  // The exit status, as ssh's: the remote command's, or 255 when the connection or the channel
  // failed (with a message already logged).
  using OnDone = std::function<void(int status)>;

  virtual ~Foreground() = default;
  // Starts on an authenticated pooled connection. `on_done` runs once, from the event loop.
  virtual void start(SshSession& session, OnDone on_done) = 0;
  // The program stops (a signal, a fatal error): close the channel and the local side now.
  virtual void abort() = 0;
  // For the status view.
  virtual std::string describe() const = 0;
};

}  // namespace gateway::session
