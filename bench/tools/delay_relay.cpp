// `delay-relay`: a TCP relay that adds a fixed one-way delay in each direction. Every read becomes a
// chunk stamped with its release time (read time + D); a timer per direction waits for the head of
// the queue, and due chunks go out in order in one writev. EOF and resets travel as markers in the
// same queue, so they arrive after the data before them and after the same delay. Each direction
// holds at most about 64 MiB (reading pauses above it) and reads land in pooled 128 KiB chunks, so
// D = 0 relays at memory-copy speed.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "bench/tools/args.hpp"
#include "bench/tools/clock.hpp"
#include "bench/tools/listen_loop.hpp"
#include "bench/tools/live_list.hpp"
#include "bench/tools/net.hpp"
#include "bench/tools/relay_pair.hpp"
#include "bench/tools/runtime.hpp"
#include "bench/tools/tools.hpp"

namespace bench::tools {

namespace {

constexpr std::size_t kChunkSize = 128 * 1024;
// Reads smaller than this are copied out so a trickle of small messages does not pin whole chunks.
constexpr std::size_t kCopyBelow = kChunkSize / 4;
constexpr std::uint64_t kHighWater = 64u << 20;
constexpr std::uint64_t kLowWater = 32u << 20;
constexpr std::size_t kMaxBatch = 16;
constexpr std::size_t kPoolKeep = 64;

// Free 128 KiB chunks kept for reuse (malloc would mmap/munmap blocks this size on every read).
class ChunkPool {
 public:
  ~ChunkPool() {
    for (char* c : free_) delete[] c;
  }
  char* get() {
    if (free_.empty()) return new char[kChunkSize];
    char* c = free_.back();
    free_.pop_back();
    return c;
  }
  void put(char* c) {
    if (free_.size() < kPoolKeep) {
      free_.push_back(c);
    } else {
      delete[] c;
    }
  }

 private:
  std::vector<char*> free_;
};

enum class ChunkKind : std::uint8_t { Data, Eof, Reset };

struct Chunk {
  std::uint64_t release_ns = 0;
  char* data = nullptr;
  std::uint32_t len = 0;
  ChunkKind kind = ChunkKind::Data;
  bool pooled = false;
};

struct Relay;
struct Pair;

struct Direction {
  Pair* pair = nullptr;
  uv_tcp_t* from = nullptr;
  uv_tcp_t* to = nullptr;
  uv_timer_t timer{};
  std::deque<Chunk> queue;  // read, not yet released
  std::uint64_t buffered = 0;  // memory held by chunks queued or being written
  char* spare = nullptr;       // the pooled chunk the next read lands in
  bool paused = false;
  bool read_ended = false;
  bool delivered_eof = false;
};

struct Pair {
  Relay* relay = nullptr;
  uv_tcp_t client{};
  uv_tcp_t upstream{};
  uv_connect_t connect{};
  Direction up;    // client -> upstream
  Direction down;  // upstream -> client
  ListHook<Pair> hook;
  bool connected = false;
  bool closing = false;
  int open_handles = 4;
};

struct Relay {
  Runtime runtime{"delay-relay"};
  sockaddr_in target{};
  std::uint64_t delay_ns = 0;
  uv_tcp_t listener{};
  ChunkPool pool;
  LiveList<Pair> pairs;
};

struct WriteBatch {
  uv_write_t req{};
  Direction* direction = nullptr;
  Chunk chunks[kMaxBatch];
  std::size_t count = 0;
};

// What a chunk costs in memory: the bound is on real memory, so a pooled chunk counts whole.
std::uint64_t footprint(const Chunk& c) { return c.pooled ? kChunkSize : c.len; }

void release_chunk(Relay& relay, const Chunk& c) {
  if (c.data == nullptr) return;
  if (c.pooled) {
    relay.pool.put(c.data);
  } else {
    delete[] c.data;
  }
}

void on_pair_handle_closed(uv_handle_t* handle) {
  Pair* pair = static_cast<Direction*>(handle->data)->pair;
  if (--pair->open_handles > 0) return;
  Relay& relay = *pair->relay;
  for (Direction* d : {&pair->up, &pair->down}) {
    for (const Chunk& c : d->queue) release_chunk(relay, c);
    if (d->spare != nullptr) relay.pool.put(d->spare);
  }
  delete pair;
}

// Closes both sockets; `reset` (if any) gets an RST instead of an orderly close.
void close_pair(Pair& pair, uv_tcp_t* reset) {
  if (pair.closing) return;
  pair.closing = true;
  pair.relay->pairs.remove(pair);
  for (uv_tcp_t* tcp : {&pair.client, &pair.upstream}) {
    if (tcp != reset || uv_tcp_close_reset(tcp, on_pair_handle_closed) != 0) uv_close(as_handle(tcp), on_pair_handle_closed);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&pair.up.timer), on_pair_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&pair.down.timer), on_pair_handle_closed);
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

void alloc_chunk(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  auto& d = *static_cast<Direction*>(handle->data);
  if (d.spare == nullptr) d.spare = d.pair->relay->pool.get();
  *buf = uv_buf_init(d.spare, kChunkSize);
}

void start_reading(Direction& d) { uv_read_start(as_stream(d.from), alloc_chunk, on_read); }

void on_written(uv_write_t* req, int status) {
  std::unique_ptr<WriteBatch> batch(static_cast<WriteBatch*>(req->data));
  Direction& d = *batch->direction;
  Pair& pair = *d.pair;
  for (std::size_t i = 0; i < batch->count; ++i) {
    d.buffered -= footprint(batch->chunks[i]);
    release_chunk(*pair.relay, batch->chunks[i]);
  }
  if (pair.closing) return;
  if (status < 0) {
    close_pair(pair, nullptr);
    return;
  }
  if (d.paused && d.buffered <= kLowWater) {
    d.paused = false;
    start_reading(d);
  }
}

bool flush_batch(Direction& d, std::unique_ptr<WriteBatch>& batch) {
  if (!batch || batch->count == 0) return true;
  uv_buf_t bufs[kMaxBatch];
  for (std::size_t i = 0; i < batch->count; ++i) bufs[i] = uv_buf_init(batch->chunks[i].data, batch->chunks[i].len);
  batch->req.data = batch.get();
  if (uv_write(&batch->req, as_stream(d.to), bufs, static_cast<unsigned int>(batch->count), on_written) != 0) {
    for (std::size_t i = 0; i < batch->count; ++i) {
      d.buffered -= footprint(batch->chunks[i]);
      release_chunk(*d.pair->relay, batch->chunks[i]);
    }
    batch.reset();
    close_pair(*d.pair, nullptr);
    return false;
  }
  batch.release();
  return true;
}

void on_eof_delivered(uv_shutdown_t* req, int status) {
  auto& d = *static_cast<Direction*>(req->data);
  delete req;
  if (status == UV_ECANCELED || d.pair->closing) return;
  d.delivered_eof = true;
  Pair& pair = *d.pair;
  if (status < 0 || (pair.up.delivered_eof && pair.down.delivered_eof)) close_pair(pair, nullptr);
}

void schedule(Direction& d);

// Writes every chunk whose time has come, in order; passes EOF and resets on when they come due.
void release_due(Direction& d) {
  Pair& pair = *d.pair;
  if (!pair.connected || pair.closing) return;
  const std::uint64_t now = monotonic_ns();
  std::unique_ptr<WriteBatch> batch;
  while (!d.queue.empty() && d.queue.front().release_ns <= now) {
    const Chunk c = d.queue.front();
    d.queue.pop_front();
    if (c.kind == ChunkKind::Data) {
      if (!batch) {
        batch = std::make_unique<WriteBatch>();
        batch->direction = &d;
      }
      batch->chunks[batch->count++] = c;
      if (batch->count == kMaxBatch && !flush_batch(d, batch)) return;
      continue;
    }
    if (!flush_batch(d, batch)) return;
    if (c.kind == ChunkKind::Reset) {
      close_pair(pair, d.to);
      return;
    }
    // libuv shuts the socket down after the writes queued before it.
    auto* req = new uv_shutdown_t;
    req->data = &d;
    if (uv_shutdown(req, as_stream(d.to), on_eof_delivered) != 0) {
      delete req;
      close_pair(pair, nullptr);
      return;
    }
  }
  flush_batch(d, batch);
}

void on_timer(uv_timer_t* timer) { schedule(*static_cast<Direction*>(timer->data)); }

void schedule(Direction& d) {
  release_due(d);
  if (d.pair->closing || d.queue.empty() || !d.pair->connected) return;
  const std::uint64_t now = monotonic_ns();
  const std::uint64_t release = d.queue.front().release_ns;
  // The loop clock has millisecond steps: round up, and on_timer re-checks against the real clock.
  const double ms = release > now ? std::ceil(static_cast<double>(release - now) / 1e6) : 0.0;
  uv_timer_start(&d.timer, on_timer, ms < 1 ? 1 : static_cast<std::uint64_t>(ms), 0);
}

void enqueue(Direction& d, Chunk c) {
  c.release_ns = monotonic_ns() + d.pair->relay->delay_ns;
  d.buffered += footprint(c);
  d.queue.push_back(c);
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
  auto& d = *static_cast<Direction*>(stream->data);
  if (nread == 0 || d.pair->closing) return;
  if (nread < 0) {
    d.read_ended = true;
    uv_read_stop(stream);
    Chunk marker;
    marker.kind = nread == UV_EOF ? ChunkKind::Eof : ChunkKind::Reset;
    enqueue(d, marker);
  } else {
    Chunk c;
    c.len = static_cast<std::uint32_t>(nread);
    if (c.len < kCopyBelow) {
      c.data = new char[c.len];
      std::memcpy(c.data, d.spare, c.len);
    } else {
      c.data = d.spare;
      c.pooled = true;
      d.spare = nullptr;
    }
    enqueue(d, c);
    if (d.buffered > kHighWater) {
      d.paused = true;
      uv_read_stop(stream);
    }
  }
  // With D = 0 the chunk goes straight out; otherwise the timer is (re)armed for the queue head.
  if (d.queue.size() == 1 || d.pair->relay->delay_ns == 0) schedule(d);
}

void on_upstream_connect(uv_connect_t* req, int status) {
  auto& pair = *static_cast<Pair*>(req->data);
  if (status == UV_ECANCELED || pair.closing) return;
  if (status < 0) {
    close_pair(pair, &pair.client);
    return;
  }
  pair.connected = true;
  start_reading(pair.down);
  schedule(pair.up);
}

void on_connection(uv_stream_t* listener, int status) {
  if (status < 0) return;
  Relay& relay = *static_cast<Relay*>(listener->data);
  auto* pair = new Pair;
  pair->relay = &relay;
  uv_loop_t* loop = relay.runtime.loop();
  wire_relay_pair(*pair, loop);
  uv_timer_init(loop, &pair->up.timer);
  uv_timer_init(loop, &pair->down.timer);
  pair->up.timer.data = &pair->up;
  pair->down.timer.data = &pair->down;
  relay.pairs.push_back(*pair);
  if (uv_accept(listener, as_stream(&pair->client)) != 0) {
    close_pair(*pair, nullptr);
    return;
  }
  uv_tcp_nodelay(&pair->client, 1);
  start_reading(pair->up);
  if (tcp_connect(&pair->upstream, &pair->connect, relay.target, on_upstream_connect) != 0) {
    close_pair(*pair, &pair->client);
  }
}

}  // namespace

int run_delay_relay(int argc, char** argv, int first) {
  std::string error;
  auto args = Args::parse(argc, argv, first, {"listen", "connect", "delay-ms", "bind", "timeout"}, &error);
  if (!args) return report_error("delay-relay", error);
  Relay relay;
  if (auto target = args->endpoint("connect")) relay.target = *target;
  int port = 0;
  if (args->require("listen")) port = args->port("listen");
  if (args->require("delay-ms")) relay.delay_ns = args->count("delay-ms", 0) * 1'000'000u;
  const auto bind = args->bind_address("bind", port);
  const double timeout = args->seconds("timeout", 3600);
  if (!args->ok()) return report_error("delay-relay", args->error());

  return run_listen_loop(relay.runtime, relay.listener, &relay, *bind, timeout, on_connection,
                         [&relay] { relay.pairs.for_each([](Pair& p) { close_pair(p, nullptr); }); });
}

}  // namespace bench::tools
