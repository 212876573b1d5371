#pragma once
// The control socket's listening side, as OpenSSH makes it: a unix socket created 0600 under a
// temporary name and linked into place, so an existing path is never replaced by accident (a stale
// socket with no listener behind it is removed first; a live one is left alone and multiplexing is
// off). Each accepted peer must be root or our own user (SO_PEERCRED), else it is closed at once.
#include <sys/types.h>
#include <uv.h>

#include <functional>
#include <string>

namespace gateway::control {

class ControlListener {
 public:
  // Called with each accepted descriptor of an allowed peer (taken over by the callee).
  using OnPeer = std::function<void(int fd)>;

  ControlListener(uv_loop_t* loop, OnPeer on_peer);
  ~ControlListener();
  ControlListener(const ControlListener&) = delete;
  ControlListener& operator=(const ControlListener&) = delete;

  // Creates and links the socket at `path`. false with `error` (too long for a socket address,
  // another master's socket already there, no permission ...).
  bool listen(const std::string& path, std::string& error);
  // Unlinks the path and stops accepting; connections already made carry on. Idempotent.
  void stop();
  bool listening() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

 private:
  void on_readable();

  uv_loop_t* loop_;
  OnPeer on_peer_;
  std::string path_;
  int fd_ = -1;
  ino_t inode_ = 0;  // of the path we linked, to unlink only our own
  uv_poll_t* poll_ = nullptr;
};

// Whether `path` can be a control socket: it and its temporary name must fit a socket address
// (false with `error` naming the limit).
bool check_control_path(const std::string& path, std::string& error);
// Whether a live master answers at `path` (a connect succeeds).
bool socket_is_live(const std::string& path);

}  // namespace gateway::control
