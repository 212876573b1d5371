#pragma once
// One connection arriving at a remote dynamic forward (-R [bind:]port with no target): the server
// opened a forwarded-tcpip channel, and what comes through it is a SOCKS4/4a/5 client. We answer
// as its SOCKS server (socks::ServerCodec), resolve the destination locally with c-ares, connect,
// reply with the code matching the outcome, then splice the channel and the local socket.
//
// The channel is accepted before the handshake (the destination is only known from it), so this
// object stays the channel's handler for its whole life and hands the data path to an inner
// StreamSplice once connected.
#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "gateway/core/channel_handler.hpp"
#include "gateway/core/ssh_session.hpp"
#include "gateway/forward/stream_splice.hpp"
#include "gateway/net/connector.hpp"
#include "gateway/net/resolver.hpp"
#include "socks/reply.hpp"
#include "socks/server_codec.hpp"

namespace gateway {

class RemoteSocks final : public ChannelHandler {
 public:
  using OnFinished = std::function<void(RemoteSocks*)>;

  // Call SshSession::accept_channel(id, *this) right after construction.
  RemoteSocks(uv_loop_t* loop, net::Resolver& resolver, SshSession& session, ssh::ChannelId id, std::string label,
              OnFinished on_finished);
  ~RemoteSocks() override;
  RemoteSocks(const RemoteSocks&) = delete;
  RemoteSocks& operator=(const RemoteSocks&) = delete;

  // Closes the channel and any local socket; on_finished follows once the channel is gone.
  void abort();

  void on_open_confirmed() override {}
  void on_open_failed(std::uint32_t reason, const std::string& description) override;
  void on_data(ssh::Bytes data, std::uint32_t extended_type) override;
  void on_data_flush() override;
  void on_writable() override;
  void on_eof() override;
  void on_closed() override;

  // The SOCKS5 reply code for a failed local connect (libuv status, UV_EAI_NONAME for a name that
  // did not resolve), as RFC 1928 §6 lists them.
  static socks::ReplyCode reply_for_connect_error(int uv_status);

 private:
  void handle(socks::Step step, std::size_t fed);
  void connect();
  void on_connected(net::ConnectResult result);
  void send_to_channel(ssh::Bytes bytes);
  void flush_out();
  void fail(const std::string& why);
  void stop_timer();
  void finish();

  uv_loop_t* loop_;
  net::Resolver& resolver_;
  SshSession& session_;
  ssh::ChannelId id_;
  std::string label_;
  OnFinished on_finished_;
  socks::ServerCodec codec_;
  socks::ConnectRequest request_;
  uv_timer_t* timer_ = nullptr;  // handshake + connect deadline
  std::shared_ptr<net::ConnectAttempt> attempt_;
  std::unique_ptr<StreamSplice> splice_;
  ssh::Bytes out_;    // SOCKS replies not yet taken by the channel
  ssh::Bytes early_;  // channel data after the request, not yet acknowledged (written by the splice)
  bool requested_ = false;   // the CONNECT request is complete
  bool closing_ = false;     // we asked to close the channel
  bool remote_eof_ = false;
  bool finished_ = false;
};

}  // namespace gateway
