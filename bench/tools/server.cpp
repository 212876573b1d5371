// `server`: echo, sink, source and greet listeners in one process. Idle connections own no buffer:
// reads land in the shared buffer and only the part of an echo the socket did not take at once is
// copied (reading pauses until it is out). Source writes come from the shared block of zeros.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/tools/args.hpp"
#include "bench/tools/json_line.hpp"
#include "bench/tools/live_list.hpp"
#include "bench/tools/net.hpp"
#include "bench/tools/runtime.hpp"
#include "bench/tools/tools.hpp"

namespace bench::tools {

namespace {

enum class Role { Echo, Sink, Source, Greet };

struct Server;

struct Conn {
  uv_tcp_t tcp{};
  ListHook<Conn> hook;
  Server* server = nullptr;
  Role role = Role::Echo;
  bool writing = false;  // a queued write is outstanding
  bool peer_eof = false;
  bool shutting_down = false;
  bool shut_down = false;
  bool closing = false;
  bool sending = false;  // source: the request is complete
  std::uint8_t request_len = 0;
  std::uint8_t request[8] = {};
  std::uint64_t to_send = 0;
};

struct Listener {
  uv_tcp_t tcp{};
  Role role = Role::Echo;
  Server* server = nullptr;
};

struct Server {
  Runtime runtime{"server"};
  std::vector<std::unique_ptr<Listener>> listeners;
  LiveList<Conn> conns;
};

Conn& conn_of(uv_stream_t* stream) { return *static_cast<Conn*>(stream->data); }

void close_conn(Conn& c) {
  if (c.closing) return;
  c.closing = true;
  c.server->conns.remove(c);
  uv_close(as_handle(&c.tcp), [](uv_handle_t* h) { delete static_cast<Conn*>(h->data); });
}

void on_shutdown(uv_shutdown_t* req, int status) {
  Conn& c = *static_cast<Conn*>(req->data);
  delete req;
  if (status == UV_ECANCELED) return;
  c.shut_down = true;
  // A source keeps reading until the client's EOF so its last bytes are not cut by a reset.
  if (status < 0 || c.role != Role::Source || c.peer_eof) close_conn(c);
}

void start_shutdown(Conn& c) {
  if (c.shutting_down || c.closing) return;
  c.shutting_down = true;
  auto* req = new uv_shutdown_t;
  req->data = &c;
  if (uv_shutdown(req, as_stream(&c.tcp), on_shutdown) != 0) {
    delete req;
    close_conn(c);
  }
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

// An echo (or the greeting) that had to be queued is out: resume reading, or finish after EOF.
void on_echo_drained(void* user, int status) {
  Conn& c = *static_cast<Conn*>(user);
  if (status == UV_ECANCELED) return;
  c.writing = false;
  if (status < 0) {
    close_conn(c);
  } else if (c.peer_eof) {
    start_shutdown(c);
  } else {
    uv_read_start(as_stream(&c.tcp), alloc_shared, on_read);
  }
}

void pump_source(Conn& c);

void on_source_written(uv_write_t* req, int status) {
  Conn& c = *static_cast<Conn*>(req->data);
  delete req;
  if (status == UV_ECANCELED) return;
  c.writing = false;
  if (status < 0) {
    close_conn(c);
    return;
  }
  pump_source(c);
}

void pump_source(Conn& c) {
  if (c.closing) return;
  if (pump_zeros(as_stream(&c.tcp), &c.to_send, &c.writing, on_source_written, &c) != 0) {
    close_conn(c);
    return;
  }
  if (c.to_send == 0 && !c.writing) start_shutdown(c);
}

void on_source_request(Conn& c, const char* data, std::size_t len) {
  if (c.sending) return;  // anything after the request is ignored
  for (std::size_t i = 0; i < len && c.request_len < sizeof c.request; ++i) {
    c.request[c.request_len++] = static_cast<std::uint8_t>(data[i]);
  }
  if (c.request_len < sizeof c.request) return;
  std::uint64_t n = 0;
  for (const std::uint8_t b : c.request) n = (n << 8) | b;
  c.to_send = n;
  c.sending = true;
  pump_source(c);
}

void on_peer_eof(Conn& c) {
  c.peer_eof = true;
  uv_read_stop(as_stream(&c.tcp));
  switch (c.role) {
    case Role::Sink:
      close_conn(c);
      break;
    case Role::Echo:
    case Role::Greet:
      if (!c.writing) start_shutdown(c);
      break;
    case Role::Source:
      // Done, or a client that gave up before asking: nothing more to do.
      if (c.shut_down || !c.sending) close_conn(c);
      break;
  }
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  Conn& c = conn_of(stream);
  if (nread == 0) return;
  if (nread == UV_EOF) {
    on_peer_eof(c);
    return;
  }
  if (nread < 0) {
    close_conn(c);
    return;
  }
  const auto len = static_cast<std::size_t>(nread);
  switch (c.role) {
    case Role::Sink:
      break;
    case Role::Source:
      on_source_request(c, buf->base, len);
      break;
    case Role::Echo:
    case Role::Greet: {
      int error = 0;
      const WriteOutcome out = write_or_queue(stream, buf->base, len, on_echo_drained, &c, &error);
      if (out == WriteOutcome::Failed) {
        close_conn(c);
      } else if (out == WriteOutcome::Queued) {
        c.writing = true;
        uv_read_stop(stream);
      }
      break;
    }
  }
}

void on_connection(uv_stream_t* listener_stream, int status) {
  if (status < 0) return;
  Listener& listener = *static_cast<Listener*>(listener_stream->data);
  Server& server = *listener.server;
  auto* c = new Conn;
  c->server = &server;
  c->role = listener.role;
  uv_tcp_init(server.runtime.loop(), &c->tcp);
  c->tcp.data = c;
  if (uv_accept(listener_stream, as_stream(&c->tcp)) != 0) {
    uv_close(as_handle(&c->tcp), [](uv_handle_t* h) { delete static_cast<Conn*>(h->data); });
    return;
  }
  server.conns.push_back(*c);
  uv_tcp_nodelay(&c->tcp, 1);
  if (c->role == Role::Greet) {
    static const char greeting[] = "!";
    int error = 0;
    const WriteOutcome out = write_or_queue(as_stream(&c->tcp), greeting, 1, on_echo_drained, c, &error);
    if (out == WriteOutcome::Failed) {
      close_conn(*c);
      return;
    }
    if (out == WriteOutcome::Queued) {
      c->writing = true;
      return;  // reading starts when the greeting is out
    }
  }
  uv_read_start(as_stream(&c->tcp), alloc_shared, on_read);
}

}  // namespace

int run_server(int argc, char** argv, int first) {
  std::string error;
  auto args = Args::parse(argc, argv, first, {"echo", "sink", "source", "greet", "bind", "timeout"}, &error);
  if (!args) return report_error("server", error);
  const std::pair<const char*, Role> roles[] = {
      {"echo", Role::Echo}, {"sink", Role::Sink}, {"source", Role::Source}, {"greet", Role::Greet}};
  std::vector<std::pair<sockaddr_in, Role>> wanted;
  for (const auto& [name, role] : roles) {
    const int port = args->port(name);
    if (port == 0) continue;
    if (auto address = args->bind_address("bind", port)) wanted.emplace_back(*address, role);
  }
  const double timeout = args->seconds("timeout", 3600);
  if (args->ok() && wanted.empty()) args->add_error("nothing to serve: give --echo, --sink, --source or --greet");
  if (!args->ok()) return report_error("server", args->error());

  Server server;
  server.runtime.start(timeout, [&server](Runtime::Stop why) {
    if (why == Runtime::Stop::Signal) {
      server.runtime.finish(0);
    } else {
      server.runtime.fail_timeout();
    }
  });
  for (const auto& [address, role] : wanted) {
    auto listener = std::make_unique<Listener>();
    listener->role = role;
    listener->server = &server;
    uv_tcp_init(server.runtime.loop(), &listener->tcp);
    listener->tcp.data = listener.get();
    const int r = tcp_listen(&listener->tcp, address, on_connection);
    server.listeners.push_back(std::move(listener));
    if (r != 0) {
      server.runtime.fail(1, "cannot listen on " + describe(address) + ": " + uv_error_text(r));
      break;
    }
  }
  if (!server.runtime.finished()) JsonLine().add("ready", true).print();
  return server.runtime.run([&server] {
    for (auto& listener : server.listeners) uv_close(as_handle(&listener->tcp), nullptr);
    server.conns.for_each([](Conn& c) { close_conn(c); });
  });
}

}  // namespace bench::tools
