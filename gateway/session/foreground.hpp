#pragma once
// What sshplex runs in the foreground besides its forwards: a remote command, login shell or
// subsystem (a session channel), or the stdio forward of -W. It ends the program with its status.
#include <functional>
#include <string>

namespace gateway {
class SshSession;
}

namespace gateway::session {

// Where a session finds a pooled connection for its channel: at once, or once one with room is up
// (the pool grows when every connection has its server's MaxSessions); nullptr when none came in
// time or the pool gave up.
class ConnectionSource {
 public:
  virtual void acquire_for_session(std::function<void(SshSession*)> then) = 0;

 protected:
  ~ConnectionSource() = default;
};

class Foreground {
 public:
  // The exit status, as ssh's: the remote command's, or 255 when the connection or the channel
  // failed (with a message already logged).
  using OnDone = std::function<void(int status)>;

  virtual ~Foreground() = default;
  // Starts on a connection from `source` (which outlives the foreground). `on_done` runs once,
  // from the event loop.
  virtual void start(ConnectionSource& source, OnDone on_done) = 0;
  // The program stops (a signal, a fatal error): close the channel and the local side now.
  virtual void abort() = 0;
  // For the status view.
  virtual std::string describe() const = 0;
};

}  // namespace gateway::session
