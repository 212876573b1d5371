#include "support/sshd_server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "support/net.hpp"

namespace testsupport {
namespace {

constexpr const char* kSshd = "/usr/sbin/sshd";

const std::vector<KeyType>& all_key_types() {
  static const std::vector<KeyType> all{KeyType::Ed25519, KeyType::Ecdsa256, KeyType::Ecdsa384, KeyType::Ecdsa521,
                                        KeyType::Rsa3072};
  return all;
}

}  // namespace

SshdServer::SshdServer(SshdOptions options) : options_(std::move(options)) {
  // The test account must be able to traverse to the AuthorizedKeysFile: sshd opens it as that user.
  ::chmod(dir_.path().c_str(), 0755);
  config_path_ = dir_.file("sshd_config");
  log_path_ = dir_.file("sshd.log");
  authorized_keys_path_ = dir_.file("authorized_keys");
  write_file(authorized_keys_path_, "", 0644);
}

SshdServer::~SshdServer() {
  stop();
  if (::testing::Test::HasFailure()) {
    std::cerr << "----- sshd log (" << log_path_ << ", tail) -----\n"
              << tail_file(log_path_) << "----- end of sshd log -----\n";
  }
}

std::string SshdServer::unavailable_reason() {
  if (::access(kSshd, X_OK) != 0) return std::string(kSshd) + " not installed (apt-get install openssh-server)";
  if (find_program("ssh-keygen").empty()) return "ssh-keygen not installed";
  if (::geteuid() != 0) return "sshd integration tests need root (privilege separation, host keys)";
  return {};
}

std::string SshdServer::kbd_interactive_unavailable_reason() {
  std::string base = unavailable_reason();
  if (!base.empty()) return base;
  // Without PAM, OpenSSH on Linux has no keyboard-interactive device (bsdauth is BSD-only).
  if (::access("/etc/pam.d/sshd", R_OK) != 0) return "keyboard-interactive needs PAM: /etc/pam.d/sshd missing";
  return {};
}

void SshdServer::authorize_key(const std::string& public_line) {
  std::ofstream out(authorized_keys_path_, std::ios::app);
  out << public_line << "\n";
}

std::string SshdServer::render_config() const {
  std::ostringstream c;
  c << "ListenAddress " << options_.listen_address << ":" << port_ << "\n";
  for (const auto& also : options_.also_listen) c << "ListenAddress [" << also << "]:" << port_ << "\n";
  for (const auto& k : host_keys_) c << "HostKey " << k.private_path << "\n";
  c << "PidFile none\n"
    << "StrictModes no\n"
    << "UsePAM " << (options_.use_pam ? "yes" : "no") << "\n"
    << "PermitRootLogin yes\n"
    << "AuthorizedKeysFile " << authorized_keys_path_ << "\n"
    << "PubkeyAuthentication " << (options_.pubkey_authentication ? "yes" : "no") << "\n"
    << "PasswordAuthentication " << (options_.password_authentication ? "yes" : "no") << "\n"
    << "KbdInteractiveAuthentication " << (options_.kbd_interactive_authentication ? "yes" : "no") << "\n"
    << "PermitEmptyPasswords no\n"
    << "AllowTcpForwarding yes\n"
    << "AllowStreamLocalForwarding yes\n"
    << "X11Forwarding " << (options_.x11_forwarding ? "yes" : "no") << "\n"
    << "UseDNS no\n"
    << "LoginGraceTime 60\n"
    << "MaxAuthTries 10\n"
    << "LogLevel " << options_.log_level << "\n";
  auto opt = [&c](const char* name, const std::string& v) {
    if (!v.empty()) c << name << " " << v << "\n";
  };
  opt("KexAlgorithms", options_.kex_algorithms);
  opt("Ciphers", options_.ciphers);
  opt("MACs", options_.macs);
  opt("HostKeyAlgorithms", options_.host_key_algorithms);
  opt("PubkeyAcceptedAlgorithms", options_.pubkey_accepted_algorithms);
  opt("RekeyLimit", options_.rekey_limit);
  opt("AuthenticationMethods", options_.authentication_methods);
  for (const auto& line : options_.extra_lines) c << line << "\n";
  return c.str();
}

::testing::AssertionResult SshdServer::start() {
  std::string why = unavailable_reason();
  if (!why.empty()) return ::testing::AssertionFailure() << why;
  std::error_code ec;
  std::filesystem::create_directories("/run/sshd", ec);  // privilege separation directory
  ::chmod("/run/sshd", 0755);
  if (host_keys_.empty()) {
    // Copies of the cached keys, so each server owns its files (sshd insists on mode 0600).
    std::vector<KeyType> types = options_.host_key ? std::vector<KeyType>{*options_.host_key} : all_key_types();
    for (KeyType t : types) {
      KeyPair k = cached_key(t, "host");
      std::string dst = dir_.file("ssh_host_" + key_type_name(t) + "_key");
      std::filesystem::copy_file(k.private_path, dst, std::filesystem::copy_options::overwrite_existing, ec);
      std::filesystem::copy_file(k.public_path, dst + ".pub", std::filesystem::copy_options::overwrite_existing, ec);
      ::chmod(dst.c_str(), 0600);
      k.private_path = dst;
      k.public_path = dst + ".pub";
      host_keys_.push_back(k);
    }
  }
  std::string last_error;
  for (int attempt = 0; attempt < 3; ++attempt) {  // the free port may be taken between probe and bind
    port_ = free_tcp_port();
    if (!write_file(config_path_, render_config(), 0644)) {
      return ::testing::AssertionFailure() << "cannot write " << config_path_;
    }
    if (!process_.start({kSshd, "-D", "-e", "-f", config_path_}, base_env(), dir_.file("sshd.out"), log_path_)) {
      return ::testing::AssertionFailure() << "cannot start sshd: " << process_.error();
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (!process_.running()) break;
      if (wait_for_port(port_, std::chrono::milliseconds(50))) return ::testing::AssertionSuccess();
    }
    last_error = tail_file(log_path_, 4096);
    process_.stop();
    if (last_error.find("Address already in use") == std::string::npos) break;
  }
  return ::testing::AssertionFailure() << "sshd did not start listening on 127.0.0.1:" << port_ << "; config:\n"
                                       << read_file(config_path_) << "\nlog:\n"
                                       << last_error;
}

void SshdServer::stop() {
  process_.stop();
}

::testing::AssertionResult SshdServer::restart() {
  if (port_ == 0 || host_keys_.empty()) return ::testing::AssertionFailure() << "restart() before start()";
  stop();
  std::error_code ec;
  std::filesystem::rename(log_path_, log_path_ + ".1", ec);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string last_error;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_.start({kSshd, "-D", "-e", "-f", config_path_}, base_env(), dir_.file("sshd.out"), log_path_)) {
      return ::testing::AssertionFailure() << "cannot start sshd: " << process_.error();
    }
    const auto started = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < started + std::chrono::seconds(5)) {
      if (!process_.running()) break;
      if (wait_for_port(port_, std::chrono::milliseconds(50))) return ::testing::AssertionSuccess();
    }
    last_error = tail_file(log_path_, 4096);
    process_.stop();
    if (last_error.find("Address already in use") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return ::testing::AssertionFailure() << "sshd did not restart on port " << port_ << "; log:\n" << last_error;
}

std::vector<std::string> SshdServer::known_hosts_lines_for(const std::string& address) const {
  std::vector<std::string> lines;
  for (const auto& k : host_keys_) lines.push_back("[" + address + "]:" + std::to_string(port_) + " " + k.public_line);
  return lines;
}

std::vector<pid_t> SshdServer::connection_pids() const {
  return process_.pid() > 0 ? descendants(process_.pid()) : std::vector<pid_t>{};
}

std::vector<std::string> SshdServer::known_hosts_lines() const {
  std::vector<std::string> lines;
  for (const auto& k : host_keys_) lines.push_back(host_pattern() + " " + k.public_line);
  return lines;
}

bool SshdServer::write_known_hosts(const std::string& path) const {
  std::string content;
  for (const auto& l : known_hosts_lines()) content += l + "\n";
  return write_file(path, content, 0644);
}

}  // namespace testsupport
