#pragma once
// sshplex as a ControlMaster: the control socket at ControlPath, its clients, and SIGWINCH relayed
// to every passenger with a terminal (the passenger's ssh sends its own to the master's pid, as
// OpenSSH's does).
#include <uv.h>

#include <memory>
#include <string>
#include <unordered_set>

#include "gateway/control/control_connection.hpp"
#include "gateway/control/control_host.hpp"
#include "gateway/control/control_listener.hpp"

namespace gateway::control {

class ControlMaster {
 public:
  // `ask`: ControlMaster ask / autoask.
  ControlMaster(ControlHost& host, bool ask);
  ~ControlMaster();
  ControlMaster(const ControlMaster&) = delete;
  ControlMaster& operator=(const ControlMaster&) = delete;

  bool listen(const std::string& path, std::string& error);
  // -O stop: no new clients; those connected carry on.
  void stop_listening();
  // Everything closes now (sshplex stops).
  void close();
  std::size_t passengers() const { return passengers_; }
  bool listening() const { return listener_.listening(); }
  const std::string& path() const { return listener_.path(); }

 private:
  void accept(int fd);

  ControlHost& host_;
  bool ask_;
  ControlListener listener_;
  std::unordered_set<ControlConnection*> connections_;
  std::size_t passengers_ = 0;
  uv_signal_t* winch_ = nullptr;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gateway::control
