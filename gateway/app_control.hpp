#pragma once
// sshplex as a ControlMaster: the App seen through the control socket (ControlHost), the socket
// opened once the first connection is up, and the master's lifetime: ControlPersist for a master
// with no command and no forwards, and a master whose own session ended waiting for its
// passengers, as ssh does.
#include <uv.h>

#include <memory>
#include <optional>
#include <string>

#include "gateway/app.hpp"
#include "gateway/control/control_host.hpp"
#include "gateway/control/control_master.hpp"

namespace gateway {

class AppControl final : public control::ControlHost {
 public:
  // Whether the options make sshplex a master (ControlMaster yes/ask/auto/autoask with a
  // ControlPath). false with `error` when the path cannot be a socket.
  static bool wanted(const config::Options& options, std::string& error);

  explicit AppControl(App& app);
  ~AppControl();
  AppControl(const AppControl&) = delete;
  AppControl& operator=(const AppControl&) = delete;

  // ControlHost
  uv_loop_t* loop() const override { return app_.loop(); }
  net::Resolver& resolver() override { return app_.resolver(); }
  const config::Options& options() const override { return app_.options(); }
  session::ConnectionSource& connections() override { return app_; }
  void open_forward(const config::ForwardSpec& spec, ForwardDone done) override;
  bool close_forward(const config::ForwardSpec& spec, std::string& error) override;
  void terminate() override;
  void stopped_listening() override;
  void passengers_changed(std::size_t passengers) override;
  std::vector<std::string> status_lines() const override;
  std::string status_json() const override;

 private:
  void listen();
  void close();
  void arm_persist_timer();

  App& app_;
  std::unique_ptr<control::ControlMaster> master_;
  // ControlPersist's time for a master with nothing else to do; nullopt: it stays up.
  std::optional<std::uint64_t> persist_ms_;
  uv_timer_t* persist_timer_ = nullptr;
  std::size_t passengers_ = 0;
  bool end_with_last_passenger_ = false;  // -O stop on a master with nothing else to do
  bool closed_ = false;
};

}  // namespace gateway
