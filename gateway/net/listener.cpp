#include "gateway/net/listener.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace gateway::net {
namespace {

bool make_sockaddr(const std::string& address, std::uint16_t port, sockaddr_storage& out) {
  std::string host = address;
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  if (host == "*") host = "0.0.0.0";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&out)) == 0) return true;
  return uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out)) == 0;
}

void free_handle(uv_handle_t* h) { std::free(h); }

}  // namespace

Listener listen(uv_loop_t* loop, const ListenSpec& spec, void* data, uv_connection_cb on_connection,
                std::string& error) {
  Listener out;
  int rc = 0;
  if (!spec.path.empty()) {
    out.unix_socket = true;
    auto* pipe = static_cast<uv_pipe_t*>(std::malloc(sizeof(uv_pipe_t)));
    uv_pipe_init(loop, pipe, 0);
    out.stream = reinterpret_cast<uv_stream_t*>(pipe);
    // Like ssh's StreamLocalBindMask 0177: the socket is created owner-only.
    const mode_t old_mask = umask(0177);
    rc = uv_pipe_bind(pipe, spec.path.c_str());
    umask(old_mask);
  } else {
    sockaddr_storage addr{};
    if (!make_sockaddr(spec.address, spec.port, addr)) {
      error = "bad bind address '" + spec.address + "'";
      return {};
    }
    auto* tcp = static_cast<uv_tcp_t*>(std::malloc(sizeof(uv_tcp_t)));
    uv_tcp_init(loop, tcp);
    out.stream = reinterpret_cast<uv_stream_t*>(tcp);
    rc = uv_tcp_bind(tcp, reinterpret_cast<const sockaddr*>(&addr), 0);
  }
  out.stream->data = data;
  if (rc == 0) rc = uv_listen(out.stream, 511, on_connection);
  if (rc != 0) {
    error = uv_strerror(rc);
    close_stream(out.stream);
    return {};
  }
  if (!out.unix_socket) {
    sockaddr_storage ss{};
    int len = sizeof ss;
    uv_tcp_getsockname(reinterpret_cast<uv_tcp_t*>(out.stream), reinterpret_cast<sockaddr*>(&ss), &len);
    out.bound_port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                                    : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
  return out;
}

uv_stream_t* accept_client(uv_loop_t* loop, const Listener& listener) {
  uv_stream_t* client = nullptr;
  if (listener.unix_socket) {
    auto* pipe = static_cast<uv_pipe_t*>(std::malloc(sizeof(uv_pipe_t)));
    uv_pipe_init(loop, pipe, 0);
    client = reinterpret_cast<uv_stream_t*>(pipe);
  } else {
    auto* tcp = static_cast<uv_tcp_t*>(std::malloc(sizeof(uv_tcp_t)));
    uv_tcp_init(loop, tcp);
    uv_tcp_nodelay(tcp, 1);
    client = reinterpret_cast<uv_stream_t*>(tcp);
  }
  if (uv_accept(listener.stream, client) != 0) {
    close_stream(client);
    return nullptr;
  }
  return client;
}

std::string peer_address(uv_stream_t* client, bool unix_socket, std::uint16_t& port) {
  port = 0;
  if (unix_socket) return "127.0.0.1";
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getpeername(reinterpret_cast<uv_tcp_t*>(client), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return "127.0.0.1";
  }
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

void close_stream(uv_stream_t* stream, const std::string& unlink_path) {
  if (stream == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(stream), free_handle);
  if (!unlink_path.empty()) ::unlink(unlink_path.c_str());
}

}  // namespace gateway::net
