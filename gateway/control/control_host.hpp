#pragma once
// What the control socket reaches of the running sshplex (the App): its pool, its forwards, its
// settings, its status, and stopping it.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gateway/config/forward_spec.hpp"
#include "gateway/config/options.hpp"
#include "gateway/net/resolver.hpp"
#include "gateway/session/foreground.hpp"

namespace gateway::control {

class ControlHost {
 public:
  // `error` empty on success; `allocated_port` for a remote forward that asked for port 0.
  using ForwardDone = std::function<void(const std::string& error, std::optional<std::uint32_t> allocated_port)>;

  virtual uv_loop_t* loop() const = 0;
  virtual net::Resolver& resolver() = 0;
  virtual const config::Options& options() const = 0;
  virtual session::ConnectionSource& connections() = 0;
  // -O forward: any kind, on the live pool; `done` runs once (for -R once the server answered).
  virtual void open_forward(const config::ForwardSpec& spec, ForwardDone done) = 0;
  // -O cancel; false with `error` when there is no such forward.
  virtual bool close_forward(const config::ForwardSpec& spec, std::string& error) = 0;
  // -O exit: stop everything now.
  virtual void terminate() = 0;
  // -O stop took effect: the socket is gone (a master with nothing else to do ends with its last
  // passenger, as ssh's does).
  virtual void stopped_listening() = 0;
  // How many passengers (sessions, stdio forwards) the control socket carries now: ControlPersist
  // counts from the last one's end.
  virtual void passengers_changed(std::size_t passengers) = 0;
  // The status view: lines for people, or a JSON document.
  virtual std::vector<std::string> status_lines() const = 0;
  virtual std::string status_json() const = 0;

 protected:
  ~ControlHost() = default;
};

}  // namespace gateway::control
