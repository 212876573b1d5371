// Two network namespaces joined by a veth pair, for fault tests that need a real network path
// between the client and the server which can be cut without closing either end: the server side
// (10.213.N.1/24) runs sshd and the targets, the client side (10.213.N.2/24) runs the gateway.
// Names are unique per process and per fixture; the destructor deletes both namespaces (and with
// them the veth pair), and create() first removes namespaces left by test processes that died.
//
// Needs root and `ip` (iproute2). Processes and sockets are put in a namespace by creating them
// while the calling thread is inside it (NetnsScope): fork() inherits the thread's namespace, and a
// socket stays in the namespace it was created in.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace testsupport {

class NetnsPair {
 public:
  NetnsPair();
  ~NetnsPair();
  NetnsPair(const NetnsPair&) = delete;
  NetnsPair& operator=(const NetnsPair&) = delete;
  NetnsPair(NetnsPair&&) = delete;
  NetnsPair& operator=(NetnsPair&&) = delete;

  // Empty when namespaces can be made here; otherwise why not (not root, no `ip`...).
  static std::string unavailable_reason();

  // Creates both namespaces, the veth pair, the addresses, and brings lo and the veth ends up.
  ::testing::AssertionResult create();

  // Cuts the path silently: a blackhole route for the peer's address in each namespace, so packets
  // are dropped (nothing is reset or refused; established TCP connections just stop hearing back).
  ::testing::AssertionResult blackhole();
  // Removes the blackhole routes.
  ::testing::AssertionResult restore();

  const std::string& server_ns() const { return server_ns_; }
  const std::string& client_ns() const { return client_ns_; }
  const std::string& server_address() const { return server_address_; }
  const std::string& client_address() const { return client_address_; }

 private:
  std::string server_ns_;
  std::string client_ns_;
  std::string server_address_;
  std::string client_address_;
  bool created_ = false;
  bool blackholed_ = false;
};

// One namespace with nothing but lo (up), for tests that build their own devices, routes and rules
// inside it. Named and cleaned up as NetnsPair's are.
class Netns {
 public:
  explicit Netns(const std::string& tag);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  Netns(Netns&&) = delete;
  Netns& operator=(Netns&&) = delete;

  ::testing::AssertionResult create();
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  bool created_ = false;
};

// Moves the calling thread into a named namespace (/run/netns/<name>) for the scope's lifetime.
class NetnsScope {
 public:
  explicit NetnsScope(const std::string& name);
  ~NetnsScope();
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;
  NetnsScope(NetnsScope&&) = delete;
  NetnsScope& operator=(NetnsScope&&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  int saved_ = -1;
  std::string error_;
};

// argv run inside the named namespace through `ip netns exec` (which also gives it the files of
// /etc/netns/<name>/, e.g. a private resolv.conf).
std::vector<std::string> in_netns(const std::string& name, std::vector<std::string> argv);

// Polls `p` every 50 ms until it holds or `timeout` passes; its last answer.
template <class Predicate>
bool wait_until(Predicate p, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (p()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return p();
}

}  // namespace testsupport
