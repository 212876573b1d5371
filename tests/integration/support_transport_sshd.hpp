#pragma once
// A throwaway OpenSSH sshd on a loopback port, and a blocking-socket pump for
// ssh::transport::Transport, for the transport integration tests.
#include <chrono>
#include <string>
#include <vector>

#include "ssh/transport/transport.hpp"

namespace transport_sshd {

// Why sshd cannot be run here (not root, binary missing), or empty.
std::string unavailable_reason();

// Host keys generated once per process by ssh-keygen in a temp dir.
struct HostKeys {
  std::string dir;
  std::string ed25519, ecdsa256, ecdsa384, ecdsa521, rsa;
  std::string user_key;  // an ed25519 user key listed in authorized_keys
  std::string authorized_keys;
};
const HostKeys& host_keys();

class Sshd {
 public:
  // Starts sshd -D -e with the given host key files and extra -o options.
  Sshd(const std::vector<std::string>& host_key_files, const std::vector<std::string>& options);
  ~Sshd();
  Sshd(const Sshd&) = delete;
  Sshd& operator=(const Sshd&) = delete;
  bool ok() const { return pid_ > 0 && port_ != 0; }
  int port() const { return port_; }
  std::string log() const;

 private:
  int pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

// A connected blocking TCP socket driving a Transport.
class Pump {
 public:
  explicit Pump(int port);
  ~Pump();
  Pump(const Pump&) = delete;
  Pump& operator=(const Pump&) = delete;
  bool connected() const { return fd_ >= 0; }

  // Moves bytes both ways (once, waiting up to `wait` for input) and feeds time.
  bool step(ssh::transport::Transport& t, std::chrono::milliseconds wait);

 private:
  int fd_ = -1;
};

}  // namespace transport_sshd
