#pragma once
// A DynamicForward (-D): a SOCKS4/4a/5 proxy whose CONNECT requests become direct-tcpip channels.
// Destination names are sent to the server as names (resolved there, never locally). The SOCKS
// success reply goes out only once the channel is open; a failed open is answered with the SOCKS
// reply code that matches the server's reason.
#include <uv.h>

#include <functional>
#include <string>
#include <unordered_set>

#include "socks/messages.hpp"

#include "gateway/auth/socks_credentials.hpp"
#include "gateway/pool/upstream.hpp"
#include "gateway/forward/forward_limits.hpp"
#include "gateway/forward/session_wait.hpp"
#include "gateway/channel/channel_pump.hpp"
#include "gateway/forward/forward.hpp"
#include "gateway/net/listener.hpp"

namespace gateway {

struct SocksForwardSpec {
  std::string listen_path;
  unsigned socket_mask = 0177;   // StreamLocalBindMask
  bool unlink_existing = false;  // StreamLocalBindUnlink
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 0;
  // When set, clients must authenticate with username/password (RFC 1929); must outlive the forward.
  const auth::SocksCredentials* credentials = nullptr;
  std::string describe() const;
};

class SocksForward final : public Forward {
 public:
  SocksForward(uv_loop_t* loop, SocksForwardSpec spec, Upstream& upstream, ForwardLimits limits);
  ~SocksForward() override;
  SocksForward(const SocksForward&) = delete;
  SocksForward& operator=(const SocksForward&) = delete;

  bool start(std::string& error) override;
  std::uint16_t bound_port() const { return listener_.bound_port; }
  const SocksForwardSpec& spec() const { return spec_; }
  // The credentials to check from now on (SIGHUP reload); must outlive the forward.
  void set_credentials(const auth::SocksCredentials* credentials) { spec_.credentials = credentials; }
  std::size_t clients_waiting() const override { return waits_.waiting(); }
  const PumpCounters* counters() const override { return &pumps_.counters(); }
  std::size_t active_connections() const override { return handshakes_.size() + waits_.waiting() + pumps_.size(); }
  // Stops accepting; established connections carry on (drain, reload).
  void stop_listening() override;
  void close() override;
  std::string describe() const override { return "dynamic forward " + spec_.describe(); }

 private:
  class Handshake;
  void on_connection(int status);
  // MaxPendingOpens: clients waiting for a connection plus channel opens not yet answered.
  bool pending_opens_at_limit() const;
  void start_channel(Handshake* handshake);
  void open_channel(SshSession* session, const socks::ConnectRequest& request, uv_stream_t* client, ssh::Bytes early);

  uv_loop_t* loop_;
  SocksForwardSpec spec_;
  ForwardLimits limits_;
  net::Listener listener_;
  SessionWaits waits_;
  std::unordered_set<Handshake*> handshakes_;
  PumpSet pumps_;
};

}  // namespace gateway
