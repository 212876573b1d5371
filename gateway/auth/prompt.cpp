#include "gateway/auth/prompt.hpp"

#include <fcntl.h>
#include <signal.h>
#include <strings.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "gateway/util/log.hpp"

namespace gateway::auth {
namespace {

enum class AskpassMode { never, prefer, force, unset };

AskpassMode askpass_mode() {
  const char* v = std::getenv("SSH_ASKPASS_REQUIRE");
  if (v == nullptr) return AskpassMode::unset;
  if (std::strcmp(v, "force") == 0) return AskpassMode::force;
  if (std::strcmp(v, "prefer") == 0) return AskpassMode::prefer;
  if (std::strcmp(v, "never") == 0) return AskpassMode::never;
  return AskpassMode::unset;
}

void strip_newline(ssh::SecretString& s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
}

std::optional<ssh::SecretString> run_askpass(const char* program, const std::string& prompt, bool confirm = false) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return std::nullopt;
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    // A yes/no question rather than a secret (ssh's SSH_ASKPASS_PROMPT=confirm).
    if (confirm) setenv("SSH_ASKPASS_PROMPT", "confirm", 1);
    execlp(program, program, prompt.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  ssh::SecretString out;
  char buf[256];
  for (;;) {
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > 64 * 1024) break;  // a password is not this long; stop reading
  }
  ssh::wipe(buf, sizeof buf);
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    log::debug("askpass program %s exited with status %d", program, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return std::nullopt;
  }
  strip_newline(out);
  return out;
}

std::optional<ssh::SecretString> read_tty(const std::string& prompt, bool echo) {
  const int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  termios saved{};
  const bool is_tty = tcgetattr(fd, &saved) == 0;
  if (is_tty && !echo) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  if (write(fd, prompt.data(), prompt.size()) < 0) {
    // Nothing useful to do: the read below still works.
  }
  ssh::SecretString out;
  char c = 0;
  bool ok = false;
  for (;;) {
    const ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (c == '\n' || c == '\r') {
      ok = true;
      break;
    }
    out.push_back(c);
    if (out.size() > 8192) break;
  }
  c = 0;
  if (is_tty && !echo) tcsetattr(fd, TCSAFLUSH, &saved);
  close(fd);
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace

bool confirm(const std::string& prompt) {
  const char* askpass = std::getenv("SSH_ASKPASS");
  if (askpass == nullptr || *askpass == '\0') return false;
  const auto answer = run_askpass(askpass, prompt, true);
  if (!answer) return false;
  // ssh's rule: an empty answer or "yes" in any case.
  const std::string a(answer->begin(), answer->end());
  return a.empty() || strcasecmp(a.c_str(), "yes") == 0;
}

std::optional<ssh::SecretString> read_secret(const std::string& prompt, bool echo, const PromptOptions& options) {
  if (options.batch_mode) return std::nullopt;
  const char* askpass = std::getenv("SSH_ASKPASS");
  const AskpassMode mode = askpass_mode();
  const bool have_askpass = askpass != nullptr && *askpass != '\0';
  if (mode == AskpassMode::force) {
    if (!have_askpass) return std::nullopt;
    return run_askpass(askpass, prompt);
  }
  if (mode == AskpassMode::prefer && have_askpass) return run_askpass(askpass, prompt);
  if (auto answer = read_tty(prompt, echo)) return answer;
  // Like ssh: without a terminal, fall back to askpass when a display exists.
  if (mode != AskpassMode::never && have_askpass && std::getenv("DISPLAY") != nullptr) {
    return run_askpass(askpass, prompt);
  }
  return std::nullopt;
}

}  // namespace gateway::auth
