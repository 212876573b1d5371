// `first-byte`: connects again every millisecond until a connection delivers a byte, and reports the
// CLOCK_MONOTONIC time of that byte (the runner measures how soon a forward serves after launch).
#include <cstdint>
#include <string>

#include "bench/tools/args.hpp"
#include "bench/tools/clock.hpp"
#include "bench/tools/json_line.hpp"
#include "bench/tools/net.hpp"
#include "bench/tools/runtime.hpp"
#include "bench/tools/tools.hpp"

namespace bench::tools {

namespace {

struct FirstByte;

struct Attempt {
  uv_tcp_t tcp{};
  uv_connect_t connect{};
  FirstByte* owner = nullptr;
};

struct FirstByte {
  Runtime runtime{"first-byte"};
  sockaddr_in target{};
  std::uint64_t attempts = 0;
  Attempt* current = nullptr;
  uv_timer_t retry{};
};

void attempt(FirstByte& fb);

void close_attempt(FirstByte& fb) {
  if (fb.current == nullptr) return;
  uv_close(as_handle(&fb.current->tcp), [](uv_handle_t* h) { delete static_cast<Attempt*>(h->data); });
  fb.current = nullptr;
}

// Refused, reset or closed before a byte: try again in a millisecond.
void retry_later(FirstByte& fb) {
  close_attempt(fb);
  if (fb.runtime.finished()) return;
  uv_timer_start(&fb.retry, [](uv_timer_t* t) { attempt(*static_cast<FirstByte*>(t->data)); }, 1, 0);
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
  if (nread == 0) return;
  const double at = monotonic_seconds();
  FirstByte& fb = *static_cast<Attempt*>(stream->data)->owner;
  if (nread < 0) {
    retry_later(fb);
    return;
  }
  JsonLine().add("monotonic", at).add("attempts", fb.attempts).print();
  fb.runtime.finish(0);
}

void on_connect(uv_connect_t* req, int status) {
  if (status == UV_ECANCELED) return;
  auto& a = *static_cast<Attempt*>(req->data);
  if (status < 0) {
    retry_later(*a.owner);
    return;
  }
  uv_read_start(as_stream(&a.tcp), alloc_shared, on_read);
}

void attempt(FirstByte& fb) {
  if (fb.runtime.finished()) return;
  ++fb.attempts;
  auto* a = new Attempt;
  a->owner = &fb;
  uv_tcp_init(fb.runtime.loop(), &a->tcp);
  a->tcp.data = a;
  a->connect.data = a;
  fb.current = a;
  if (tcp_connect(&a->tcp, &a->connect, fb.target, on_connect) != 0) retry_later(fb);
}

}  // namespace

int run_first_byte(int argc, char** argv, int first) {
  std::string error;
  auto args = Args::parse(argc, argv, first, {"connect", "timeout"}, &error);
  if (!args) return report_error("first-byte", error);
  FirstByte fb;
  if (auto target = args->endpoint("connect")) fb.target = *target;
  const double timeout = args->seconds("timeout", 120);
  if (!args->ok()) return report_error("first-byte", args->error());

  fb.runtime.start(timeout);
  uv_timer_init(fb.runtime.loop(), &fb.retry);
  fb.retry.data = &fb;
  attempt(fb);
  return fb.runtime.run([&fb] {
    uv_close(reinterpret_cast<uv_handle_t*>(&fb.retry), nullptr);
    close_attempt(fb);
  });
}

}  // namespace bench::tools
