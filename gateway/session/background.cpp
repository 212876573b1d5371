#include "gateway/session/background.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace gateway::session {
namespace {

// The write end of the pipe to the waiting parent, in the child; -1 elsewhere.
int g_parent_pipe = -1;

void to_dev_null(int fd) {
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) return;
  ::dup2(null_fd, fd);
  ::close(null_fd);
}

}  // namespace

std::optional<int> fork_into_background() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "sshplex: cannot go to the background: %s\n", std::strerror(errno));
    return 255;
  }
  std::fflush(nullptr);
  const pid_t child = ::fork();
  if (child < 0) {
    std::fprintf(stderr, "sshplex: fork failed: %s\n", std::strerror(errno));
    return 255;
  }
  if (child == 0) {
    ::close(fds[0]);
    g_parent_pipe = fds[1];
    return std::nullopt;
  }
  ::close(fds[1]);
  char word = 0;
  ssize_t n = 0;
  do {
    n = ::read(fds[0], &word, 1);
  } while (n < 0 && errno == EINTR);
  ::close(fds[0]);
  if (n == 1) return 0;  // serving: the child carries on without us
  // The child ended before it was serving: its status is ours.
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 255;
}

void serving_in_background(bool keep_stderr) {
  if (g_parent_pipe < 0) return;
  ::setsid();
  to_dev_null(STDIN_FILENO);
  to_dev_null(STDOUT_FILENO);
  if (!keep_stderr) to_dev_null(STDERR_FILENO);
  const char word = 'R';
  (void)!::write(g_parent_pipe, &word, 1);
  ::close(g_parent_pipe);
  g_parent_pipe = -1;
}

}  // namespace gateway::session
