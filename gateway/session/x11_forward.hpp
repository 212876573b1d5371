#pragma once
// -X / -Y / ForwardX11: the session asks the server for X11 forwarding (x11-req) with a fake
// cookie, and each x11 channel the server opens is connected to the local display, with the real
// cookie put in place only after the client's setup showed the fake one (compared in constant
// time). Untrusted forwarding (-X with ForwardX11Trusted no) uses a cookie xauth generates for the
// purpose, which the X server limits and which expires after ForwardX11Timeout; after that no new
// X11 connection is accepted.
#include <uv.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "gateway/channel/channel_pump.hpp"
#include "gateway/config/options.hpp"
#include "gateway/net/resolver.hpp"
#include "gateway/session/remote_session.hpp"
#include "gateway/session/x11_auth.hpp"

namespace gateway::session {

class X11Forwarding final : public ChannelForwarding {
 public:
  // Reads DISPLAY and runs xauth (as ssh does, before the session starts); nullptr, with the
  // reason logged, when X11 cannot be forwarded (the session then runs without it).
  static std::unique_ptr<X11Forwarding> prepare(uv_loop_t* loop, net::Resolver& resolver,
                                                const config::Options& options);
  ~X11Forwarding() override;

  void attach(SshSession& session) override;
  std::optional<Request> request() override;
  void close() override;

 private:
  X11Forwarding(uv_loop_t* loop, net::Resolver& resolver, Display display);
  void accept(SshSession& session, const ssh::event::ChannelOpenRequest& request);
  void remove_auth_file();

  uv_loop_t* loop_;
  net::Resolver& resolver_;
  Display display_;
  std::string protocol_;
  ssh::Bytes real_cookie_;
  ssh::Bytes fake_cookie_;
  std::optional<std::chrono::steady_clock::time_point> refuse_after_;
  std::string auth_dir_;  // untrusted: xauth's file for the generated cookie
  PumpSet pumps_;
  bool closed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // the acceptor may outlive us
};

}  // namespace gateway::session
