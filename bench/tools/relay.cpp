// `relay`: a plain TCP relay with no crypto, the least a forwarding program does per byte: read from
// one socket, write to the other. Each direction owns one 256 KiB buffer; a read is written at once
// (uv_try_write), and only if the peer does not take it all does the rest go out with uv_write while
// reading that direction pauses. So memory stays bounded and cache-warm and nothing is copied in
// user space. Its CPU per GB is the socket-copy floor under an SSH client's CPU per GB.
// (`delay-relay` at 0 ms reads ahead up to 64 MiB per direction into fresh chunks, which costs page
// faults and cache misses that this one avoids.)
#include <cstdint>
#include <memory>
#include <string>

#include "bench/tools/args.hpp"
#include "bench/tools/listen_loop.hpp"
#include "bench/tools/live_list.hpp"
#include "bench/tools/net.hpp"
#include "bench/tools/relay_pair.hpp"
#include "bench/tools/runtime.hpp"
#include "bench/tools/tools.hpp"

namespace bench::tools {

namespace {

struct Relay;
struct Pair;

struct Direction {
  Pair* pair = nullptr;
  uv_tcp_t* from = nullptr;
  uv_tcp_t* to = nullptr;
  std::unique_ptr<char[]> buffer{new char[kIoChunk]};
  uv_write_t write{};
  bool eof_delivered = false;
};

struct Pair {
  Relay* relay = nullptr;
  uv_tcp_t client{};
  uv_tcp_t upstream{};
  uv_connect_t connect{};
  Direction up;    // client -> upstream
  Direction down;  // upstream -> client
  ListHook<Pair> hook;
  bool closing = false;
  int open_handles = 2;
};

struct Relay {
  Runtime runtime{"relay"};
  sockaddr_in target{};
  uv_tcp_t listener{};
  LiveList<Pair> pairs;
};

void close_pair(Pair& pair) {
  if (pair.closing) return;
  pair.closing = true;
  pair.relay->pairs.remove(pair);
  for (uv_tcp_t* tcp : {&pair.client, &pair.upstream}) {
    uv_close(as_handle(tcp), [](uv_handle_t* h) {
      Pair* p = static_cast<Direction*>(h->data)->pair;
      if (--p->open_handles == 0) delete p;
    });
  }
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

// Reading pauses while a write is outstanding, so the direction's one buffer is never shared.
void alloc_buffer(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  auto& d = *static_cast<Direction*>(handle->data);
  *buf = uv_buf_init(d.buffer.get(), static_cast<unsigned int>(kIoChunk));
}

void start_reading(Direction& d) { uv_read_start(as_stream(d.from), alloc_buffer, on_read); }

void on_written(uv_write_t* req, int status) {
  auto& d = *static_cast<Direction*>(req->data);
  if (status == UV_ECANCELED || d.pair->closing) return;
  if (status < 0) {
    close_pair(*d.pair);
    return;
  }
  start_reading(d);
}

void on_eof_delivered(uv_shutdown_t* req, int status) {
  auto& d = *static_cast<Direction*>(req->data);
  delete req;
  if (status == UV_ECANCELED || d.pair->closing) return;
  d.eof_delivered = true;
  Pair& pair = *d.pair;
  if (status < 0 || (pair.up.eof_delivered && pair.down.eof_delivered)) close_pair(pair);
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
  auto& d = *static_cast<Direction*>(stream->data);
  if (nread == 0 || d.pair->closing) return;
  if (nread == UV_EOF) {
    uv_read_stop(stream);
    auto* req = new uv_shutdown_t;
    req->data = &d;
    if (uv_shutdown(req, as_stream(d.to), on_eof_delivered) != 0) {
      delete req;
      close_pair(*d.pair);
    }
    return;
  }
  if (nread < 0) {
    close_pair(*d.pair);
    return;
  }
  const auto len = static_cast<std::size_t>(nread);
  uv_buf_t out = uv_buf_init(d.buffer.get(), static_cast<unsigned int>(len));
  int written = uv_try_write(as_stream(d.to), &out, 1);
  if (written == UV_EAGAIN) written = 0;
  if (written < 0) {
    close_pair(*d.pair);
    return;
  }
  const auto done = static_cast<std::size_t>(written);
  if (done == len) return;
  uv_read_stop(stream);
  out = uv_buf_init(d.buffer.get() + done, static_cast<unsigned int>(len - done));
  d.write.data = &d;
  if (uv_write(&d.write, as_stream(d.to), &out, 1, on_written) != 0) close_pair(*d.pair);
}

void on_upstream_connect(uv_connect_t* req, int status) {
  auto& pair = *static_cast<Pair*>(req->data);
  if (status == UV_ECANCELED || pair.closing) return;
  if (status < 0) {
    close_pair(pair);
    return;
  }
  start_reading(pair.up);
  start_reading(pair.down);
}

void on_connection(uv_stream_t* listener, int status) {
  if (status < 0) return;
  Relay& relay = *static_cast<Relay*>(listener->data);
  auto* pair = new Pair;
  pair->relay = &relay;
  wire_relay_pair(*pair, relay.runtime.loop());
  relay.pairs.push_back(*pair);
  if (uv_accept(listener, as_stream(&pair->client)) != 0) {
    close_pair(*pair);
    return;
  }
  uv_tcp_nodelay(&pair->client, 1);
  // The client is read only once the upstream is connected: there is nowhere to write before.
  if (tcp_connect(&pair->upstream, &pair->connect, relay.target, on_upstream_connect) != 0) close_pair(*pair);
}

}  // namespace

int run_relay(int argc, char** argv, int first) {
  std::string error;
  auto args = Args::parse(argc, argv, first, {"listen", "connect", "bind", "timeout"}, &error);
  if (!args) return report_error("relay", error);
  Relay relay;
  if (auto target = args->endpoint("connect")) relay.target = *target;
  int port = 0;
  if (args->require("listen")) port = args->port("listen");
  const auto bind = args->bind_address("bind", port);
  const double timeout = args->seconds("timeout", 3600);
  if (!args->ok()) return report_error("relay", args->error());

  return run_listen_loop(relay.runtime, relay.listener, &relay, *bind, timeout, on_connection,
                         [&relay] { relay.pairs.for_each([](Pair& p) { close_pair(p); }); });
}

}  // namespace bench::tools
