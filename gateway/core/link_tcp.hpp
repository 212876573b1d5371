#pragma once
// A Link over TCP: c-ares resolution, then each address in turn with TCP_NODELAY.
// ConnectTimeout covers each connect attempt and then the server's version banner, as in ssh.
// AddressFamily keeps only the addresses of one family; BindAddress / BindInterface choose the
// source address; IPQoS sets the DSCP / traffic class; TCPKeepAlive turns on SO_KEEPALIVE; the VPN
// marks the socket (SO_MARK) so its routes leave it alone.
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/core/link.hpp"
#include "gateway/core/link_writes.hpp"
#include "gateway/net/resolver.hpp"

namespace gateway {

struct TcpLinkOptions {
  std::chrono::milliseconds connect_timeout{0};  // 0: the OS default
  int family = 0;                                // AF_UNSPEC, AF_INET or AF_INET6
  std::string bind_address;                      // a numeric address, or empty
  std::string bind_interface;                    // an interface name whose address is the source
  int ip_tos = -1;                               // IP_TOS / IPV6_TCLASS; -1: leave it
  bool keep_alive = true;
  // SO_MARK on the socket before it connects (the VPN's policy rules let marked sockets bypass the
  // tun, so the connection carrying the VPN is never routed into it); 0: none.
  std::uint32_t socket_mark = 0;
};

class TcpLink final : public Link {
 public:
  TcpLink(uv_loop_t* loop, net::Resolver& resolver, std::string host, std::uint16_t port, TcpLinkOptions options,
          LinkObserver& observer);
  ~TcpLink() override;
  TcpLink(const TcpLink&) = delete;
  TcpLink& operator=(const TcpLink&) = delete;

  void start() override;
  bool write(ssh::Bytes bytes, std::string& error) override;
  std::size_t queued() const override { return writes_.queued(); }
  void pause_reading() override;
  void resume_reading() override;
  void established() override;
  void close(ssh::ByteView farewell) override;
  std::string peer_address() const override { return peer_address_; }

 private:
  void connect_next();
  void on_connected(int status);
  void on_timeout();
  void on_read(ssize_t nread, const uv_buf_t* buf);
  void on_write_done(std::size_t bytes, int status);
  bool start_reading();
  void fail(const std::string& why);
  void close_socket();
  // The source address for a connect to `destination` (family), from BindAddress / BindInterface;
  // false with `error` when there is none.
  bool source_address(const sockaddr_storage& destination, sockaddr_storage& out, std::string& error) const;

  uv_loop_t* loop_;
  net::Resolver& resolver_;
  std::string host_;
  std::uint16_t port_;
  TcpLinkOptions options_;
  LinkObserver& observer_;
  uv_tcp_t* tcp_ = nullptr;  // owned; freed in its close callback
  uv_timer_t* timer_ = nullptr;
  std::vector<net::ResolvedAddress> addresses_;
  std::size_t next_address_ = 0;
  std::string last_error_;
  std::string peer_address_;  // of the connect that succeeded
  LinkWrites writes_{this, [](void* self, std::size_t bytes, int status) {
                       static_cast<TcpLink*>(self)->on_write_done(bytes, status);
                     }};
  bool connected_ = false;
  bool established_ = false;
  bool paused_ = false;
  bool finished_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gateway
