// sshplex: command-line entry point.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <uv.h>

#include <cstdio>
#include <optional>
#include <string>

#include "gateway/app.hpp"
#include "gateway/app_control.hpp"
#include "gateway/cli/command_line.hpp"
#include "gateway/config/print_config.hpp"
#include "gateway/config/resolver.hpp"
#include "gateway/control/control_client.hpp"
#include "gateway/demo/demo.hpp"
#include "gateway/net/fd_limit.hpp"
#include "gateway/query.hpp"
#include "gateway/session/agent_forward.hpp"
#include "gateway/session/background.hpp"
#include "gateway/session/local_command.hpp"
#include "gateway/session/remote_session.hpp"
#include "gateway/session/stdio_forward.hpp"
#include "gateway/session/x11_forward.hpp"
#include "gateway/util/log.hpp"
#include "gateway/vpn/vpn.hpp"
#include "ssh/transport/algorithms.hpp"

namespace {

int print_resolved_config(const gateway::config::Options& options);

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

gateway::log::TargetSpec log_target_of(const gateway::config::Options& options) {
  using LogTarget = gateway::config::Options::LogTarget;
  gateway::log::TargetSpec spec;
  switch (options.log_target) {
    case LogTarget::standard_error: spec.target = gateway::log::Target::standard_error; break;
    case LogTarget::syslog: spec.target = gateway::log::Target::syslog; break;
    case LogTarget::file: spec.target = gateway::log::Target::file; break;
    case LogTarget::journal:
      spec.target = gateway::log::Target::journal;
      break;
  }
  spec.syslog_facility = options.syslog_facility;
  spec.file = options.log_file;
  return spec;
}

// A gateway serving many clients needs more than the usual soft limit of 1024 descriptors.
void raise_descriptor_limit() {
  const auto limit = gateway::net::raise_descriptor_limit();
  if (!limit.error.empty()) {
    gateway::log::info("cannot raise the open file limit (%llu): %s", static_cast<unsigned long long>(limit.before),
                       limit.error.c_str());
  } else if (limit.after != limit.before) {
    gateway::log::verbose("open file limit raised from %llu to %llu", static_cast<unsigned long long>(limit.before),
                          static_cast<unsigned long long>(limit.after));
  } else {
    gateway::log::verbose("open file limit: %llu", static_cast<unsigned long long>(limit.after));
  }
}

std::unique_ptr<gateway::session::Foreground> make_remote_session(gateway::App& app,
                                                                   const gateway::config::Options& options,
                                                                   const std::vector<std::string>& command) {
  gateway::session::EscapeHooks hooks;
  hooks.status = [&app] { return app.status_lines(); };
  hooks.add_forward = [&app](const gateway::config::ForwardSpec& spec, std::string& error) {
    return app.add_forward(spec, error);
  };
  hooks.cancel_forward = [&app](const gateway::config::ForwardSpec& spec) { return app.cancel_forward(spec); };
  auto session = std::make_unique<gateway::session::RemoteSession>(
      app.loop(), gateway::session::SessionSettings::from(options, command), std::move(hooks));
  if (options.forward_x11) {
    if (auto x11 = gateway::session::X11Forwarding::prepare(app.loop(), app.resolver(), options)) {
      session->add_forwarding(std::move(x11));
    }
  }
  std::string why;
  if (auto agent = gateway::session::AgentForwarding::socket_for(options, why)) {
    session->add_forwarding(std::make_unique<gateway::session::AgentForwarding>(app.loop(), *agent));
  } else if (!why.empty()) {
    gateway::log::info("%s", why.c_str());
  }
  return session;
}

// --vpn-cleanup: what a VPN with these settings left when it died (routes, rules, the kill switch,
// resolv.conf) is removed; 0 also when there was nothing.
int vpn_cleanup(const gateway::config::Options& options) {
  gateway::log::set_level(level_of(options.log_level));
  std::vector<std::string> removed;
  std::string error;
  if (!gateway::vpn::clean_up(gateway::vpn::vpn_settings(options), removed, error)) {
    std::fprintf(stderr, "sshplex: --vpn-cleanup: %s; nothing was touched\n", error.c_str());
    return gateway::kExitFailure;
  }
  for (const auto& line : removed) std::printf("removed %s\n", line.c_str());
  if (removed.empty()) std::printf("nothing of a sshplex VPN was left behind\n");
  return 0;
}

int run(const gateway::cli::CommandLine& cl) {
  gateway::config::ResolveInput input{cl.host, cl.overrides, cl.config_file};
  // Match command / sessiontype see the command as ssh does: its words joined by spaces.
  for (const auto& word : cl.command) input.command += (input.command.empty() ? "" : " ") + word;
  auto resolved = gateway::config::resolve(input, gateway::config::current_environment(),
                                           gateway::config::real_file_system());
  for (const auto& w : resolved.warnings) std::fprintf(stderr, "sshplex: %s\n", w.c_str());
  if (!resolved.options) {
    for (const auto& e : resolved.errors) std::fprintf(stderr, "sshplex: %s\n", e.to_string().c_str());
    return gateway::kExitFailure;
  }
  gateway::config::Options& options = *resolved.options;
  if (cl.print_config) return print_resolved_config(options);
  if (cl.vpn_cleanup) return vpn_cleanup(options);
  gateway::cli::apply_log_file(cl, options);
  gateway::log::set_level(level_of(options.log_level));
  std::string log_error;
  if (!gateway::log::set_target(log_target_of(options), log_error)) {
    std::fprintf(stderr, "sshplex: %s\n", log_error.c_str());
    return gateway::kExitFailure;
  }
  std::optional<gateway::config::ForwardEndpoint> stdio_target;
  if (cl.stdio_forward) {
    std::string error;
    stdio_target = gateway::session::StdioForward::parse(*cl.stdio_forward, error);
    if (!stdio_target) {
      std::fprintf(stderr, "sshplex: %s\n", error.c_str());
      return gateway::kExitFailure;
    }
    // ssh's defaults for -W: the stdio forward is all there is, and it must work.
    if (!options.set_keywords.contains("ClearAllForwardings")) options.clear_all_forwardings = true;
    if (!options.set_keywords.contains("ExitOnForwardFailure")) options.exit_on_forward_failure = true;
  }
  if (cl.control_command) return gateway::control::run_control_command(*cl.control_command, options);
  std::string control_error;
  const bool master = gateway::AppControl::wanted(options, control_error);
  if (!control_error.empty()) {
    std::fprintf(stderr, "sshplex: %s\n", control_error.c_str());
    return gateway::kExitFailure;
  }
  const bool runs_session = !stdio_target && options.session_type != gateway::config::SessionType::none;
  if (options.fork_after_authentication && !stdio_target && options.session_type == gateway::config::SessionType::command &&
      cl.command.empty() && options.remote_command.empty()) {
    std::fprintf(stderr, "sshplex: Cannot fork into background without a command to execute.\n");
    return gateway::kExitFailure;
  }
  // ssh's ControlPersist: a master with nothing of its own to run stays up in the background, and
  // the command line returns once its socket is there.
  const bool persist_in_background = master && !runs_session && !stdio_target &&
                                     options.control_persist != "no" && options.control_persist != "false";
  if (master && runs_session && options.control_persist != "no" && options.control_persist != "false") {
    gateway::log::verbose("ControlPersist applies to a master without a command (-N): this one ends with its "
                          "command and its passengers.");
  }
  if (persist_in_background && !options.fork_after_authentication) {
    options.fork_after_authentication = true;
    options.stdin_null = true;
  }
  if (options.fork_after_authentication) {
    // The parent waits here for the child's word and leaves with the status it gets.
    if (auto parent_status = gateway::session::fork_into_background()) return *parent_status;
  }
  raise_descriptor_limit();
  uv_loop_t loop;
  uv_loop_init(&loop);
  int status = gateway::kExitFailure;
  {
    gateway::App app(&loop, options);
    // SIGHUP: resolve again with the same command line; errors keep the running configuration.
    // The log target and level stay as they were at start-up.
    app.set_config_source([&cl, &input]() -> std::optional<gateway::config::Options> {
      auto again = gateway::config::resolve(input, gateway::config::current_environment(),
                                            gateway::config::real_file_system());
      for (const auto& w : again.warnings) gateway::log::info("%s", w.c_str());
      for (const auto& e : again.errors) gateway::log::error("%s", e.to_string().c_str());
      if (again.options) gateway::cli::apply_log_file(cl, *again.options);
      return std::move(again.options);
    });
    if (stdio_target) {
      // Duplicates, so that closing the channel's ends leaves the process's own descriptors alone.
      const int in = options.stdin_null ? ::open("/dev/null", O_RDONLY | O_CLOEXEC)
                                        : ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
      const int out = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
      app.set_foreground(std::make_unique<gateway::session::StdioForward>(&loop, *stdio_target, in, out));
    } else if (runs_session) {
      app.set_foreground(make_remote_session(app, options, cl.command));
    }
    // Before -f's handler: the parent returns only once the control socket is there to use.
    if (master) app.enable_control();
    if (options.permit_local_command && !options.local_command.empty()) {
      app.on_ready([command = options.local_command](gateway::App& a) {
        gateway::session::run_local_command(a.loop(), command);
      });
    }
    if (options.fork_after_authentication) {
      const bool keep_stderr = options.log_level >= gateway::config::LogLevel::debug1 &&
                               options.log_target == gateway::config::Options::LogTarget::standard_error;
      app.on_ready([keep_stderr](gateway::App&) { gateway::session::serving_in_background(keep_stderr); });
    }
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

// -G: the algorithm lists as the connection would use them, then everything else.
int print_resolved_config(const gateway::config::Options& options) {
  using ssh::transport::AlgorithmKind;
  gateway::config::PrintDefaults lists;
  const std::pair<AlgorithmKind, std::pair<const std::string*, std::vector<std::string>*>> kinds[] = {
      {AlgorithmKind::cipher, {&options.ciphers, &lists.ciphers}},
      {AlgorithmKind::mac, {&options.macs, &lists.macs}},
      {AlgorithmKind::kex, {&options.kex_algorithms, &lists.kex_algorithms}},
      {AlgorithmKind::host_key, {&options.host_key_algorithms, &lists.host_key_algorithms}},
  };
  for (const auto& [kind, fields] : kinds) {
    const auto& defaults = ssh::transport::default_algorithm_list(kind);
    if (fields.first->empty()) {
      *fields.second = defaults;
      continue;
    }
    auto edited = ssh::transport::apply_algorithm_list(kind, defaults, *fields.first);
    if (!edited.error.empty()) {
      std::fprintf(stderr, "sshplex: %s\n", edited.error.c_str());
      return gateway::kExitFailure;
    }
    *fields.second = std::move(edited.list);
  }
  std::fputs(gateway::config::print_config(options, lists).c_str(), stdout);
  return 0;
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
  if (cl.query) {
    const auto list = gateway::query_list(*cl.query);
    if (!list) {
      std::fprintf(stderr, "sshplex: Unsupported query \"%s\"\n", cl.query->c_str());
      return gateway::kExitFailure;
    }
    for (const auto& item : *list) std::printf("%s\n", item.c_str());
    return 0;
  }
  if (cl.vpn_cleanup && cl.host.empty()) return vpn_cleanup(gateway::config::Options{});
  if (cl.demo || cl.host.empty()) return gateway::demo::run_demo(cl.verbosity);
  return run(cl);
}
