#pragma once
// A LocalForward (-L): listens on a local TCP port or unix socket and, per accepted connection,
// opens a direct-tcpip or direct-streamlocal@openssh.com channel and splices the two.
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

#include "gateway/pool/upstream.hpp"
#include "gateway/forward/forward_limits.hpp"
#include "gateway/forward/session_wait.hpp"
#include "gateway/channel/channel_pump.hpp"
#include "gateway/forward/forward.hpp"
#include "gateway/net/listener.hpp"

namespace gateway {

struct LocalForwardSpec {
  // Listen side: a path for a unix socket, else address and port.
  std::string listen_path;
  unsigned socket_mask = 0177;   // StreamLocalBindMask
  bool unlink_existing = false;  // StreamLocalBindUnlink
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 0;
  // Target as seen from the server: a path for a unix socket, else host and port.
  std::string target_path;
  std::string target_host;
  std::uint16_t target_port = 0;

  std::string describe() const;  // "127.0.0.1:8080 -> db:5432" for log lines
};

class LocalForward final : public Forward {
 public:
  // Each client gets the least loaded connection of `upstream`, waiting for one (bounded) when none is up.
  LocalForward(uv_loop_t* loop, LocalForwardSpec spec, Upstream& upstream, ForwardLimits limits);
  ~LocalForward() override;
  LocalForward(const LocalForward&) = delete;
  LocalForward& operator=(const LocalForward&) = delete;

  // Binds and listens. On failure returns false with a message naming what failed.
  bool start(std::string& error) override;
  // The bound port (useful when the spec asked for port 0).
  std::uint16_t bound_port() const { return listener_.bound_port; }
  const LocalForwardSpec& spec() const { return spec_; }
  std::size_t clients_waiting() const override { return waits_.waiting(); }
  const PumpCounters* counters() const override { return &pumps_.counters(); }
  std::size_t active_connections() const override { return pumps_.size() + waits_.waiting(); }
  // Stops accepting; established connections carry on (drain, reload).
  void stop_listening() override;
  // Stops listening and aborts every splice.
  void close() override;
  std::string describe() const override { return "local forward " + spec_.describe(); }

 private:
  void on_connection(int status);
  // MaxPendingOpens: clients waiting for a connection plus channel opens not yet answered.
  bool pending_opens_at_limit() const;
  void start_channel(SshSession* session, uv_stream_t* client);

  uv_loop_t* loop_;
  LocalForwardSpec spec_;
  ForwardLimits limits_;
  net::Listener listener_;
  SessionWaits waits_;
  PumpSet pumps_;
};

}  // namespace gateway
