// `bulk`: upload to a sink or download from a source over N parallel streams and report the rate.
// Uploads come from the shared block of zeros; downloads land in the shared read buffer.
#include <cstdint>
#include <string>

#include "bench/tools/args.hpp"
#include "bench/tools/clock.hpp"
#include "bench/tools/json_line.hpp"
#include "bench/tools/live_list.hpp"
#include "bench/tools/net.hpp"
#include "bench/tools/runtime.hpp"
#include "bench/tools/tools.hpp"

namespace bench::tools {

namespace {

struct Bulk;

struct Stream {
  uv_tcp_t tcp{};
  uv_connect_t connect{};
  ListHook<Stream> hook;
  Bulk* bulk = nullptr;
  std::uint64_t to_send = 0;
  std::uint64_t received = 0;
  bool writing = false;
  bool closing = false;
  char request[8] = {};
};

struct Bulk {
  Runtime runtime{"bulk"};
  sockaddr_in target{};
  bool upload = true;
  std::uint64_t bytes = 0;
  std::uint64_t streams = 1;
  std::uint64_t open_streams = 0;
  std::uint64_t start_ns = 0;
  LiveList<Stream> live;
};

void close_stream(Stream& s) {
  if (s.closing) return;
  s.closing = true;
  s.bulk->live.remove(s);
  uv_close(as_handle(&s.tcp), [](uv_handle_t* h) { delete static_cast<Stream*>(h->data); });
}

void stream_failed(Stream& s, const std::string& what, int error) {
  s.bulk->runtime.fail(1, what + " (" + describe(s.bulk->target) + "): " + uv_error_text(error));
}

void stream_done(Stream& s) {
  Bulk& bulk = *s.bulk;
  close_stream(s);
  if (--bulk.open_streams > 0) return;
  const double seconds = ns_to_seconds(monotonic_ns() - bulk.start_ns);
  const std::uint64_t total = bulk.bytes * bulk.streams;
  JsonLine()
      .add("bytes", total)
      .add("seconds", seconds)
      .add("mb_per_s", static_cast<double>(total) / 1e6 / seconds)
      .print();
  bulk.runtime.finish(0);
}

void on_shutdown(uv_shutdown_t* req, int status) {
  Stream& s = *static_cast<Stream*>(req->data);
  delete req;
  if (status == UV_ECANCELED) return;
  if (status < 0) stream_failed(s, "shutdown failed", status);
}

void pump_upload(Stream& s);

void on_upload_written(uv_write_t* req, int status) {
  Stream& s = *static_cast<Stream*>(req->data);
  delete req;
  if (status == UV_ECANCELED) return;
  s.writing = false;
  if (status < 0) {
    stream_failed(s, "write failed", status);
    return;
  }
  pump_upload(s);
}

void pump_upload(Stream& s) {
  const int r = pump_zeros(as_stream(&s.tcp), &s.to_send, &s.writing, on_upload_written, &s);
  if (r != 0) {
    stream_failed(s, "write failed", r);
    return;
  }
  if (s.to_send > 0 || s.writing) return;
  // Everything is written: half-close and wait for the sink's EOF (it has read it all then).
  auto* req = new uv_shutdown_t;
  req->data = &s;
  const int q = uv_shutdown(req, as_stream(&s.tcp), on_shutdown);
  if (q != 0) {
    delete req;
    stream_failed(s, "shutdown failed", q);
  }
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
  Stream& s = *static_cast<Stream*>(stream->data);
  Bulk& bulk = *s.bulk;
  if (nread == 0) return;
  if (nread == UV_EOF) {
    if (bulk.upload && (s.to_send > 0 || s.writing)) {
      bulk.runtime.fail(1, "the sink closed before the upload was complete");
    } else if (!bulk.upload && s.received != bulk.bytes) {
      bulk.runtime.fail(1, "short download: got " + std::to_string(s.received) + " of " +
                               std::to_string(bulk.bytes) + " bytes");
    } else {
      stream_done(s);
    }
    return;
  }
  if (nread < 0) {
    stream_failed(s, "read failed", static_cast<int>(nread));
    return;
  }
  s.received += static_cast<std::uint64_t>(nread);
  if (!bulk.upload && s.received > bulk.bytes) {
    bulk.runtime.fail(1, "the source sent more than the " + std::to_string(bulk.bytes) + " bytes asked for");
  }
}

void on_request_written(void* user, int status) {
  if (status < 0 && status != UV_ECANCELED) stream_failed(*static_cast<Stream*>(user), "request failed", status);
}

void on_connect(uv_connect_t* req, int status) {
  Stream& s = *static_cast<Stream*>(req->data);
  if (status == UV_ECANCELED) return;
  if (status < 0) {
    stream_failed(s, "connect failed", status);
    return;
  }
  uv_read_start(as_stream(&s.tcp), alloc_shared, on_read);
  if (s.bulk->upload) {
    pump_upload(s);
    return;
  }
  // The source's request: the byte count as a big-endian uint64.
  std::uint64_t n = s.bulk->bytes;
  for (int i = 7; i >= 0; --i, n >>= 8) s.request[i] = static_cast<char>(n & 0xff);
  int error = 0;
  if (write_or_queue(as_stream(&s.tcp), s.request, sizeof s.request, on_request_written, &s, &error) ==
      WriteOutcome::Failed) {
    stream_failed(s, "request failed", error);
  }
}

}  // namespace

int run_bulk(int argc, char** argv, int first) {
  std::string error;
  auto args = Args::parse(argc, argv, first, {"connect", "upload", "download", "streams", "timeout"}, &error);
  if (!args) return report_error("bulk", error);
  Bulk bulk;
  if (auto target = args->endpoint("connect")) bulk.target = *target;
  if (args->has("upload") == args->has("download")) args->add_error("give exactly one of --upload and --download");
  bulk.upload = args->has("upload");
  bulk.bytes = args->count(bulk.upload ? "upload" : "download", 0);
  bulk.streams = args->count("streams", 1);
  if (bulk.streams == 0) args->add_error("--streams must be at least 1");
  const double timeout = args->seconds("timeout", 120);
  if (!args->ok()) return report_error("bulk", args->error());

  bulk.runtime.start(timeout);
  bulk.start_ns = monotonic_ns();
  for (std::uint64_t i = 0; i < bulk.streams && !bulk.runtime.finished(); ++i) {
    auto* s = new Stream;
    s->bulk = &bulk;
    s->to_send = bulk.upload ? bulk.bytes : 0;
    uv_tcp_init(bulk.runtime.loop(), &s->tcp);
    s->tcp.data = s;
    s->connect.data = s;
    bulk.live.push_back(*s);
    ++bulk.open_streams;
    const int r = tcp_connect(&s->tcp, &s->connect, bulk.target, on_connect);
    if (r != 0) stream_failed(*s, "connect failed", r);
  }
  return bulk.runtime.run([&bulk] { bulk.live.for_each([](Stream& s) { close_stream(s); }); });
}

}  // namespace bench::tools
