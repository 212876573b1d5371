#pragma once
// Outgoing local connections for remote forwards: a host name resolved with c-ares (net::Resolver)
// and each address tried in turn with uv_tcp_connect, or a unix socket path. The stream handed
// back is malloc'ed like the listener's (close it with net::close_stream or give it to a splice).
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gateway/net/resolver.hpp"

namespace gateway::net {

struct ConnectResult {
  uv_stream_t* stream = nullptr;  // connected; owned by the receiver. nullptr on failure
  // The libuv error of the last attempt (UV_ECONNREFUSED, UV_ENETUNREACH ...); UV_EAI_NONAME when
  // the name did not resolve. 0 on success.
  int status = 0;
  std::string error;  // for log lines: "Connection refused", "Could not resolve ..."
};

// One connect in progress. Dropping the last reference does not cancel it; cancel() does: the
// callback is then never called and any half-made socket is closed.
class ConnectAttempt {
 public:
  using Callback = std::function<void(ConnectResult)>;
  virtual ~ConnectAttempt() = default;
  virtual void cancel() = 0;
};

// The callback runs exactly once on the loop (never from inside these calls), unless cancelled.
std::shared_ptr<ConnectAttempt> connect_tcp(uv_loop_t* loop, Resolver& resolver, const std::string& host,
                                            std::uint16_t port, ConnectAttempt::Callback callback);
std::shared_ptr<ConnectAttempt> connect_unix(uv_loop_t* loop, const std::string& path,
                                             ConnectAttempt::Callback callback);

}  // namespace gateway::net
