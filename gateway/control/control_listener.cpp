#include "gateway/control/control_listener.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "gateway/util/log.hpp"
#include "ssh/crypto/random.hpp"

namespace gateway::control {
namespace {

bool make_address(const std::string& path, sockaddr_un& addr, std::string& error) {
  addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    error = "ControlPath too long (" + std::to_string(path.size()) + " bytes; a unix socket path is at most " +
            std::to_string(sizeof addr.sun_path - 1) + "): " + path;
    return false;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return true;
}

std::string random_suffix() {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::uint8_t bytes[16];
  ssh::crypto::random_bytes(bytes);
  std::string out;
  for (std::uint8_t b : bytes) out += kChars[b % (sizeof kChars - 1)];
  return out;
}

// "<path>.<16 random characters>"
constexpr std::size_t kTemporarySuffix = 17;

}  // namespace

bool check_control_path(const std::string& path, std::string& error) {
  constexpr std::size_t kMax = sizeof(sockaddr_un::sun_path) - 1 - kTemporarySuffix;
  if (path.empty()) {
    error = "ControlPath is empty";
    return false;
  }
  if (path.size() > kMax) {
    error = "ControlPath too long: " + std::to_string(path.size()) + " bytes, at most " + std::to_string(kMax) +
            " (a unix socket path holds " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) + ", less " +
            std::to_string(kTemporarySuffix) + " for the temporary name it is created under): " + path;
    return false;
  }
  return true;
}

bool socket_is_live(const std::string& path) {
  sockaddr_un addr{};
  std::string error;
  if (!make_address(path, addr, error)) return false;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return live;
}

ControlListener::ControlListener(uv_loop_t* loop, OnPeer on_peer) : loop_(loop), on_peer_(std::move(on_peer)) {}

ControlListener::~ControlListener() { stop(); }

bool ControlListener::listen(const std::string& path, std::string& error) {
  sockaddr_un addr{};
  const std::string temporary = path + "." + random_suffix();
  if (!check_control_path(path, error) || !make_address(temporary, addr, error)) return false;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    error = std::string("control socket: ") + std::strerror(errno);
    return false;
  }
  // 0600 from the start: nobody else may connect even before the link is in place.
  const mode_t old_mask = ::umask(0177);
  const int bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int bind_errno = errno;
  ::umask(old_mask);
  if (bound != 0 || ::listen(fd, 64) != 0) {
    error = "control socket " + temporary + ": " + std::strerror(bound != 0 ? bind_errno : errno);
    ::close(fd);
    ::unlink(temporary.c_str());
    return false;
  }
  int linked = ::link(temporary.c_str(), path.c_str());
  if (linked != 0 && errno == EEXIST && !socket_is_live(path)) {
    // Left behind by a master that is gone: replace it.
    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
      log::verbose("Removing the stale control socket %s", path.c_str());
      ::unlink(path.c_str());
      linked = ::link(temporary.c_str(), path.c_str());
    }
  }
  const int link_errno = errno;
  ::unlink(temporary.c_str());
  if (linked != 0) {
    error = link_errno == EEXIST ? "ControlSocket " + path + " already exists, disabling multiplexing"
                                 : "control socket " + path + ": " + std::strerror(link_errno);
    ::close(fd);
    return false;
  }
  fd_ = fd;
  path_ = path;
  struct stat st{};
  if (::lstat(path_.c_str(), &st) == 0) inode_ = st.st_ino;
  poll_ = new uv_poll_t;
  uv_poll_init(loop_, poll_, fd_);
  poll_->data = this;
  uv_poll_start(poll_, UV_READABLE, [](uv_poll_t* p, int, int) { static_cast<ControlListener*>(p->data)->on_readable(); });
  log::verbose("Control socket listening: %s", path_.c_str());
  return true;
}

void ControlListener::on_readable() {
  for (;;) {
    const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) log::error("control socket accept: %s", std::strerror(errno));
      return;
    }
    ucred peer{};
    socklen_t len = sizeof peer;
    if (::getsockopt(client, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0) {
      ::close(client);
      continue;
    }
    if (peer.uid != 0 && peer.uid != ::getuid()) {
      log::error("control socket: refusing a client of uid %u (only root and uid %u may use it)", peer.uid, ::getuid());
      ::close(client);
      continue;
    }
    on_peer_(client);
    if (fd_ < 0) return;  // stopped from inside the callback
  }
}

void ControlListener::stop() {
  if (fd_ < 0) return;
  // Only our own socket: another master may have linked its own there since.
  struct stat there{};
  if (::lstat(path_.c_str(), &there) == 0 && there.st_ino == inode_) ::unlink(path_.c_str());
  uv_poll_stop(poll_);
  uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  poll_ = nullptr;
  ::close(fd_);
  fd_ = -1;
}

}  // namespace gateway::control
