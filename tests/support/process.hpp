// Child-process launcher for the integration fixtures: fork/exec with an explicit argv and
// environment, stdout/stderr captured to files, bounded waits, and a destructor that kills the
// child's process group and every descendant so no test leaves processes behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace testsupport {

using Env = std::vector<std::string>;  // "NAME=value" entries

// Absolute path of an executable found in $PATH, /usr/sbin or /sbin; empty when absent.
std::string find_program(const std::string& name);

// A minimal environment for children: PATH, and LANG=C so messages are predictable.
Env base_env();

struct ProcessResult {
  bool exited = false;     // normal exit (false: killed by a signal or still running)
  int exit_code = -1;      // valid when exited
  int term_signal = 0;     // valid when killed by a signal
  bool timed_out = false;  // wait ran out of time; the process was then killed
};

class Process {
 public:
  Process() = default;
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  Process(Process&&) = delete;
  Process& operator=(Process&&) = delete;

  // Starts argv[0] (absolute path, or looked up with find_program) with exactly `env`.
  // stdin is /dev/null; stdout/stderr go to the given files (created/truncated; empty = /dev/null).
  // Returns false (with a reason in error()) when the fork or the files fail; a failed exec shows
  // up as exit code 127 with a message in the stderr file.
  bool start(const std::vector<std::string>& argv, const Env& env, const std::string& stdout_path,
             const std::string& stderr_path, const std::string& stdin_path = "/dev/null");

  bool running();  // reaps the child when it has exited
  pid_t pid() const { return pid_; }
  const std::string& error() const { return error_; }
  const std::string& stdout_path() const { return stdout_path_; }
  const std::string& stderr_path() const { return stderr_path_; }
  std::string stdout_text() const;
  std::string stderr_text() const;

  // Waits for the child to end; after `timeout` it is killed and timed_out is set.
  ProcessResult wait(std::chrono::milliseconds timeout);
  // Returns the result if the child has already ended, without waiting.
  std::optional<ProcessResult> poll();
  // SIGTERM to the group and all descendants, SIGKILL after `grace`, then reap.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

 private:
  void record_status(int status);

  pid_t pid_ = -1;
  bool reaped_ = false;
  ProcessResult result_;
  std::string error_;
  std::string stdout_path_;
  std::string stderr_path_;
};

// All live descendants of pid (children, grandchildren...), found through /proc, deepest last.
std::vector<pid_t> descendants(pid_t pid);

// Runs a command to completion (bounded by timeout) and returns its result; output in the files.
ProcessResult run_command(const std::vector<std::string>& argv, const Env& env, const std::string& stdout_path,
                          const std::string& stderr_path, std::chrono::milliseconds timeout);

// Convenience: runs a command with base_env(), captures combined stdout+stderr into *output.
// Returns true when it exited with status 0.
bool run_quiet(const std::vector<std::string>& argv, std::string* output = nullptr,
               std::chrono::milliseconds timeout = std::chrono::seconds(60), const std::string& stdin_text = {});

}  // namespace testsupport
