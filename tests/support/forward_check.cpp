#include "support/forward_check.hpp"

namespace testsupport {
namespace {

std::string remote_spec(const Endpoint& remote) {
  return remote.is_unix() ? remote.unix_path : "127.0.0.1:" + std::to_string(remote.port);
}

}  // namespace

ClientOptions client_options_for(int port, const std::string& known_hosts_file, const KeyPair& user_key,
                                 const std::string& user) {
  ClientOptions o;
  o.port = port;
  o.user = user;
  o.known_hosts_file = known_hosts_file;
  o.identities = {user_key.private_path};
  return o;
}

ForwardTarget tcp_forward_to(const Endpoint& remote) {
  int local = free_tcp_port();
  return {Endpoint::tcp(local), "127.0.0.1:" + std::to_string(local) + ":" + remote_spec(remote)};
}

ForwardTarget unix_forward_to(const std::string& local_socket_path, const Endpoint& remote) {
  return {Endpoint::unix_socket(local_socket_path), local_socket_path + ":" + remote_spec(remote)};
}

::testing::AssertionResult forward_and_verify(ClientOptions options, const ForwardTarget& fwd, std::size_t bytes,
                                              std::uint64_t seed) {
  options.local_forwards.push_back(fwd.spec);
  ClientRun client(std::move(options));
  auto started = client.start();
  if (!started) return started;
  auto ready = client.wait_forward(fwd.listen);
  if (!ready) {
    client.stop();
    return ready << "\nclient: " << client.command_line() << "\nclient stderr:\n"
                 << tail_file(client.home().file("client.err"), 8192);
  }
  TransferResult t = echo_transfer(fwd.listen, bytes, seed);
  if (!t.ok) {
    client.stop();
    return ::testing::AssertionFailure() << "transfer of " << bytes << " bytes through " << fwd.spec
                                         << " failed: " << t.error << " (sent " << t.sent << ", received " << t.received
                                         << ")\nclient: " << client.command_line() << "\nclient stderr:\n"
                                         << tail_file(client.home().file("client.err"), 8192);
  }
  return ::testing::AssertionSuccess();
}

}  // namespace testsupport
