#include "bench/tools/runtime.hpp"

#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <utility>

namespace bench::tools {

Runtime::Runtime(std::string tool_name) : name_(std::move(tool_name)) { uv_loop_init(&loop_); }

Runtime::~Runtime() {
  // run() normally closed the loop; this covers a tool that returned before running it.
  if (uv_loop_alive(&loop_) == 0) uv_loop_close(&loop_);
}

void Runtime::start(double timeout_seconds, StopHandler handler) {
  handler_ = std::move(handler);
  timeout_seconds_ = timeout_seconds;
  started_ = true;
  uv_timer_init(&loop_, &timer_);
  timer_.data = this;
  const double ms = std::ceil(timeout_seconds * 1000.0);
  uv_timer_start(&timer_, on_timer, ms >= 1.8e19 ? UINT64_MAX : static_cast<std::uint64_t>(ms), 0);
  uv_signal_init(&loop_, &sigterm_);
  uv_signal_init(&loop_, &sigint_);
  sigterm_.data = this;
  sigint_.data = this;
  uv_signal_start(&sigterm_, on_signal, SIGTERM);
  uv_signal_start(&sigint_, on_signal, SIGINT);
}

void Runtime::on_timer(uv_timer_t* timer) { static_cast<Runtime*>(timer->data)->stop_requested(Stop::Timeout); }

void Runtime::on_signal(uv_signal_t* signal, int) {
  static_cast<Runtime*>(signal->data)->stop_requested(Stop::Signal);
}

void Runtime::stop_requested(Stop why) {
  if (finished_) return;
  if (handler_) {
    handler_(why);
  } else if (why == Stop::Timeout) {
    fail_timeout();
  } else {
    fail(1, "interrupted by a signal");
  }
}

void Runtime::fail_timeout() {
  char text[64];
  std::snprintf(text, sizeof text, "timed out after %g s", timeout_seconds_);
  fail(2, text);
}

void Runtime::finish(int exit_code) {
  if (finished_) return;
  finished_ = true;
  exit_code_ = exit_code;
  uv_stop(&loop_);
}

void Runtime::fail(int exit_code, const std::string& message) {
  if (finished_) return;
  report_error(name_, message);
  finish(exit_code);
}

int Runtime::run(const std::function<void()>& teardown) {
  // A finish() before the loop ran only leaves the stop flag set, which this call consumes.
  uv_run(&loop_, UV_RUN_DEFAULT);
  // The loop can also run dry (nothing left to wait for) without an explicit finish().
  finished_ = true;
  if (teardown) teardown();
  if (started_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
  }
  // Anything the tool forgot still gets closed, so the drain below cannot block.
  uv_walk(
      &loop_,
      [](uv_handle_t* handle, void*) {
        if (uv_is_closing(handle) == 0) uv_close(handle, nullptr);
      },
      nullptr);
  while (uv_run(&loop_, UV_RUN_DEFAULT) != 0) {
  }
  uv_loop_close(&loop_);
  return exit_code_;
}

int report_error(const std::string& tool, const std::string& message) {
  std::fprintf(stderr, "sshplex-bench %s: %s\n", tool.c_str(), message.c_str());
  std::fflush(stderr);
  return 1;
}

void raise_nofile_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace bench::tools
