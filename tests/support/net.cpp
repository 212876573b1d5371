#include "support/net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

namespace testsupport {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in loopback(int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sa;
}

bool fill_unix(sockaddr_un& sa, const std::string& path) {
  sa = {};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof(sa.sun_path)) return false;
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  return true;
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left < 0) return 0;
  return left > 1000 ? 1000 : static_cast<int>(left);
}

// Incremental SHA-256 over EVP (OpenSSL 3).
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
  void update(const std::uint8_t* p, std::size_t n) { EVP_DigestUpdate(ctx_.get(), p, n); }
  std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md.data(), &len);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
      out.push_back(digits[md[i] >> 4]);
      out.push_back(digits[md[i] & 0xf]);
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

// xorshift64*: fast deterministic filler so large transfers cost no RNG time.
class Filler {
 public:
  explicit Filler(std::uint64_t seed) : state_(seed | 1) {}
  void fill(std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (left_ == 0) {
        state_ ^= state_ >> 12;
        state_ ^= state_ << 25;
        state_ ^= state_ >> 27;
        word_ = state_ * 2685821657736338717ULL;
        left_ = 8;
      }
      p[i] = static_cast<std::uint8_t>(word_ & 0xff);
      word_ >>= 8;
      --left_;
    }
  }

 private:
  std::uint64_t state_;
  std::uint64_t word_ = 0;
  int left_ = 0;
};

}  // namespace

std::string Endpoint::describe() const {
  return is_unix() ? "unix:" + unix_path : "127.0.0.1:" + std::to_string(port);
}

int free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in sa = loopback(0);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    socklen_t len = sizeof sa;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0) port = ntohs(sa.sin_port);
  }
  ::close(fd);
  return port;
}

namespace {

int connect_blocking(const Endpoint& ep) {
  if (ep.is_unix()) {
    sockaddr_un sa{};
    if (!fill_unix(sa, ep.unix_path)) return -1;
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in sa = loopback(ep.port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int connect_endpoint(const Endpoint& ep, std::chrono::milliseconds receive_timeout) {
  const int fd = connect_blocking(ep);
  if (fd >= 0 && receive_timeout.count() > 0) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(receive_timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((receive_timeout.count() % 1000) * 1000);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  return fd;
}

bool recv_exact(int fd, std::uint8_t* out, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::recv(fd, out + got, n - got, 0);
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

bool wait_for_endpoint(const Endpoint& ep, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  do {
    int fd = connect_endpoint(ep);
    if (fd >= 0) {
      ::close(fd);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (Clock::now() < deadline);
  return false;
}

EchoServer::~EchoServer() {
  stop();
}

bool EchoServer::start_tcp() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa = loopback(0);
  socklen_t len = sizeof sa;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    ::close(fd);
    return false;
  }
  endpoint_ = Endpoint::tcp(ntohs(sa.sin_port));
  return launch(fd);
}

bool EchoServer::start_unix(const std::string& path) {
  sockaddr_un sa{};
  if (!fill_unix(sa, path)) return false;
  ::unlink(path.c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 64) != 0) {
    ::close(fd);
    return false;
  }
  ::chmod(path.c_str(), 0666);
  endpoint_ = Endpoint::unix_socket(path);
  return launch(fd);
}

bool EchoServer::launch(int listen_fd) {
  if (::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    ::close(listen_fd);
    return false;
  }
  set_nonblocking(listen_fd);
  listen_fd_ = listen_fd;
  thread_ = std::thread([this] { loop(); });
  return true;
}

void EchoServer::stop() {
  if (thread_.joinable()) {
    char b = 'x';
    ssize_t ignored = ::write(wake_pipe_[1], &b, 1);
    (void)ignored;
    thread_.join();
  }
  for (int& fd : {std::ref(listen_fd_), std::ref(wake_pipe_[0]), std::ref(wake_pipe_[1])}) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  if (endpoint_.is_unix()) ::unlink(endpoint_.unix_path.c_str());
}

void EchoServer::loop() {
  struct Conn {
    std::vector<std::uint8_t> pending;  // read but not yet echoed
    bool peer_eof = false;
  };
  std::map<int, Conn> conns;
  constexpr std::size_t kMaxPending = 1 << 20;  // stop reading a connection whose peer does not read
  std::vector<std::uint8_t> buf(64 * 1024);
  for (;;) {
    std::vector<pollfd> fds;
    fds.push_back({wake_pipe_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (auto& [fd, c] : conns) {
      short ev = 0;
      if (!c.peer_eof && c.pending.size() < kMaxPending) ev |= POLLIN;
      if (!c.pending.empty()) ev |= POLLOUT;
      fds.push_back({fd, ev, 0});
    }
    if (::poll(fds.data(), static_cast<nfds_t>(fds.size()), 1000) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) break;
    if ((fds[1].revents & POLLIN) != 0) {
      for (;;) {
        int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c < 0) break;
        conns.emplace(c, Conn{});
        accepted_.fetch_add(1);
      }
    }
    std::vector<int> dead;
    for (std::size_t i = 2; i < fds.size(); ++i) {
      int fd = fds[i].fd;
      Conn& c = conns[fd];
      bool close_it = false;
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !c.peer_eof) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n > 0) {
          c.pending.insert(c.pending.end(), buf.begin(), buf.begin() + n);
        } else if (n == 0) {
          c.peer_eof = true;
        } else if (errno != EAGAIN && errno != EINTR) {
          close_it = true;
        }
      }
      if (!close_it && !c.pending.empty()) {
        ssize_t n = ::send(fd, c.pending.data(), c.pending.size(), MSG_NOSIGNAL);
        if (n > 0) {
          c.pending.erase(c.pending.begin(), c.pending.begin() + n);
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
          close_it = true;
        }
      }
      if (c.peer_eof && c.pending.empty()) close_it = true;
      if (close_it) dead.push_back(fd);
    }
    for (int fd : dead) {
      ::shutdown(fd, SHUT_WR);
      ::close(fd);
      conns.erase(fd);
    }
  }
  for (auto& [fd, c] : conns) ::close(fd);
}

TransferResult echo_transfer(const Endpoint& ep, std::size_t bytes, std::uint64_t seed,
                             std::chrono::milliseconds timeout) {
  TransferResult r;
  auto deadline = Clock::now() + timeout;
  int fd = connect_endpoint(ep);
  if (fd < 0) {
    r.error = "connect to " + ep.describe() + " failed: " + std::strerror(errno);
    return r;
  }
  set_nonblocking(fd);
  Sha256 sent_hash;
  Sha256 recv_hash;
  Filler filler(seed);
  std::vector<std::uint8_t> out(32 * 1024);
  std::size_t out_len = 0;
  std::size_t out_off = 0;
  std::vector<std::uint8_t> in(64 * 1024);
  bool shut = false;
  while (r.received < bytes) {
    if (Clock::now() >= deadline) {
      r.error = "timed out after sending " + std::to_string(r.sent) + " and receiving " + std::to_string(r.received) +
                " of " + std::to_string(bytes) + " bytes";
      break;
    }
    if (out_off == out_len && r.sent < bytes) {
      out_len = std::min(out.size(), bytes - r.sent);
      filler.fill(out.data(), out_len);
      out_off = 0;
    }
    bool want_write = out_off < out_len;
    pollfd p{fd, static_cast<short>(POLLIN | (want_write ? POLLOUT : 0)), 0};
    if (::poll(&p, 1, remaining_ms(deadline)) < 0 && errno != EINTR) {
      r.error = std::string("poll: ") + std::strerror(errno);
      break;
    }
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      ssize_t n = ::read(fd, in.data(), in.size());
      if (n > 0) {
        recv_hash.update(in.data(), static_cast<std::size_t>(n));
        r.received += static_cast<std::size_t>(n);
      } else if (n == 0) {
        r.error = "connection closed after receiving " + std::to_string(r.received) + " of " + std::to_string(bytes) +
                  " bytes";
        break;
      } else if (errno != EAGAIN && errno != EINTR) {
        r.error = std::string("read: ") + std::strerror(errno);
        break;
      }
    }
    if (want_write && (p.revents & POLLOUT) != 0) {
      ssize_t n = ::send(fd, out.data() + out_off, out_len - out_off, MSG_NOSIGNAL);
      if (n > 0) {
        sent_hash.update(out.data() + out_off, static_cast<std::size_t>(n));
        out_off += static_cast<std::size_t>(n);
        r.sent += static_cast<std::size_t>(n);
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        r.error = std::string("write: ") + std::strerror(errno);
        break;
      }
    }
    if (!shut && r.sent == bytes && out_off == out_len) {
      ::shutdown(fd, SHUT_WR);  // half-close: the echo side may flush and finish
      shut = true;
    }
  }
  ::close(fd);
  r.sent_sha256 = sent_hash.hex();
  r.received_sha256 = recv_hash.hex();
  if (r.error.empty() && r.received > bytes) r.error = "received more bytes than sent";
  if (r.error.empty() && r.sent_sha256 != r.received_sha256) r.error = "SHA-256 mismatch";
  r.ok = r.error.empty();
  return r;
}

bool echo_ping(const Endpoint& ep, std::chrono::milliseconds timeout) {
  return echo_transfer(ep, 16, 0x5eed, timeout).ok;
}

}  // namespace testsupport
