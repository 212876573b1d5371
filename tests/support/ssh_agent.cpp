#include "support/ssh_agent.hpp"

#include "support/net.hpp"

namespace testsupport {

SshAgent::SshAgent() : socket_path_(dir_.file("agent.sock")) {}

SshAgent::~SshAgent() {
  process_.stop();
}

std::string SshAgent::unavailable_reason() {
  if (find_program("ssh-agent").empty() || find_program("ssh-add").empty()) {
    return "ssh-agent/ssh-add not installed (apt-get install openssh-client)";
  }
  return {};
}

::testing::AssertionResult SshAgent::start() {
  if (!process_.start({"ssh-agent", "-D", "-a", socket_path_}, base_env(), dir_.file("agent.out"),
                      dir_.file("agent.err"))) {
    return ::testing::AssertionFailure() << "cannot start ssh-agent: " << process_.error();
  }
  if (!wait_for_endpoint(Endpoint::unix_socket(socket_path_), std::chrono::seconds(10))) {
    return ::testing::AssertionFailure() << "ssh-agent socket never appeared: " << read_file(dir_.file("agent.err"));
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult SshAgent::add_key(const std::string& private_path) {
  Env env = base_env();
  env.push_back(auth_sock_env());
  ProcessResult r =
      run_command({"ssh-add", private_path}, env, dir_.file("add.out"), dir_.file("add.err"), std::chrono::seconds(30));
  if (!r.exited || r.exit_code != 0) {
    return ::testing::AssertionFailure() << "ssh-add failed: " << read_file(dir_.file("add.err"));
  }
  return ::testing::AssertionSuccess();
}

std::string SshAgent::list_keys() const {
  Env env = base_env();
  env.push_back(auth_sock_env());
  run_command({"ssh-add", "-L"}, env, dir_.file("list.out"), dir_.file("list.err"), std::chrono::seconds(30));
  return read_file(dir_.file("list.out"));
}

}  // namespace testsupport
