// The common end-to-end step of the forward tests: run the client with one -L forward to an echo
// target, wait until the forward works, push data through it and compare SHA-256 both ways.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "support/client_run.hpp"
#include "support/keys.hpp"
#include "support/net.hpp"

namespace testsupport {

// Client options for a server on 127.0.0.1:port, user key given with -i, strict host key checking
// against known_hosts_file.
ClientOptions client_options_for(int port, const std::string& known_hosts_file, const KeyPair& user_key,
                                 const std::string& user = "root");

struct ForwardTarget {
  Endpoint listen;   // where the test connects (local side of the forward)
  std::string spec;  // the -L argument
};

// -L 127.0.0.1:<free port>:<target> where target is 127.0.0.1:port or a remote unix path.
ForwardTarget tcp_forward_to(const Endpoint& remote);
// -L <local_socket_path>:<target>.
ForwardTarget unix_forward_to(const std::string& local_socket_path, const Endpoint& remote);

// Adds fwd.spec to options, starts the client, waits for the forward, transfers `bytes` and checks
// the hashes. On failure the message carries the client's command line and stderr tail.
::testing::AssertionResult forward_and_verify(ClientOptions options, const ForwardTarget& fwd, std::size_t bytes,
                                              std::uint64_t seed = 1);

}  // namespace testsupport
