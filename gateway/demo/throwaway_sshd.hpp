#pragma once
// A throwaway OpenSSH server on loopback for `sshplex` run without a host: fresh host and user
// keys in a private temporary directory, a known_hosts file pinning the host key, and cleanup
// (server stopped, directory removed) on destruction.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gateway::demo {

class ThrowawaySshd {
 public:
  ThrowawaySshd() = default;
  ~ThrowawaySshd();
  ThrowawaySshd(const ThrowawaySshd&) = delete;
  ThrowawaySshd& operator=(const ThrowawaySshd&) = delete;

  // Creates keys and config and starts sshd; false with `error` set on failure.
  bool start(std::string& error);

  std::uint16_t port() const { return port_; }
  const std::string& user() const { return user_; }
  const std::string& identity_file() const { return identity_file_; }
  const std::string& known_hosts_file() const { return known_hosts_; }
  const std::string& directory() const { return dir_; }

 private:
  std::string dir_;
  std::string identity_file_;
  std::string known_hosts_;
  std::string user_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// Runs a program and waits; true when it exited 0. Output goes to /dev/null.
bool run_quietly(const std::vector<std::string>& argv);
// A TCP port on 127.0.0.1 that was free a moment ago.
std::uint16_t pick_free_port();

}  // namespace gateway::demo
