// Shared wiring of the relay tools: one relayed connection is a client socket, an upstream socket
// and two directions (up: client -> upstream, down: upstream -> client). Each socket's data points
// at the direction that reads from it, the connect request's at the pair.
#pragma once

#include <uv.h>

namespace bench::tools {

// `Pair` has uv_tcp_t client/upstream, uv_connect_t connect and Direction up/down, a Direction
// having pair/from/to members.
template <class Pair>
void wire_relay_pair(Pair& pair, uv_loop_t* loop) {
  uv_tcp_init(loop, &pair.client);
  uv_tcp_init(loop, &pair.upstream);
  pair.up.pair = &pair;
  pair.up.from = &pair.client;
  pair.up.to = &pair.upstream;
  pair.down.pair = &pair;
  pair.down.from = &pair.upstream;
  pair.down.to = &pair.client;
  pair.client.data = &pair.up;
  pair.upstream.data = &pair.down;
  pair.connect.data = &pair;
}

}  // namespace bench::tools
