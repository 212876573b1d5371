#include "gateway/demo/throwaway_sshd.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "gateway/util/read_file.hpp"

namespace gateway::demo {
namespace {

std::string find_sshd() {
  for (const char* p : {"/usr/sbin/sshd", "/usr/local/sbin/sshd", "/sbin/sshd"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return {};
}

std::string read_text(const std::string& path) {
  std::string text;
  util::read_whole_file(path, text);
  return text;
}

bool port_accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& log_file) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  const int null_fd = ::open("/dev/null", O_RDWR);
  const int log_fd = log_file.empty() ? null_fd : ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(null_fd, STDIN_FILENO);
  ::dup2(null_fd, STDOUT_FILENO);
  ::dup2(log_fd, STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::execvp(args[0], args.data());
  ::_exit(127);
}

}  // namespace

bool run_quietly(const std::vector<std::string>& argv) {
  const pid_t pid = spawn(argv, "");
  if (pid < 0) return false;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::uint16_t pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

ThrowawaySshd::~ThrowawaySshd() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

bool ThrowawaySshd::start(std::string& error) {
  const std::string sshd = find_sshd();
  if (sshd.empty()) {
    error = "the demo needs OpenSSH's sshd (Debian: apt-get install openssh-server)";
    return false;
  }
  char templ[] = "/tmp/sshplex-demo-XXXXXX";
  if (::mkdtemp(templ) == nullptr) {
    error = "cannot create a temporary directory";
    return false;
  }
  dir_ = templ;
  const std::string host_key = dir_ + "/host_ed25519";
  identity_file_ = dir_ + "/id_ed25519";
  known_hosts_ = dir_ + "/known_hosts";
  for (const std::string& key : {host_key, identity_file_}) {
    if (!run_quietly({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sshplex-demo", "-f", key})) {
      error = "ssh-keygen failed (Debian: apt-get install openssh-client)";
      return false;
    }
  }
  std::ofstream(dir_ + "/authorized_keys") << read_text(identity_file_ + ".pub");
  const passwd* pw = ::getpwuid(::getuid());
  user_ = pw != nullptr ? pw->pw_name : "root";
  port_ = pick_free_port();
  std::ofstream config(dir_ + "/sshd_config");
  config << "Port " << port_ << "\nListenAddress 127.0.0.1\nHostKey " << host_key
         << "\nAuthorizedKeysFile " << dir_ << "/authorized_keys\nPidFile none\nStrictModes no\nUsePAM no\n"
         << "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
         << "AllowTcpForwarding yes\nLogLevel ERROR\n";
  config.close();
  ::mkdir("/run/sshd", 0755);  // privilege separation directory, needed when running as root
  std::ofstream(known_hosts_) << "[127.0.0.1]:" << port_ << " " << read_text(host_key + ".pub");
  pid_ = spawn({sshd, "-D", "-e", "-f", dir_ + "/sshd_config"}, dir_ + "/sshd.log");
  if (pid_ < 0) {
    error = "cannot start sshd";
    return false;
  }
  for (int i = 0; i < 100; ++i) {
    if (port_accepts(port_)) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error = "sshd exited at start: " + read_text(dir_ + "/sshd.log");
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  error = "sshd did not start listening on 127.0.0.1:" + std::to_string(port_);
  return false;
}

}  // namespace gateway::demo
