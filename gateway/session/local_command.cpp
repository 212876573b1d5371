#include "gateway/session/local_command.hpp"

#include <cstdlib>

#include "gateway/util/log.hpp"

namespace gateway::session {

bool run_local_command(uv_loop_t* loop, const std::string& command) {
  const char* shell = std::getenv("SHELL");
  if (shell == nullptr || *shell == '\0') shell = "/bin/sh";
  log::debug("Executing local command: %s", command.c_str());
  auto* process = new uv_process_t{};
  char* argv[] = {const_cast<char*>(shell), const_cast<char*>("-c"), const_cast<char*>(command.c_str()), nullptr};
  uv_stdio_container_t stdio[3];
  for (int i = 0; i < 3; ++i) {
    stdio[i].flags = UV_INHERIT_FD;
    stdio[i].data.fd = i;
  }
  uv_process_options_t options{};
  options.file = shell;
  options.args = argv;
  options.stdio = stdio;
  options.stdio_count = 3;
  options.exit_cb = [](uv_process_t* p, int64_t status, int signal) {
    if (status != 0 || signal != 0) {
      log::info("LocalCommand exited with status %lld%s", static_cast<long long>(status),
                signal != 0 ? " (killed by a signal)" : "");
    }
    uv_close(reinterpret_cast<uv_handle_t*>(p), [](uv_handle_t* h) { delete reinterpret_cast<uv_process_t*>(h); });
  };
  const int rc = uv_spawn(loop, process, &options);
  if (rc != 0) {
    log::error("LocalCommand: cannot run %s: %s", shell, uv_strerror(rc));
    uv_close(reinterpret_cast<uv_handle_t*>(process),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_process_t*>(h); });
    return false;
  }
  // The loop must not wait for it to exit: sshplex's own end does not depend on it.
  uv_unref(reinterpret_cast<uv_handle_t*>(process));
  return true;
}

}  // namespace gateway::session
