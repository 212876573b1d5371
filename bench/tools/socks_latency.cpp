// `socks-latency`: how long one SOCKS5 open takes (connect, greeting, CONNECT, reply, 1-byte echo;
// without --proxy, connect and echo straight to the target), sequentially (warm-up opens, then N
// recorded) or with P opens kept in flight for S seconds.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/tools/args.hpp"
#include "bench/tools/clock.hpp"
#include "bench/tools/json_line.hpp"
#include "bench/tools/live_list.hpp"
#include "bench/tools/percentiles.hpp"
#include "bench/tools/runtime.hpp"
#include "bench/tools/socks5_channel.hpp"
#include "bench/tools/tools.hpp"

namespace bench::tools {

namespace {

constexpr std::uint64_t kParallelWarmupNs = 500'000'000u;

class Latency final : public Socks5Channel::Observer {
 public:
  Runtime runtime{"socks-latency"};
  std::optional<sockaddr_in> proxy;  // none: straight to the target (through a tun VPN, say)
  sockaddr_in target{};
  std::uint64_t count = 500;
  std::uint64_t warmup = 20;
  std::uint64_t parallel = 1;
  double duration = 5;

  void start() {
    uv_timer_init(runtime.loop(), &sweep_);
    sweep_.data = this;
    uv_timer_start(&sweep_, on_sweep, 1000, 1000);
    if (parallel > 1) {
      record_from_ns_ = monotonic_ns() + kParallelWarmupNs;
      stop_at_ns_ = record_from_ns_ + static_cast<std::uint64_t>(duration * 1e9);
    }
    refill();
  }

  void teardown() {
    uv_close(reinterpret_cast<uv_handle_t*>(&sweep_), nullptr);
    in_flight_.for_each([this](Socks5Channel& c) {
      in_flight_.remove(c);
      c.close();
    });
  }

  void on_channel_ready(Socks5Channel& channel) override {
    const std::uint64_t now = monotonic_ns();
    if (channel.started_ns() >= record_from_ns_) latencies_ms_.push_back(ns_to_ms(now - channel.started_ns()));
    completed(channel, now);
    channel.close();
    refill();
  }

  void on_channel_failed(Socks5Channel& channel, const char* why) override {
    failed(channel, why);
    refill();
  }

  void on_channel_lost(Socks5Channel& channel) override { in_flight_.remove(channel); }

 private:
  bool sequential() const { return parallel <= 1; }

  bool should_start() const {
    if (runtime.finished()) return false;
    if (sequential()) return started_ < warmup + count;
    return monotonic_ns() < stop_at_ns_;
  }

  void completed(Socks5Channel& channel, std::uint64_t now) {
    in_flight_.remove(channel);
    if (channel.started_ns() >= record_from_ns_) last_end_ns_ = std::max(last_end_ns_, now);
  }

  void failed(Socks5Channel& channel, const std::string& why) {
    if (channel.started_ns() >= record_from_ns_) {
      ++failures_;
      last_failure_ = why;
    }
    completed(channel, monotonic_ns());
  }

  // Keeps `parallel` opens in flight while the run wants more; reports once the last one is done.
  void refill() {
    while (in_flight_.size() < std::max<std::uint64_t>(parallel, 1) && should_start()) {
      // Sequential: the first recorded open starts the measured period.
      if (sequential() && started_ == warmup) record_from_ns_ = monotonic_ns();
      ++started_;
      int error = 0;
      Socks5Channel* channel = Socks5Channel::open(runtime.loop(), proxy ? &*proxy : nullptr, target, *this, &error);
      if (channel == nullptr) {
        if (started_ > warmup || !sequential()) {
          ++failures_;
          last_failure_ = uv_err_name(error);
        }
        continue;
      }
      in_flight_.push_back(*channel);
    }
    if (in_flight_.empty() && !runtime.finished()) report();
  }

  void report() {
    const std::uint64_t opens = latencies_ms_.size();
    if (opens == 0) {
      runtime.fail(1, "no open succeeded (" + std::to_string(failures_) + " failed, last: " + last_failure_ + ")");
      return;
    }
    const double seconds = ns_to_seconds(last_end_ns_ - record_from_ns_);
    const LatencySummary s = summarize(latencies_ms_);
    JsonLine()
        .add("opens", opens)
        .add("failures", failures_)
        .add("seconds", seconds)
        .add("opens_per_s", static_cast<double>(opens) / seconds)
        .add("p50_ms", s.p50)
        .add("p90_ms", s.p90)
        .add("p99_ms", s.p99)
        .add("mean_ms", s.mean)
        .print();
    runtime.finish(0);
  }

  static void on_sweep(uv_timer_t* timer) {
    auto& self = *static_cast<Latency*>(timer->data);
    const std::vector<Socks5Channel*> expired = overdue_opens(self.in_flight_, monotonic_ns());
    for (Socks5Channel* c : expired) {
      self.failed(*c, "no answer within 30 s");
      c->close();
    }
    if (!expired.empty()) self.refill();
  }

  uv_timer_t sweep_{};
  LiveList<Socks5Channel> in_flight_;
  std::vector<double> latencies_ms_;
  std::uint64_t started_ = 0;
  std::uint64_t failures_ = 0;
  // Opens started before this are warm-up; sequential runs set it when the first recorded open starts.
  std::uint64_t record_from_ns_ = UINT64_MAX;
  std::uint64_t stop_at_ns_ = 0;
  std::uint64_t last_end_ns_ = 0;
  std::string last_failure_ = "none";
};

}  // namespace

int run_socks_latency(int argc, char** argv, int first) {
  std::string error;
  auto args = Args::parse(argc, argv, first,
                          {"proxy", "target", "count", "warmup", "parallel", "duration", "timeout"}, &error);
  if (!args) return report_error("socks-latency", error);
  Latency latency;
  if (args->has("proxy")) latency.proxy = args->endpoint("proxy");
  if (auto target = args->endpoint("target")) latency.target = *target;
  latency.count = args->count("count", 500);
  latency.warmup = args->count("warmup", 20);
  latency.parallel = args->count("parallel", 1);
  latency.duration = args->seconds("duration", 5);
  const double timeout = args->seconds("timeout", 120);
  if (latency.count == 0) args->add_error("--count must be at least 1");
  if (latency.parallel == 0) args->add_error("--parallel must be at least 1");
  if (!args->ok()) return report_error("socks-latency", args->error());

  latency.runtime.start(timeout);
  latency.start();
  return latency.runtime.run([&latency] { latency.teardown(); });
}

}  // namespace bench::tools
