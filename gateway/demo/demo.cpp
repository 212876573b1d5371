#include "gateway/demo/demo.hpp"

#include <uv.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "gateway/app.hpp"
#include "gateway/forward/local_forward.hpp"
#include "gateway/util/log.hpp"
#include "gateway/demo/throwaway_sshd.hpp"
#include "ssh/crypto/hash.hpp"
#include "ssh/crypto/random.hpp"

namespace gateway::demo {
namespace {

constexpr std::size_t kPayload = 8 * 1024 * 1024;

std::string hex(ssh::ByteView b) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (auto c : b) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// Echo service: the "remote" application behind the forward.
struct EchoService {
  uv_tcp_t server{};
  static void on_connection(uv_stream_t* server, int status) {
    if (status < 0) return;
    auto* client = new uv_tcp_t;
    uv_tcp_init(server->loop, client);
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(client)) != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(client), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
      return;
    }
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(client),
        [](uv_handle_t*, size_t, uv_buf_t* buf) {
          buf->base = new char[65536];
          buf->len = 65536;
        },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
          if (n > 0) {
            struct Req {
              uv_write_t w;
              char* data;
            };
            auto* req = new Req{{}, buf->base};
            uv_buf_t out = uv_buf_init(buf->base, static_cast<unsigned>(n));
            uv_write(&req->w, s, &out, 1, [](uv_write_t* w, int) {
              auto* r = reinterpret_cast<Req*>(w);
              delete[] r->data;
              delete r;
            });
            return;
          }
          delete[] buf->base;
          if (n < 0) {
            uv_close(reinterpret_cast<uv_handle_t*>(s), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
          }
        });
  }
};

// The user of the forward: sends random bytes, reads the echo, compares digests.
struct Probe {
  uv_tcp_t tcp{};
  uv_connect_t connect{};
  uv_write_t write{};
  App* app = nullptr;
  uv_tcp_t* echo_server = nullptr;
  ssh::Bytes payload;
  ssh::crypto::Hash received_hash{ssh::crypto::HashAlg::sha256};
  std::size_t received = 0;
  std::chrono::steady_clock::time_point started;
  std::string sent_digest;
  int exit_code = 1;

  void finish(bool ok, const std::string& message) {
    std::printf("%s\n", message.c_str());
    std::fflush(stdout);
    exit_code = ok ? 0 : 1;
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), nullptr);
    // The demo is over: the echo service stops listening so the loop can run out.
    uv_close(reinterpret_cast<uv_handle_t*>(echo_server), nullptr);
    app->stop(exit_code, "demo finished");
  }
};

}  // namespace

int run_demo(int verbosity) {
  log::set_level(log::level_for(verbosity, false));
  std::printf("sshplex demo: no destination given, so a throwaway OpenSSH server is started on loopback.\n");
  ThrowawaySshd sshd;
  std::string error;
  if (!sshd.start(error)) {
    std::fprintf(stderr, "sshplex demo: %s\n", error.c_str());
    return kExitFailure;
  }
  std::printf("  sshd on 127.0.0.1:%u (keys in %s)\n", sshd.port(), sshd.directory().c_str());

  uv_loop_t loop;
  uv_loop_init(&loop);
  auto* echo = new EchoService;
  uv_tcp_init(&loop, &echo->server);
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", 0, &addr);
  uv_tcp_bind(&echo->server, reinterpret_cast<const sockaddr*>(&addr), 0);
  uv_listen(reinterpret_cast<uv_stream_t*>(&echo->server), 16, &EchoService::on_connection);
  sockaddr_in bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&echo->server, reinterpret_cast<sockaddr*>(&bound), &len);
  const std::uint16_t echo_port = ntohs(bound.sin_port);
  std::printf("  echo service on 127.0.0.1:%u\n", echo_port);

  config::Options options;
  options.host = options.hostname = "127.0.0.1";
  options.port = sshd.port();
  options.user = sshd.user();
  options.identity_files = {sshd.identity_file()};
  options.identities_only = true;
  options.identity_agent = "none";
  options.user_known_hosts_files = {sshd.known_hosts_file()};
  options.strict_host_key_checking = config::StrictHostKeyChecking::yes;
  options.batch_mode = true;
  config::ForwardSpec forward;
  forward.listen.host = "127.0.0.1";
  forward.listen.port = pick_free_port();
  forward.target = config::ForwardEndpoint{"127.0.0.1", echo_port, {}};
  options.local_forwards.push_back(forward);
  std::printf("  running: sshplex -N -o StrictHostKeyChecking=yes -i %s -p %u -L 127.0.0.1:%u:127.0.0.1:%u %s@127.0.0.1\n",
              sshd.identity_file().c_str(), sshd.port(), forward.listen.port, echo_port, sshd.user().c_str());

  Probe probe;
  probe.echo_server = &echo->server;
  std::fflush(stdout);
  int status = kExitFailure;
  {
  App app(&loop, options);
  app.on_ready([&probe, &loop](App& a) {
    probe.app = &a;
    std::uint16_t port = 0;
    a.forwards().for_each([&port](const config::ForwardSpec&, Forward& f) {
      if (auto* local = dynamic_cast<LocalForward*>(&f)) port = local->bound_port();
    });
    probe.payload.resize(kPayload);
    ssh::crypto::random_bytes(probe.payload);
    probe.sent_digest = hex(ssh::crypto::digest(ssh::crypto::HashAlg::sha256, probe.payload));
    probe.started = std::chrono::steady_clock::now();
    uv_tcp_init(&loop, &probe.tcp);
    probe.tcp.data = &probe;
    sockaddr_in to{};
    uv_ip4_addr("127.0.0.1", port, &to);
    probe.connect.data = &probe;
    uv_tcp_connect(&probe.connect, &probe.tcp, reinterpret_cast<const sockaddr*>(&to), [](uv_connect_t* c, int rc) {
      auto* p = static_cast<Probe*>(c->data);
      if (rc < 0) {
        p->finish(false, std::string("  FAILED: cannot connect to the forward: ") + uv_strerror(rc));
        return;
      }
      uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(p->payload.data()), static_cast<unsigned>(p->payload.size()));
      uv_write(&p->write, reinterpret_cast<uv_stream_t*>(&p->tcp), &b, 1, [](uv_write_t*, int) {});
      uv_read_start(
          reinterpret_cast<uv_stream_t*>(&p->tcp),
          [](uv_handle_t*, size_t, uv_buf_t* buf) {
            static char storage[65536];
            buf->base = storage;
            buf->len = sizeof storage;
          },
          [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
            auto* self = static_cast<Probe*>(s->data);
            if (n < 0) {
              self->finish(false, "  FAILED: the forward closed after " + std::to_string(self->received) + " bytes");
              return;
            }
            self->received_hash.update(ssh::ByteView(reinterpret_cast<std::uint8_t*>(buf->base), static_cast<std::size_t>(n)));
            self->received += static_cast<std::size_t>(n);
            if (self->received < self->payload.size()) return;
            const auto got = hex(self->received_hash.finish());
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - self->started).count();
            char line[512];
            std::snprintf(line, sizeof line,
                          "  sent %zu MiB through the forward and got it back in %.2f s\n"
                          "  sha256 sent     %s\n  sha256 received %s\n  %s",
                          self->payload.size() >> 20, secs, self->sent_digest.c_str(), got.c_str(),
                          got == self->sent_digest ? "OK: the tunnel works. Try: sshplex -N -L 8080:localhost:80 you@server"
                                                   : "FAILED: data differs");
            self->finish(got == self->sent_digest, line);
          });
    });
  });
  if (app.start()) {
    uv_run(&loop, UV_RUN_DEFAULT);
    status = app.exit_code();
  } else {
    uv_close(reinterpret_cast<uv_handle_t*>(&echo->server), nullptr);
  }
  }
  // Let the close callbacks of everything released above run, then free what they used.
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  delete echo;
  return status;
}

}  // namespace gateway::demo
