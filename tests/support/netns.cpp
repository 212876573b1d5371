#include "support/netns.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "support/process.hpp"

namespace testsupport {
namespace {

constexpr const char* kPrefix = "sshplex-t";
constexpr const char* kNetnsDir = "/run/netns";

std::atomic<unsigned> g_counter{0};

::testing::AssertionResult ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv{find_program("ip")};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  if (run_quiet(argv, &out, std::chrono::seconds(20))) return ::testing::AssertionSuccess();
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  return ::testing::AssertionFailure() << "`" << cmd << "` failed: " << out;
}

// Namespaces "sshplex-t<pid>-..." whose test process is gone: left behind by a crash.
void remove_stale_namespaces() {
  DIR* d = ::opendir(kNetnsDir);
  if (d == nullptr) return;
  std::vector<std::string> stale;
  const std::string prefix = kPrefix;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) stale.push_back(name);
  }
  ::closedir(d);
  for (const auto& name : stale) (void)ip({"netns", "del", name});
}

}  // namespace

NetnsPair::NetnsPair() {
  const unsigned n = g_counter.fetch_add(1);
  const std::string base = kPrefix + std::to_string(::getpid()) + "-" + std::to_string(n);
  server_ns_ = base + "-srv";
  client_ns_ = base + "-cli";
  // The subnet only exists inside these two namespaces, so it cannot clash with another pair.
  const std::string subnet = "10.213." + std::to_string(n % 250) + ".";
  server_address_ = subnet + "1";
  client_address_ = subnet + "2";
}

NetnsPair::~NetnsPair() {
  if (!created_) return;
  // Deleting a namespace removes its veth end, and with it the peer.
  (void)ip({"netns", "del", server_ns_});
  (void)ip({"netns", "del", client_ns_});
}

std::string NetnsPair::unavailable_reason() {
  if (::geteuid() != 0) return "network namespace tests need root";
  if (find_program("ip").empty()) return "`ip` (iproute2) not installed";
  return {};
}

::testing::AssertionResult NetnsPair::create() {
  const std::string why = unavailable_reason();
  if (!why.empty()) return ::testing::AssertionFailure() << why;
  remove_stale_namespaces();
  if (auto r = ip({"netns", "add", server_ns_}); !r) return r;
  created_ = true;  // from here on the destructor cleans up, whatever fails next
  if (auto r = ip({"netns", "add", client_ns_}); !r) return r;
  if (auto r = ip({"link", "add", "veth-s", "netns", server_ns_, "type", "veth", "peer", "name", "veth-c", "netns",
                   client_ns_});
      !r) {
    return r;
  }
  const std::vector<std::vector<std::string>> steps = {
      {"-n", server_ns_, "addr", "add", server_address_ + "/24", "dev", "veth-s"},
      {"-n", client_ns_, "addr", "add", client_address_ + "/24", "dev", "veth-c"},
      {"-n", server_ns_, "link", "set", "lo", "up"},
      {"-n", client_ns_, "link", "set", "lo", "up"},
      {"-n", server_ns_, "link", "set", "veth-s", "up"},
      {"-n", client_ns_, "link", "set", "veth-c", "up"},
  };
  for (const auto& s : steps) {
    if (auto r = ip(s); !r) return r;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult NetnsPair::blackhole() {
  if (auto r = ip({"-n", server_ns_, "route", "add", "blackhole", client_address_ + "/32"}); !r) return r;
  blackholed_ = true;
  return ip({"-n", client_ns_, "route", "add", "blackhole", server_address_ + "/32"});
}

::testing::AssertionResult NetnsPair::restore() {
  if (!blackholed_) return ::testing::AssertionSuccess();
  blackholed_ = false;
  auto a = ip({"-n", server_ns_, "route", "del", "blackhole", client_address_ + "/32"});
  auto b = ip({"-n", client_ns_, "route", "del", "blackhole", server_address_ + "/32"});
  return !a ? a : b;
}

Netns::Netns(const std::string& tag) {
  name_ = kPrefix + std::to_string(::getpid()) + "-" + std::to_string(g_counter.fetch_add(1)) + "-" + tag;
}

Netns::~Netns() {
  if (created_) (void)ip({"netns", "del", name_});
}

::testing::AssertionResult Netns::create() {
  const std::string why = NetnsPair::unavailable_reason();
  if (!why.empty()) return ::testing::AssertionFailure() << why;
  remove_stale_namespaces();
  if (auto r = ip({"netns", "add", name_}); !r) return r;
  created_ = true;
  return ip({"-n", name_, "link", "set", "lo", "up"});
}

NetnsScope::NetnsScope(const std::string& name) {
  saved_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (saved_ < 0) {
    error_ = std::string("cannot open this thread's namespace: ") + std::strerror(errno);
    return;
  }
  const std::string path = std::string(kNetnsDir) + "/" + name;
  const int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    error_ = "cannot open " + path + ": " + std::strerror(errno);
    return;
  }
  if (::setns(target, CLONE_NEWNET) != 0) error_ = "setns " + name + ": " + std::strerror(errno);
  ::close(target);
}

NetnsScope::~NetnsScope() {
  if (saved_ < 0) return;
  if (::setns(saved_, CLONE_NEWNET) != 0) {
    // Staying in the test namespace would silently misdirect every later test in this process.
    std::abort();
  }
  ::close(saved_);
}

std::vector<std::string> in_netns(const std::string& name, std::vector<std::string> argv) {
  std::vector<std::string> full{find_program("ip"), "netns", "exec", name};
  full.insert(full.end(), argv.begin(), argv.end());
  return full;
}

}  // namespace testsupport
