#pragma once
// The sshplex program for one destination: one SSH connection, its local forwards, signals and
// the exit status (0 on a requested stop, 255 on connection / authentication / host key failure,
// as ssh).
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/auth/authenticator.hpp"
#include "gateway/auth/host_key_policy.hpp"
#include "gateway/config/options.hpp"
#include "gateway/core/ssh_session.hpp"
#include "gateway/forward/local_forward.hpp"
#include "gateway/forward/socks_forward.hpp"
#include "gateway/net/resolver.hpp"

namespace gateway {

inline constexpr int kExitFailure = 255;

class App final : public SessionDelegate {
 public:
  App(uv_loop_t* loop, config::Options options);
  ~App() override;
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Validates options and starts connecting. false (with a message logged) on bad options.
  bool start();
  // Called once authenticated with every forward listening.
  void on_ready(std::function<void(App&)> callback) { ready_callback_ = std::move(callback); }
  // Stops everything; the loop then runs out and exit_code() tells the outcome.
  void stop(int exit_code, const std::string& why);
  int exit_code() const { return exit_code_; }
  const std::vector<std::unique_ptr<LocalForward>>& local_forwards() const { return forwards_; }
  const std::vector<std::unique_ptr<SocksForward>>& socks_forwards() const { return socks_forwards_; }

  bool verify_host_key(SshSession& session, const ssh::event::HostKey& key) override;
  void on_auth_event(SshSession& session, const ssh::Event& event) override;
  void on_authenticated(SshSession& session, const std::string& method) override;
  void on_disconnected(SshSession& session, const std::string& reason, bool was_authenticated) override;

 private:
  bool open_forwards();
  bool open_socks_forwards();
  SshSession* ready_session();

  uv_loop_t* loop_;
  config::Options options_;
  net::Resolver resolver_;
  auth::HostKeyPolicySettings host_key_settings_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<SshSession> session_;
  std::vector<std::unique_ptr<LocalForward>> forwards_;
  std::vector<std::unique_ptr<SocksForward>> socks_forwards_;
  std::unique_ptr<auth::SocksCredentials> socks_credentials_;
  uv_signal_t* sigint_ = nullptr;
  uv_signal_t* sigterm_ = nullptr;
  std::function<void(App&)> ready_callback_;
  int exit_code_ = 0;
  bool stopping_ = false;
};

}  // namespace gateway
