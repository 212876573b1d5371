// OpenSSH sshd started on 127.0.0.1:<free port> with a generated sshd_config and throwaway host keys,
// one algorithm family forced at a time. Needs root (sshd privilege separation); use
// TESTSUPPORT_SKIP_IF(SshdServer::unavailable_reason()) first so other machines skip with a message.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "support/files.hpp"
#include "support/keys.hpp"
#include "support/process.hpp"

// Skips the current test with the given reason when it is non-empty.
#define TESTSUPPORT_SKIP_IF(reason_expr)                   \
  do {                                                     \
    const std::string testsupport_reason_ = (reason_expr); \
    if (!testsupport_reason_.empty()) {                    \
      GTEST_SKIP() << testsupport_reason_;                 \
    }                                                      \
  } while (false)

namespace testsupport {

struct SshdOptions {
  // Only this host key is loaded (default: ed25519, ecdsa 256/384/521 and rsa 3072).
  std::optional<KeyType> host_key;
  // Each non-empty string becomes the sshd_config option of the same name.
  std::string kex_algorithms;
  std::string ciphers;
  std::string macs;
  std::string host_key_algorithms;
  std::string pubkey_accepted_algorithms;
  std::string rekey_limit;             // e.g. "1M" or "default 2s"
  std::string authentication_methods;  // e.g. "publickey,password"
  bool pubkey_authentication = true;
  bool password_authentication = false;
  bool kbd_interactive_authentication = false;
  bool use_pam = false;  // keyboard-interactive needs PAM on Linux
  bool x11_forwarding = false;  // X11Forwarding (sshd runs xauth for the session)
  // DEBUG3 names every negotiated algorithm and auth step; bulk tests may lower it for speed.
  std::string log_level = "DEBUG3";
  std::vector<std::string> extra_lines;  // appended verbatim
  // ListenAddress host; "0.0.0.0" also serves a veth address in a test namespace (see netns.hpp).
  // Readiness is always probed on 127.0.0.1, so it must include loopback.
  std::string listen_address = "127.0.0.1";
  std::vector<std::string> also_listen;  // more addresses on the same port (e.g. "::1")
};

class SshdServer {
 public:
  explicit SshdServer(SshdOptions options = {});
  ~SshdServer();  // stops sshd and its per-connection children; dumps the log if the test failed
  SshdServer(const SshdServer&) = delete;
  SshdServer& operator=(const SshdServer&) = delete;
  SshdServer(SshdServer&&) = delete;
  SshdServer& operator=(SshdServer&&) = delete;

  // Empty when sshd can run here; otherwise why not (not root, sshd missing...).
  static std::string unavailable_reason();
  // Why keyboard-interactive cannot be tested here (needs UsePAM and /etc/pam.d/sshd); empty if it can.
  static std::string kbd_interactive_unavailable_reason();

  // Adds a line to the AuthorizedKeysFile (call before or after start; sshd rereads it per attempt).
  void authorize_key(const std::string& public_line);
  // Writes the config, starts sshd and waits until it accepts connections.
  ::testing::AssertionResult start();
  void stop();
  // Stops sshd (and every session) and starts it again on the same port with the same config and
  // host keys, e.g. to test a client's reconnect. The previous run's log is kept in log_path() + ".1".
  // Retries while the port is still held, for up to 10 s.
  ::testing::AssertionResult restart();
  // The per-connection sshd processes (children of the listener), e.g. to freeze a session.
  std::vector<pid_t> connection_pids() const;

  int port() const { return port_; }
  const std::string& dir() const { return dir_.path().native(); }
  const std::string& config_path() const { return config_path_; }
  std::string log() const { return read_file(log_path_); }
  const std::string& log_path() const { return log_path_; }

  // Host keys the server presents (one when options.host_key is set).
  const std::vector<KeyPair>& host_keys() const { return host_keys_; }
  // "[127.0.0.1]:PORT type base64" for each host key: ready for a known_hosts file.
  std::vector<std::string> known_hosts_lines() const;
  std::string host_pattern() const { return "[127.0.0.1]:" + std::to_string(port_); }
  // known_hosts lines for the server reached at another address, e.g. "[10.213.0.1]:PORT type base64".
  std::vector<std::string> known_hosts_lines_for(const std::string& address) const;
  // Writes known_hosts_lines() to path.
  bool write_known_hosts(const std::string& path) const;

 private:
  std::string render_config() const;

  SshdOptions options_;
  TempDir dir_{"sshplex-sshd"};
  std::string config_path_;
  std::string log_path_;
  std::string authorized_keys_path_;
  std::vector<KeyPair> host_keys_;
  int port_ = 0;
  Process process_;
};

}  // namespace testsupport
