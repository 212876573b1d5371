#pragma once
// Listening sockets shared by the forward types: a TCP address:port or a unix socket path, and
// accepting a client from either. Handles are malloc'ed and freed with free() in close callbacks.
//
// Accepting is ours, not libuv's (a uv_poll_t on the listening socket), so that running out of
// descriptors degrades cleanly: on EMFILE/ENFILE the listener stops polling for kAcceptPause, logs
// "out of file descriptors: refusing new clients on <listener>" at most once a minute, and then
// tries again. Waiting clients stay in the kernel's backlog meanwhile instead of being accepted and
// dropped, and the loop does not spin on a socket that stays readable.
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace gateway::net {

struct ListenSpec {
  std::string path;  // a unix socket when non-empty
  // For a unix socket (StreamLocalBindMask, StreamLocalBindUnlink): the umask it is created with,
  // and whether a file already at the path is removed first.
  unsigned socket_mask = 0177;
  bool unlink_existing = false;
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
};

struct Listener {
  uv_stream_t* stream = nullptr;
  std::uint16_t bound_port = 0;  // the port actually bound (for port 0)
  bool unix_socket = false;
  std::string name;  // "127.0.0.1:1080" or the socket path, for messages
};

// How long a listener stops accepting after the process ran out of descriptors (or memory).
inline constexpr std::chrono::milliseconds kAcceptPause{1000};
// How often the "out of file descriptors" line may repeat per listener.
inline constexpr std::chrono::seconds kAcceptErrorLogInterval{60};

// Binds and listens; `data` becomes stream->data. `on_connection` runs with status 0 once per
// waiting client (call accept_client() from it; a client not taken is closed), or with a negative
// libuv error code for an accept failure other than descriptor or memory exhaustion. On failure
// returns a Listener with a null stream and sets `error`.
Listener listen(uv_loop_t* loop, const ListenSpec& spec, void* data, uv_connection_cb on_connection,
                std::string& error);
// Accepts one client (TCP_NODELAY set on TCP); nullptr when the accept failed.
uv_stream_t* accept_client(uv_loop_t* loop, const Listener& listener);
// The peer's address and port for a TCP client ("127.0.0.1", 0 for unix sockets).
std::string peer_address(uv_stream_t* client, bool unix_socket, std::uint16_t& port);
// Closes a handle made by listen()/accept_client() (and unlinks a unix socket path if given). Safe to
// call from inside the listener's own on_connection.
void close_stream(uv_stream_t* stream, const std::string& unlink_path = {});

}  // namespace gateway::net
