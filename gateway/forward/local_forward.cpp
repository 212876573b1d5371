#include "gateway/forward/local_forward.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>

#include <unistd.h>

#include "gateway/core/log.hpp"

namespace gateway {
namespace {

std::string peer_of(uv_tcp_t* tcp, std::uint16_t& port) {
  sockaddr_storage ss{};
  int len = sizeof ss;
  port = 0;
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "127.0.0.1";
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    port = ntohs(in->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    port = ntohs(in6->sin6_port);
  }
  return buf;
}

bool make_sockaddr(const std::string& address, std::uint16_t port, sockaddr_storage& out) {
  std::string host = address;
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  if (host == "*") host = "0.0.0.0";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&out)) == 0) return true;
  return uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out)) == 0;
}

}  // namespace

std::string LocalForwardSpec::describe() const {
  std::string from = listen_path.empty() ? listen_address + ":" + std::to_string(listen_port) : listen_path;
  std::string to = target_path.empty() ? target_host + ":" + std::to_string(target_port) : target_path;
  return from + " -> " + to;
}

LocalForward::LocalForward(uv_loop_t* loop, LocalForwardSpec spec, SessionSource session)
    : loop_(loop), spec_(std::move(spec)), session_source_(std::move(session)) {}

LocalForward::~LocalForward() { close(); }

bool LocalForward::listen(std::string& error) {
  int rc = 0;
  if (!spec_.listen_path.empty()) {
    unix_ = true;
    auto* pipe = static_cast<uv_pipe_t*>(std::malloc(sizeof(uv_pipe_t)));
    uv_pipe_init(loop_, pipe, 0);
    listener_ = reinterpret_cast<uv_stream_t*>(pipe);
    // Like ssh's StreamLocalBindMask 0177: the socket is created owner-only.
    const mode_t old_mask = umask(0177);
    rc = uv_pipe_bind(pipe, spec_.listen_path.c_str());
    umask(old_mask);
  } else {
    sockaddr_storage addr{};
    if (!make_sockaddr(spec_.listen_address, spec_.listen_port, addr)) {
      error = "bad bind address '" + spec_.listen_address + "' for local forward " + spec_.describe();
      return false;
    }
    auto* tcp = static_cast<uv_tcp_t*>(std::malloc(sizeof(uv_tcp_t)));
    uv_tcp_init(loop_, tcp);
    listener_ = reinterpret_cast<uv_stream_t*>(tcp);
    rc = uv_tcp_bind(tcp, reinterpret_cast<const sockaddr*>(&addr), 0);
  }
  listener_->data = this;
  if (rc == 0) {
    rc = uv_listen(listener_, 511, [](uv_stream_t* server, int status) {
      static_cast<LocalForward*>(server->data)->on_connection(status);
    });
  }
  if (rc != 0) {
    error = std::string("cannot listen for local forward ") + spec_.describe() + ": " + uv_strerror(rc);
    close();
    return false;
  }
  if (!unix_) {
    sockaddr_storage ss{};
    int len = sizeof ss;
    uv_tcp_getsockname(reinterpret_cast<uv_tcp_t*>(listener_), reinterpret_cast<sockaddr*>(&ss), &len);
    bound_port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                                 : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    spec_.listen_port = bound_port_;
  }
  log::verbose("Local forward listening: %s", spec_.describe().c_str());
  return true;
}

void LocalForward::on_connection(int status) {
  if (status < 0) {
    log::error("local forward %s: accept failed: %s", spec_.describe().c_str(), uv_strerror(status));
    return;
  }
  uv_stream_t* client = nullptr;
  if (unix_) {
    auto* pipe = static_cast<uv_pipe_t*>(std::malloc(sizeof(uv_pipe_t)));
    uv_pipe_init(loop_, pipe, 0);
    client = reinterpret_cast<uv_stream_t*>(pipe);
  } else {
    auto* tcp = static_cast<uv_tcp_t*>(std::malloc(sizeof(uv_tcp_t)));
    uv_tcp_init(loop_, tcp);
    uv_tcp_nodelay(tcp, 1);
    client = reinterpret_cast<uv_stream_t*>(tcp);
  }
  auto close_client = [](uv_stream_t* s) {
    uv_close(reinterpret_cast<uv_handle_t*>(s), [](uv_handle_t* h) { std::free(h); });
  };
  if (uv_accept(listener_, client) != 0) {
    close_client(client);
    return;
  }
  SshSession* session = session_source_();
  if (session == nullptr) {
    log::info("local forward %s: no connection to the server; refusing client", spec_.describe().c_str());
    close_client(client);
    return;
  }
  std::uint16_t origin_port = 0;
  const std::string origin = unix_ ? std::string("127.0.0.1") : peer_of(reinterpret_cast<uv_tcp_t*>(client), origin_port);
  auto* splice = new StreamSplice(*session, client, "forward " + spec_.describe(), [this](StreamSplice* s) {
    splices_.erase(s);
    delete s;
  });
  splices_.insert(splice);
  std::optional<ssh::ChannelId> id;
  if (spec_.target_path.empty()) {
    id = session->open_direct_tcpip(spec_.target_host, spec_.target_port, origin, origin_port, *splice);
  } else {
    id = session->open_direct_streamlocal(spec_.target_path, *splice);
  }
  if (!id) {
    log::error("local forward %s: cannot open a channel", spec_.describe().c_str());
    splice->on_open_failed(4, "cannot open channel");  // closes the client; the splice then finishes
    return;
  }
  splice->attach(*id);
  log::debug("%s: connection from %s:%u", spec_.describe().c_str(), origin.c_str(), origin_port);
}

void LocalForward::close() {
  if (listener_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_), [](uv_handle_t* h) { std::free(h); });
    listener_ = nullptr;
    if (unix_) ::unlink(spec_.listen_path.c_str());
  }
  for (StreamSplice* s : std::unordered_set<StreamSplice*>(splices_)) s->abort();
}

}  // namespace gateway
