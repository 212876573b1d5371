// One event loop per tool process with the rules every subcommand shares: RLIMIT_NOFILE raised, a
// --timeout after which the tool stops itself (exit 2), SIGTERM/SIGINT handled on the loop, errors as
// one line on stderr, and an orderly teardown (every handle closed, the loop closed) at the end.
#pragma once

#include <uv.h>

#include <functional>
#include <string>

namespace bench::tools {

class Runtime {
 public:
  enum class Stop { Signal, Timeout };
  // Called on SIGTERM/SIGINT or when the timeout expires. Without one, a signal fails with exit 1 and
  // the timeout with exit 2.
  using StopHandler = std::function<void(Stop)>;

  explicit Runtime(std::string tool_name);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  uv_loop_t* loop() { return &loop_; }
  const std::string& name() const { return name_; }

  // Arms the timeout and the signal handlers.
  void start(double timeout_seconds, StopHandler handler = {});
  // Ends the run with this exit code (the first call wins); the loop stops after this callback.
  void finish(int exit_code);
  // Prints "<tool>: <message>" on stderr and finishes with exit_code.
  void fail(int exit_code, const std::string& message);
  void fail_timeout();
  bool finished() const { return finished_; }

  // Runs the loop until finish(), then calls teardown (the tool closes what it owns), closes the
  // runtime's own handles and any stragglers, drains the loop and returns the exit code.
  int run(const std::function<void()>& teardown);

 private:
  static void on_timer(uv_timer_t* timer);
  static void on_signal(uv_signal_t* signal, int signum);
  void stop_requested(Stop why);

  std::string name_;
  uv_loop_t loop_{};
  uv_timer_t timer_{};
  uv_signal_t sigterm_{};
  uv_signal_t sigint_{};
  StopHandler handler_;
  double timeout_seconds_ = 0;
  bool started_ = false;
  bool finished_ = false;
  int exit_code_ = 0;
};

// Prints "sshplex-bench <tool>: <message>" on stderr (usage errors before the loop runs); returns 1.
int report_error(const std::string& tool, const std::string& message);

// Raises the soft RLIMIT_NOFILE to the hard limit (tens of thousands of sockets).
void raise_nofile_limit();

}  // namespace bench::tools
