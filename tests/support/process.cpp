#include "support/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>

#include "support/files.hpp"

namespace testsupport {
namespace {

bool is_executable(const std::string& p) {
  return ::access(p.c_str(), X_OK) == 0;
}

std::vector<char*> c_array(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int open_output(const std::string& path) {
  const char* p = path.empty() ? "/dev/null" : path.c_str();
  return ::open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
}

// Parent pid of a process from /proc/<pid>/stat; -1 when gone. The command name may contain spaces
// and parentheses, so parse after the last ')'.
pid_t parent_of(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream in(stat.substr(close + 1));
  char state = 0;
  long ppid = -1;
  in >> state >> ppid;
  return in ? static_cast<pid_t>(ppid) : -1;
}

}  // namespace

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return is_executable(name) ? name : std::string();
  std::string path_var = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  path_var += ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::istringstream in(path_var);
  std::string dir;
  while (std::getline(in, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (is_executable(candidate)) return candidate;
  }
  return {};
}

Env base_env() {
  return {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "LC_ALL=C"};
}

std::vector<pid_t> descendants(pid_t root) {
  std::vector<std::pair<pid_t, pid_t>> table;  // (pid, ppid)
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      char* end = nullptr;
      long v = std::strtol(e->d_name, &end, 10);
      if (end == e->d_name || *end != '\0' || v <= 0) continue;
      auto pid = static_cast<pid_t>(v);
      table.emplace_back(pid, parent_of(pid));
    }
    ::closedir(d);
  }
  std::vector<pid_t> out;
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    std::vector<pid_t> next;
    for (pid_t parent : frontier) {
      for (const auto& [pid, ppid] : table) {
        if (ppid == parent && std::find(out.begin(), out.end(), pid) == out.end()) {
          out.push_back(pid);
          next.push_back(pid);
        }
      }
    }
    frontier = std::move(next);
  }
  return out;
}

Process::~Process() {
  stop(std::chrono::milliseconds(1000));
}

bool Process::start(const std::vector<std::string>& argv_in, const Env& env_in, const std::string& stdout_path,
                    const std::string& stderr_path, const std::string& stdin_path) {
  error_.clear();
  if (argv_in.empty()) {
    error_ = "empty argv";
    return false;
  }
  std::vector<std::string> argv = argv_in;
  std::string resolved = find_program(argv[0]);
  if (resolved.empty()) {
    error_ = "program not found: " + argv[0];
    return false;
  }
  Env env = env_in;
  stdout_path_ = stdout_path;
  stderr_path_ = stderr_path;
  int out_fd = open_output(stdout_path);
  int err_fd = open_output(stderr_path);
  int in_fd = ::open(stdin_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (out_fd < 0 || err_fd < 0 || in_fd < 0) {
    error_ = std::string("cannot open output files: ") + std::strerror(errno);
    for (int fd : {out_fd, err_fd, in_fd}) {
      if (fd >= 0) ::close(fd);
    }
    return false;
  }
  // Everything the child touches is prepared before fork: after fork in a threaded process only
  // async-signal-safe calls are allowed.
  std::vector<char*> c_argv = c_array(argv);
  std::vector<char*> c_env = c_array(env);
  const char* exec_failed = "exec failed\n";
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    error_ = std::string("fork: ") + std::strerror(errno);
    ::close(out_fd);
    ::close(err_fd);
    ::close(in_fd);
    return false;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    // Die with the test runner even if it crashes before its destructors run.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::close_range(3, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::execve(resolved.c_str(), c_argv.data(), c_env.data());
    ssize_t ignored = ::write(2, exec_failed, std::strlen(exec_failed));
    (void)ignored;
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so the group exists before we ever signal it
  ::close(out_fd);
  ::close(err_fd);
  ::close(in_fd);
  pid_ = pid;
  reaped_ = false;
  result_ = {};
  return true;
}

void Process::record_status(int status) {
  reaped_ = true;
  if (WIFEXITED(status)) {
    result_.exited = true;
    result_.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result_.term_signal = WTERMSIG(status);
  }
}

bool Process::running() {
  return pid_ > 0 && !poll().has_value();
}

std::optional<ProcessResult> Process::poll() {
  if (pid_ <= 0) return std::nullopt;
  if (reaped_) return result_;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    record_status(status);
    return result_;
  }
  if (r < 0 && errno == ECHILD) {
    reaped_ = true;
    return result_;
  }
  return std::nullopt;
}

ProcessResult Process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto r = poll()) return *r;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (auto r = poll()) return *r;
  stop();
  result_.timed_out = true;
  return result_;
}

void Process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  // Descendants first: daemons such as sshd put each connection in its own session, outside our group.
  std::vector<pid_t> kids = descendants(pid_);
  if (!reaped_) {
    ::kill(-pid_, SIGTERM);
    ::kill(pid_, SIGTERM);
  }
  for (pid_t k : kids) ::kill(k, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline && !poll().has_value()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!poll().has_value()) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) record_status(status);
    reaped_ = true;
  } else {
    ::kill(-pid_, SIGKILL);  // stragglers left in the group after the leader went
  }
  for (pid_t k : kids) ::kill(k, SIGKILL);
  pid_ = -1;
}

std::string Process::stdout_text() const {
  return read_file(stdout_path_);
}
std::string Process::stderr_text() const {
  return read_file(stderr_path_);
}

ProcessResult run_command(const std::vector<std::string>& argv, const Env& env, const std::string& stdout_path,
                          const std::string& stderr_path, std::chrono::milliseconds timeout) {
  Process p;
  if (!p.start(argv, env, stdout_path, stderr_path)) {
    ProcessResult r;
    r.exit_code = -1;
    return r;
  }
  return p.wait(timeout);
}

bool run_quiet(const std::vector<std::string>& argv, std::string* output, std::chrono::milliseconds timeout,
               const std::string& stdin_text) {
  TempDir scratch("sshplex-cmd");
  std::vector<std::string> args = argv;
  if (!stdin_text.empty()) {
    // Feed stdin through a shell redirect from a private file: Process always gives /dev/null.
    write_file(scratch.path() / "stdin", stdin_text, 0600);
    std::string cmd = "exec \"$0\" \"$@\" < " + scratch.file("stdin");
    args.insert(args.begin(), {"/bin/sh", "-c", cmd});
    args[3] = find_program(args[3]);
  }
  ProcessResult r = run_command(args, base_env(), scratch.file("out"), scratch.file("out.err"), timeout);
  if (output != nullptr) *output = read_file(scratch.path() / "out") + read_file(scratch.path() / "out.err");
  return r.exited && r.exit_code == 0;
}

}  // namespace testsupport
