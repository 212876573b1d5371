#include "support_transport_sshd.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/net.hpp"

namespace transport_sshd {
namespace {

constexpr const char* kSshd = "/usr/sbin/sshd";

bool run(const std::string& cmd) {
  return std::system(cmd.c_str()) == 0;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace

std::string unavailable_reason() {
  if (::geteuid() != 0) return "sshd needs root to run (privilege separation); not root";
  if (::access(kSshd, X_OK) != 0) return std::string(kSshd) + " is not installed";
  if (::access("/usr/bin/ssh-keygen", X_OK) != 0) return "ssh-keygen is not installed";
  return {};
}

const HostKeys& host_keys() {
  static const HostKeys keys = [] {
    HostKeys k;
    char tmpl[] = "/tmp/sshplex-transport-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    k.dir = d ? d : "/tmp";
    if (d) {
      static std::string to_remove;
      to_remove = k.dir;
      std::atexit([] {
        std::error_code ec;
        std::filesystem::remove_all(to_remove, ec);
      });
    }
    auto gen = [&](const std::string& name, const std::string& args) {
      const std::string path = k.dir + "/" + name;
      run("ssh-keygen -q -N '' " + args + " -f " + path + " >/dev/null 2>&1");
      return path;
    };
    k.ed25519 = gen("host_ed25519", "-t ed25519");
    k.ecdsa256 = gen("host_ecdsa256", "-t ecdsa -b 256");
    k.ecdsa384 = gen("host_ecdsa384", "-t ecdsa -b 384");
    k.ecdsa521 = gen("host_ecdsa521", "-t ecdsa -b 521");
    k.rsa = gen("host_rsa", "-t rsa -b 2048");
    k.user_key = gen("user_ed25519", "-t ed25519");
    k.authorized_keys = k.dir + "/authorized_keys";
    run("cp " + k.user_key + ".pub " + k.authorized_keys);
    return k;
  }();
  return keys;
}

Sshd::Sshd(const std::vector<std::string>& host_key_files, const std::vector<std::string>& options) {
  // sshd's privilege separation needs its empty, root-owned chroot directory.
  ::mkdir("/run/sshd", 0755);
  const auto& keys = host_keys();
  static int counter = 0;
  const std::string base = keys.dir + "/sshd" + std::to_string(++counter);
  const std::string config = base + ".conf";
  log_path_ = base + ".log";
  {
    std::ofstream c(config);
    c << "ListenAddress 127.0.0.1\n"
      << "PidFile none\n"
      << "UsePAM no\n"
      << "StrictModes no\n"
      << "PasswordAuthentication no\n"
      << "KbdInteractiveAuthentication no\n"
      << "PubkeyAuthentication yes\n"
      << "AuthorizedKeysFile " << keys.authorized_keys << "\n"
      << "PermitRootLogin prohibit-password\n"
      << "LogLevel DEBUG1\n";
    for (const auto& h : host_key_files) c << "HostKey " << h << "\n";
  }
  for (int attempt = 0; attempt < 5 && port_ == 0; ++attempt) {
    const int port = free_port();
    if (port == 0) continue;
    std::vector<std::string> args = {kSshd, "-D", "-e", "-f", config, "-p", std::to_string(port)};
    for (const auto& o : options) {
      args.push_back("-o");
      args.push_back(o);
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
      // Die with the test process, even if it crashes before the destructor runs.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      const int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (log >= 0) {
        ::dup2(log, 1);
        ::dup2(log, 2);
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(kSshd, argv.data());
      ::_exit(127);
    }
    if (pid < 0) break;
    // Wait until it listens (or died, e.g. the port was taken meanwhile).
    for (int i = 0; i < 100; ++i) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) break;
      const int fd = testsupport::connect_endpoint(testsupport::Endpoint::tcp(port));
      if (fd >= 0) {
        ::close(fd);
        pid_ = pid;
        port_ = port;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (port_ == 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }
}

Sshd::~Sshd() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::string Sshd::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Pump::Pump(int port) : fd_(testsupport::connect_endpoint(testsupport::Endpoint::tcp(port))) {}

Pump::~Pump() {
  if (fd_ >= 0) ::close(fd_);
}

bool Pump::step(ssh::transport::Transport& t, std::chrono::milliseconds wait) {
  if (fd_ < 0) return false;
  while (t.has_transmit()) {
    const ssh::Bytes out = t.take_transmit();
    std::size_t off = 0;
    while (off < out.size()) {
      const ssize_t n = ::send(fd_, out.data() + off, out.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
  }
  pollfd p{fd_, POLLIN, 0};
  const int r = ::poll(&p, 1, static_cast<int>(wait.count()));
  if (r > 0) {
    std::uint8_t buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    t.handle_bytes(ssh::ByteView(buf, static_cast<std::size_t>(n)));
  }
  t.handle_timeout(ssh::transport::Clock::now());
  return true;
}

}  // namespace transport_sshd
