#pragma once
// The local end of a connection arriving at a remote dynamic forward (-R [bind:]port with no
// target): the server opened a forwarded-tcpip channel, and what comes through it is a SOCKS4/4a/5
// client. We answer as its SOCKS server (socks::ServerCodec), resolve the destination locally with
// c-ares, connect, reply with the code matching the outcome, and from then on the channel's pump
// relays between the channel and that socket.
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "gateway/channel/handshake_end.hpp"
#include "gateway/net/connector.hpp"
#include "gateway/net/resolver.hpp"
#include "socks/reply.hpp"
#include "socks/server_codec.hpp"

namespace gateway {

class RemoteSocks final : public HandshakeEnd {
 public:
  // `permitted`: PermitRemoteOpen's "host:port" entries ("*" for any host or port); empty: any.
  RemoteSocks(uv_loop_t* loop, net::Resolver& resolver, std::string label, std::vector<std::string> permitted = {});
  ~RemoteSocks() override;

  // The SOCKS5 reply code for a failed local connect (libuv status, UV_EAI_NONAME for a name that
  // did not resolve), as RFC 1928 §6 lists them.
  static socks::ReplyCode reply_for_connect_error(int uv_status);

 private:
  std::size_t handshake_data(ssh::ByteView data) override;
  void handshake_eof() override { fail("client closed during the SOCKS handshake"); }
  void cancel() override;
  void on_connected(net::ConnectResult result);
  bool permitted(const std::string& host, std::uint16_t port) const;

  net::Resolver& resolver_;
  std::vector<std::string> permitted_;
  socks::ServerCodec codec_;
  socks::ConnectRequest request_;
  std::shared_ptr<net::ConnectAttempt> attempt_;
};

}  // namespace gateway
