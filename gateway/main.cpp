// sshplex: command-line entry point.
#include <signal.h>
#include <uv.h>

#include <cstdio>

#include "gateway/app.hpp"
#include "gateway/cli/command_line.hpp"
#include "gateway/config/resolver.hpp"
#include "gateway/core/log.hpp"
#include "gateway/demo/demo.hpp"

namespace {

gateway::log::Level level_of(gateway::config::LogLevel level) {
  using gateway::config::LogLevel;
  using gateway::log::Level;
  switch (level) {
    case LogLevel::quiet:
    case LogLevel::fatal:
    case LogLevel::error: return Level::error;
    case LogLevel::info: return Level::info;
    case LogLevel::verbose: return Level::verbose;
    case LogLevel::debug1: return Level::debug1;
    case LogLevel::debug2: return Level::debug2;
    case LogLevel::debug3: return Level::debug3;
  }
  return Level::info;
}

int run(const gateway::cli::CommandLine& cl) {
  gateway::config::ResolveInput input{cl.host, cl.overrides, cl.config_file};
  auto resolved = gateway::config::resolve(input, gateway::config::current_environment(),
                                           gateway::config::real_file_system());
  for (const auto& w : resolved.warnings) std::fprintf(stderr, "sshplex: %s\n", w.c_str());
  if (!resolved.options) {
    for (const auto& e : resolved.errors) std::fprintf(stderr, "sshplex: %s\n", e.to_string().c_str());
    return gateway::kExitFailure;
  }
  gateway::log::set_level(level_of(resolved.options->log_level));
  if (!cl.command.empty()) {
    std::fprintf(stderr, "sshplex: remote commands are not supported yet; running as with -N\n");
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  int status = gateway::kExitFailure;
  {
    gateway::App app(&loop, *resolved.options);
    if (app.start()) {
      uv_run(&loop, UV_RUN_DEFAULT);
      status = app.exit_code();
    }
  }
  // Let the close callbacks of the handles released above run before the loop goes away.
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  // With no destination at all, show a newcomer a working tunnel instead of a usage message.
  if (argc <= 1) return gateway::demo::run_demo(0);
  auto parsed = gateway::cli::parse(argc, argv);
  if (!parsed.command_line) {
    std::fprintf(stderr, "sshplex: %s\n%s", parsed.error.c_str(), gateway::cli::usage().c_str());
    return gateway::kExitFailure;
  }
  const auto& cl = *parsed.command_line;
  if (cl.help) {
    std::printf("%s", gateway::cli::usage().c_str());
    return 0;
  }
  if (cl.version) {
    std::printf("sshplex 0.1.0 (libuv %s)\n", uv_version_string());
    return 0;
  }
  if (cl.demo || cl.host.empty()) return gateway::demo::run_demo(cl.verbosity);
  return run(cl);
}
