#include "support/client_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <thread>

#ifndef SSHPLEX_BINARY
#define SSHPLEX_BINARY ""
#endif

namespace testsupport {
namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

}  // namespace

std::string client_binary() {
  const char* env = std::getenv("SSHPLEX_TEST_CLIENT");
  if (env != nullptr && *env != '\0') return env;
  return SSHPLEX_BINARY;
}

std::string client_unavailable_reason() {
  std::string bin = client_binary();
  if (bin.empty() || ::access(bin.c_str(), X_OK) != 0) {
    return "client binary '" + bin + "' is not executable (build sshplex, or set SSHPLEX_TEST_CLIENT=/usr/bin/ssh)";
  }
  return {};
}

std::string tcp_forward_spec(int local_port, int remote_port) {
  return "127.0.0.1:" + std::to_string(local_port) + ":127.0.0.1:" + std::to_string(remote_port);
}

ClientRun::ClientRun(ClientOptions options) : options_(std::move(options)) {
  known_hosts_ = options_.known_hosts_file.empty() ? home_.file("known_hosts") : options_.known_hosts_file;
}

ClientRun::~ClientRun() {
  process_.stop();
  if (::testing::Test::HasFailure() && !argv_.empty()) {
    std::cerr << "----- client: " << command_line() << "\n----- client stderr -----\n"
              << tail_file(process_.stderr_path()) << "----- end of client stderr -----\n";
  }
}

std::string ClientRun::command_line() const {
  std::string out;
  for (const auto& a : argv_) out += (out.empty() ? "" : " ") + shell_quote(a);
  return out;
}

::testing::AssertionResult ClientRun::start() {
  const bool use_askpass = options_.askpass_secret.has_value();
  argv_ = {client_binary()};
  if (options_.verbose) argv_.push_back("-v");
  argv_.insert(argv_.end(), {"-F", "/dev/null"});
  auto opt = [this](const std::string& o) {
    argv_.push_back("-o");
    argv_.push_back(o);
  };
  // ssh keeps the first value it sees for an option, so a test's own -o settings replace the
  // defaults below instead of following them.
  auto overridden = [this](const std::string& key) {
    for (const auto& o : options_.options) {
      if (o.size() > key.size() && o[key.size()] == '=' &&
          std::equal(key.begin(), key.end(), o.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
          })) {
        return true;
      }
    }
    return false;
  };
  auto default_opt = [&](const std::string& key, const std::string& value) {
    if (!overridden(key)) opt(key + "=" + value);
  };
  default_opt("StrictHostKeyChecking", options_.strict_host_key_checking);
  default_opt("UserKnownHostsFile", known_hosts_);
  default_opt("GlobalKnownHostsFile", "/dev/null");
  default_opt("BatchMode", options_.batch_mode && !use_askpass ? "yes" : "no");
  default_opt("IdentitiesOnly", options_.identities_only ? "yes" : "no");
  default_opt("ConnectTimeout", "10");
  for (const auto& o : options_.options) opt(o);
  for (const auto& id : options_.identities) argv_.insert(argv_.end(), {"-i", id});
  argv_.insert(argv_.end(), {"-p", std::to_string(options_.port)});
  if (options_.no_command) argv_.push_back("-N");
  for (const auto& l : options_.local_forwards) argv_.insert(argv_.end(), {"-L", l});
  argv_.insert(argv_.end(), options_.extra_args.begin(), options_.extra_args.end());
  argv_.push_back(options_.user.empty() ? options_.host : options_.user + "@" + options_.host);
  argv_.insert(argv_.end(), options_.command.begin(), options_.command.end());

  Env env = base_env();
  env.push_back("HOME=" + home_.str());
  env.push_back("USER=" + (options_.user.empty() ? std::string("root") : options_.user));
  if (options_.auth_sock) env.push_back("SSH_AUTH_SOCK=" + *options_.auth_sock);
  if (use_askpass) {
    const std::string script = home_.file("askpass.sh");
    const std::string body = "#!/bin/sh\nprintf '%s\\n' \"$1\" >> " + shell_quote(home_.file("askpass.log")) +
                             "\nprintf '%s\\n' " + shell_quote(*options_.askpass_secret) + "\n";
    if (!write_file(script, body, 0700)) return ::testing::AssertionFailure() << "cannot write " << script;
    env.push_back("SSH_ASKPASS=" + script);
    env.push_back("SSH_ASKPASS_REQUIRE=force");
  }
  env.insert(env.end(), options_.extra_env.begin(), options_.extra_env.end());
  std::vector<std::string> command = options_.wrapper;
  command.insert(command.end(), argv_.begin(), argv_.end());
  if (!process_.start(command, env, home_.file("client.out"), home_.file("client.err"), options_.stdin_path)) {
    return ::testing::AssertionFailure() << "cannot start client: " << process_.error();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ClientRun::wait_forward(const Endpoint& local, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto r = process_.poll()) {
      return ::testing::AssertionFailure() << "client exited (code " << r->exit_code << ", signal " << r->term_signal
                                           << ") before the forward to " << local.describe() << " worked";
    }
    if (echo_ping(local, std::chrono::milliseconds(2000))) return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ::testing::AssertionFailure() << "forward " << local.describe() << " not working after " << timeout.count()
                                       << " ms";
}

ProcessResult ClientRun::wait_exit(std::chrono::milliseconds timeout) {
  return process_.wait(timeout);
}

}  // namespace testsupport
