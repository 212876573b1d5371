#include "gateway/core/link_tcp.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "gateway/net/read_buffer.hpp"
#include "gateway/net/socket_mark.hpp"
#include "gateway/util/liveness.hpp"
#include "gateway/util/log.hpp"

namespace gateway {
namespace {

std::string address_string(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
  } else if (ss.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

}  // namespace

TcpLink::TcpLink(uv_loop_t* loop, net::Resolver& resolver, std::string host, std::uint16_t port,
                 TcpLinkOptions options, LinkObserver& observer)
    : loop_(loop),
      resolver_(resolver),
      host_(std::move(host)),
      port_(port),
      options_(std::move(options)),
      observer_(observer) {
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
}

TcpLink::~TcpLink() {
  *alive_ = false;
  close_socket();
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void TcpLink::start() {
  log::verbose("Resolving %s", host_.c_str());
  std::weak_ptr<bool> alive = alive_;
  resolver_.resolve(host_, port_, [this, alive](net::ResolveResult result) {
    if (!util::still_alive(alive) || finished_) return;
    if (result.addresses.empty()) {
      fail("sshplex: Could not resolve hostname " + host_ + ": " + result.error);
      return;
    }
    addresses_ = std::move(result.addresses);
    if (options_.family != AF_UNSPEC) {
      std::erase_if(addresses_, [&](const net::ResolvedAddress& a) { return a.addr.ss_family != options_.family; });
      if (addresses_.empty()) {
        fail("sshplex: Could not resolve hostname " + host_ + ": no " +
             (options_.family == AF_INET ? "IPv4" : "IPv6") + " address (AddressFamily)");
        return;
      }
    }
    next_address_ = 0;
    connect_next();
  });
}

bool TcpLink::source_address(const sockaddr_storage& destination, sockaddr_storage& out, std::string& error) const {
  std::memset(&out, 0, sizeof out);
  const int family = destination.ss_family;
  if (!options_.bind_address.empty()) {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
    addrinfo* found = nullptr;
    // A numeric address only: a name here would be a blocking lookup in the loop.
    if (getaddrinfo(options_.bind_address.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
      error = "BindAddress " + options_.bind_address + " is not an " + (family == AF_INET ? "IPv4" : "IPv6") +
              " address";
      return false;
    }
    std::memcpy(&out, found->ai_addr, found->ai_addrlen);
    freeaddrinfo(found);
    return true;
  }
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    error = std::string("BindInterface: getifaddrs: ") + std::strerror(errno);
    return false;
  }
  bool found = false;
  for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != family || options_.bind_interface != i->ifa_name) continue;
    // An IPv6 link-local address cannot reach beyond the link; prefer any other (as ssh does).
    if (family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr)) {
      continue;
    }
    std::memcpy(&out, i->ifa_addr, family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    found = true;
  }
  freeifaddrs(list);
  if (!found) {
    error = "BindInterface " + options_.bind_interface + " has no " + (family == AF_INET ? "IPv4" : "IPv6") +
            " address";
  }
  return found;
}

void TcpLink::connect_next() {
  if (next_address_ >= addresses_.size()) {
    fail("sshplex: connect to host " + host_ + " port " + std::to_string(port_) + ": " +
         (last_error_.empty() ? "no usable address" : last_error_));
    return;
  }
  const net::ResolvedAddress& address = addresses_[next_address_++];
  log::verbose("Connecting to %s [%s] port %u.", host_.c_str(), address_string(address.addr).c_str(), port_);
  close_socket();
  tcp_ = new uv_tcp_t;
  tcp_->data = this;
  if (options_.socket_mark != 0) {
    // The mark must be on the socket before the SYN leaves: create it now rather than at connect.
    uv_tcp_init_ex(loop_, tcp_, address.addr.ss_family);
    std::string why;
    uv_os_fd_t fd = -1;
    uv_fileno(reinterpret_cast<uv_handle_t*>(tcp_), &fd);
    if (!net::mark_socket(fd, options_.socket_mark, why)) {
      fail("sshplex: " + why);
      return;
    }
  } else {
    uv_tcp_init(loop_, tcp_);
  }
  uv_tcp_nodelay(tcp_, 1);
  if (!options_.bind_address.empty() || !options_.bind_interface.empty()) {
    sockaddr_storage source{};
    std::string why;
    int rc = source_address(address.addr, source, why) ? uv_tcp_bind(tcp_, reinterpret_cast<sockaddr*>(&source), 0) : 0;
    if (why.empty() && rc != 0) why = "bind to " + address_string(source) + ": " + uv_strerror(rc);
    if (!why.empty()) {
      last_error_ = why;
      connect_next();
      return;
    }
  }
  auto* req = new uv_connect_t;
  struct ConnectCtx {
    std::weak_ptr<bool> alive;
    TcpLink* self;
    uv_tcp_t* tcp;
  };
  req->data = new ConnectCtx{alive_, this, tcp_};
  const int rc = uv_tcp_connect(req, tcp_, reinterpret_cast<const sockaddr*>(&address.addr), [](uv_connect_t* r, int status) {
    auto* ctx = static_cast<ConnectCtx*>(r->data);
    const bool live = util::still_alive(ctx->alive);
    TcpLink* self = ctx->self;
    // A connect that completes after its socket was given up (timeout) is not ours any more.
    const bool current = live && self->tcp_ == ctx->tcp;
    delete ctx;
    delete r;
    if (current && status != UV_ECANCELED) self->on_connected(status);
  });
  if (rc != 0) {
    delete static_cast<ConnectCtx*>(req->data);
    delete req;
    last_error_ = uv_strerror(rc);
    connect_next();
    return;
  }
  if (options_.connect_timeout.count() > 0) {
    uv_timer_start(timer_, [](uv_timer_t* t) { static_cast<TcpLink*>(t->data)->on_timeout(); },
                   static_cast<std::uint64_t>(options_.connect_timeout.count()), 0);
  }
}

void TcpLink::on_timeout() {
  if (finished_ || established_) return;
  // As in ssh, ConnectTimeout covers the TCP connect and the server's version banner.
  if (connected_) {
    fail("Connection timed out during banner exchange");
    return;
  }
  last_error_ = "Connection timed out";
  connect_next();
}

void TcpLink::on_connected(int status) {
  if (finished_) return;
  if (status != 0) {
    uv_timer_stop(timer_);
    last_error_ = status == UV_ECONNREFUSED ? "Connection refused" : uv_strerror(status);
    connect_next();
    return;
  }
  log::verbose("Connection established.");
  connected_ = true;
  if (next_address_ > 0) peer_address_ = address_string(addresses_[next_address_ - 1].addr);
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(tcp_), &fd) == 0) {
    if (options_.keep_alive) {
      const int on = 1;
      setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    }
    if (options_.ip_tos >= 0) {
      sockaddr_storage local{};
      socklen_t len = sizeof local;
      getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
      if (local.ss_family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &options_.ip_tos, sizeof options_.ip_tos);
      } else {
        setsockopt(fd, IPPROTO_IP, IP_TOS, &options_.ip_tos, sizeof options_.ip_tos);
      }
    }
  }
  if (!paused_ && !start_reading()) return;
  observer_.on_link_connected();
}

bool TcpLink::start_reading() {
  const int rc = uv_read_start(
      reinterpret_cast<uv_stream_t*>(tcp_),
      net::shared_read_buffer,
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        static_cast<TcpLink*>(stream->data)->on_read(nread, buf);
      });
  if (rc != 0) {
    fail(std::string("read failed: ") + uv_strerror(rc));
    return false;
  }
  return true;
}

void TcpLink::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (finished_ || nread == 0) return;
  if (nread < 0) {
    fail(nread == UV_EOF ? "Connection closed by remote host" : uv_strerror(static_cast<int>(nread)));
    return;
  }
  observer_.on_link_data(
      ssh::ByteView(reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(nread)));
}

bool TcpLink::write(ssh::Bytes bytes, std::string& error) {
  if (finished_ || tcp_ == nullptr || !connected_) {
    error = "not connected";
    return false;
  }
  return writes_.write(reinterpret_cast<uv_stream_t*>(tcp_), std::move(bytes), error);
}

void TcpLink::on_write_done(std::size_t, int status) {
  if (finished_) return;
  if (status < 0) {
    fail(std::string("write failed: ") + uv_strerror(status));
    return;
  }
  observer_.on_link_drained();
}

void TcpLink::pause_reading() {
  if (paused_) return;
  paused_ = true;
  if (tcp_ != nullptr && connected_) uv_read_stop(reinterpret_cast<uv_stream_t*>(tcp_));
}

void TcpLink::resume_reading() {
  if (!paused_) return;
  paused_ = false;
  if (tcp_ != nullptr && connected_ && !finished_) start_reading();
}

void TcpLink::established() {
  established_ = true;
  uv_timer_stop(timer_);
}

void TcpLink::close(ssh::ByteView farewell) {
  if (finished_) return;
  finished_ = true;
  uv_timer_stop(timer_);
  if (tcp_ != nullptr && connected_ && !farewell.empty()) {
    // Best effort: whatever the kernel takes now goes out ahead of the close.
    uv_buf_t b = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(farewell.data())),
                             static_cast<unsigned>(farewell.size()));
    uv_try_write(reinterpret_cast<uv_stream_t*>(tcp_), &b, 1);
  }
  close_socket();
}

void TcpLink::fail(const std::string& why) {
  if (finished_) return;
  finished_ = true;
  uv_timer_stop(timer_);
  close_socket();
  observer_.on_link_failed(why);
}

void TcpLink::close_socket() {
  if (tcp_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(tcp_), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  tcp_ = nullptr;
}

}  // namespace gateway
