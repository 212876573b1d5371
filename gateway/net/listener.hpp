#pragma once
// Listening sockets shared by the forward types: a TCP address:port or a unix socket path, and
// accepting a client from either. Handles are malloc'ed and freed with free() in close callbacks.
#include <uv.h>

#include <cstdint>
#include <string>

namespace gateway::net {

struct ListenSpec {
  std::string path;  // a unix socket when non-empty
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
};

struct Listener {
  uv_stream_t* stream = nullptr;
  std::uint16_t bound_port = 0;  // the port actually bound (for port 0)
  bool unix_socket = false;
};

// Binds and listens; `data` becomes stream->data. On failure returns a Listener with a null
// stream and sets `error`.
Listener listen(uv_loop_t* loop, const ListenSpec& spec, void* data, uv_connection_cb on_connection,
                std::string& error);
// Accepts one client (TCP_NODELAY set on TCP); nullptr when the accept failed.
uv_stream_t* accept_client(uv_loop_t* loop, const Listener& listener);
// The peer's address and port for a TCP client ("127.0.0.1", 0 for unix sockets).
std::string peer_address(uv_stream_t* client, bool unix_socket, std::uint16_t& port);
// Closes a handle made by listen()/accept_client() (and unlinks a unix socket path if given).
void close_stream(uv_stream_t* stream, const std::string& unlink_path = {});

}  // namespace gateway::net
