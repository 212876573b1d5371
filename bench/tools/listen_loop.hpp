// The loop of the relay tools: listen, say ready, accept until SIGTERM/SIGINT (exit 0) or the
// --timeout (exit 2), then close the listener and every connection.
#pragma once

#include <uv.h>

#include <functional>

#include "bench/tools/runtime.hpp"

namespace bench::tools {

// `listener` must be a member of the object its callbacks find through listener->data (set here to
// `owner`). Prints {"ready": true} once listening; `close_all` closes the open connections at the end.
int run_listen_loop(Runtime& runtime, uv_tcp_t& listener, void* owner, const sockaddr_in& bind,
                    double timeout_seconds, uv_connection_cb on_connection, const std::function<void()>& close_all);

}  // namespace bench::tools
