#pragma once
// A DynamicForward (-D): a SOCKS4/4a/5 proxy whose CONNECT requests become direct-tcpip channels.
// Destination names are sent to the server as names (resolved there, never locally). The SOCKS
// success reply goes out only once the channel is open; a failed open is answered with the SOCKS
// reply code that matches the server's reason.
#include <uv.h>

#include <functional>
#include <string>
#include <unordered_set>

#include "gateway/auth/socks_credentials.hpp"
#include "gateway/core/ssh_session.hpp"
#include "gateway/forward/stream_splice.hpp"
#include "gateway/net/listener.hpp"

namespace gateway {

struct SocksForwardSpec {
  std::string listen_path;
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 0;
  // When set, clients must authenticate with username/password (RFC 1929); must outlive the forward.
  const auth::SocksCredentials* credentials = nullptr;
  std::string describe() const;
};

class SocksForward {
 public:
  using SessionSource = std::function<SshSession*()>;

  SocksForward(uv_loop_t* loop, SocksForwardSpec spec, SessionSource session);
  ~SocksForward();
  SocksForward(const SocksForward&) = delete;
  SocksForward& operator=(const SocksForward&) = delete;

  bool listen(std::string& error);
  std::uint16_t bound_port() const { return listener_.bound_port; }
  const SocksForwardSpec& spec() const { return spec_; }
  void close();

 private:
  class Handshake;
  void on_connection(int status);
  void start_channel(Handshake* handshake);

  uv_loop_t* loop_;
  SocksForwardSpec spec_;
  SessionSource session_source_;
  net::Listener listener_;
  std::unordered_set<Handshake*> handshakes_;
  std::unordered_set<StreamSplice*> splices_;
};

}  // namespace gateway
