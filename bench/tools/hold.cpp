// `hold`: opens N SOCKS5 channels (at most C opens in flight; without --proxy, plain TCP connections
// to the target), each confirmed by a 1-byte echo, reports once all are held or failed, then keeps
// them open and idle until told to stop.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/tools/args.hpp"
#include "bench/tools/clock.hpp"
#include "bench/tools/json_line.hpp"
#include "bench/tools/live_list.hpp"
#include "bench/tools/net.hpp"
#include "bench/tools/runtime.hpp"
#include "bench/tools/socks5_channel.hpp"
#include "bench/tools/tools.hpp"

namespace bench::tools {

namespace {

class Hold final : public Socks5Channel::Observer {
 public:
  Runtime runtime{"hold"};
  std::optional<sockaddr_in> proxy;  // none: straight to the target (through a tun VPN, say)
  sockaddr_in target{};
  std::uint64_t count = 0;
  std::uint64_t concurrency = 200;

  void start() {
    start_ns_ = monotonic_ns();
    uv_timer_init(runtime.loop(), &sweep_);
    sweep_.data = this;
    uv_timer_start(&sweep_, on_sweep, 1000, 1000);
    watch_stdin();
    refill();
  }

  // Signals and stdin EOF end the hold cleanly; the timeout too once the ready line is out.
  void stop_requested(Runtime::Stop why) {
    if (why == Runtime::Stop::Timeout && !ready_) {
      runtime.fail_timeout();
    } else {
      runtime.finish(0);
    }
  }

  void teardown() {
    uv_close(reinterpret_cast<uv_handle_t*>(&sweep_), nullptr);
    if (watching_stdin_) uv_close(reinterpret_cast<uv_handle_t*>(&stdin_), nullptr);
    for (LiveList<Socks5Channel>* list : {&in_flight_, &held_}) {
      list->for_each([list](Socks5Channel& c) {
        list->remove(c);
        c.close();
      });
    }
  }

  void on_channel_ready(Socks5Channel& channel) override {
    in_flight_.remove(channel);
    held_.push_back(channel);
    refill();
  }

  void on_channel_failed(Socks5Channel& channel, const char*) override {
    in_flight_.remove(channel);
    ++failures_;
    refill();
  }

  // A held channel the proxy dropped no longer counts as held.
  void on_channel_lost(Socks5Channel& channel) override {
    held_.remove(channel);
    ++failures_;
  }

 private:
  void refill() {
    while (in_flight_.size() < concurrency && started_ < count && !runtime.finished()) {
      ++started_;
      int error = 0;
      Socks5Channel* channel = Socks5Channel::open(runtime.loop(), proxy ? &*proxy : nullptr, target, *this, &error);
      if (channel == nullptr) {
        ++failures_;
        continue;
      }
      in_flight_.push_back(*channel);
    }
    if (!ready_ && started_ == count && in_flight_.empty()) {
      ready_ = true;
      uv_timer_stop(&sweep_);
      JsonLine()
          .add("ready", true)
          .add("held", static_cast<std::uint64_t>(held_.size()))
          .add("failures", failures_)
          .add("seconds", ns_to_seconds(monotonic_ns() - start_ns_))
          .print();
    }
  }

  // EOF on a piped stdin is a stop request; a file or /dev/null on stdin is not watched.
  void watch_stdin() {
    if (uv_guess_handle(0) != UV_NAMED_PIPE) return;
    uv_pipe_init(runtime.loop(), &stdin_, 0);
    stdin_.data = this;
    if (uv_pipe_open(&stdin_, 0) != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&stdin_), nullptr);
      return;
    }
    watching_stdin_ = true;
    uv_read_start(reinterpret_cast<uv_stream_t*>(&stdin_), alloc_shared,
                  [](uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
                    if (nread < 0) static_cast<Hold*>(stream->data)->runtime.finish(0);
                  });
  }

  static void on_sweep(uv_timer_t* timer) {
    auto& self = *static_cast<Hold*>(timer->data);
    // Stuck opens count as failed, so the ready line always comes.
    const std::vector<Socks5Channel*> expired = overdue_opens(self.in_flight_, monotonic_ns());
    for (Socks5Channel* c : expired) {
      self.in_flight_.remove(*c);
      c->close();
      ++self.failures_;
    }
    if (!expired.empty()) self.refill();
  }

  uv_timer_t sweep_{};
  uv_pipe_t stdin_{};
  bool watching_stdin_ = false;
  bool ready_ = false;
  LiveList<Socks5Channel> in_flight_;
  LiveList<Socks5Channel> held_;
  std::uint64_t started_ = 0;
  std::uint64_t failures_ = 0;
  std::uint64_t start_ns_ = 0;
};

}  // namespace

int run_hold(int argc, char** argv, int first) {
  std::string error;
  auto args = Args::parse(argc, argv, first, {"proxy", "target", "count", "concurrency", "timeout"}, &error);
  if (!args) return report_error("hold", error);
  Hold hold;
  if (args->has("proxy")) hold.proxy = args->endpoint("proxy");
  if (auto target = args->endpoint("target")) hold.target = *target;
  if (args->require("count")) hold.count = args->count("count", 0);
  hold.concurrency = args->count("concurrency", 200);
  const double timeout = args->seconds("timeout", 120);
  if (hold.concurrency == 0) args->add_error("--concurrency must be at least 1");
  if (!args->ok()) return report_error("hold", args->error());

  hold.runtime.start(timeout, [&hold](Runtime::Stop why) { hold.stop_requested(why); });
  hold.start();
  return hold.runtime.run([&hold] { hold.teardown(); });
}

}  // namespace bench::tools
