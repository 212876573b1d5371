#include "support/bulk_echo.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

namespace testsupport {
namespace {

constexpr std::size_t kEchoMaxPending = 1 << 20;
constexpr std::size_t kSourceChunk = 256 * 1024;

}  // namespace

std::uint64_t PatternStream::next_word() {
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return state_ * 2685821657736338717ULL;
}

void PatternStream::fill(std::uint8_t* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (left_ == 0) {
      word_ = next_word();
      left_ = 8;
    }
    p[i] = static_cast<std::uint8_t>(word_ & 0xff);
    word_ >>= 8;
    --left_;
  }
}

bool PatternStream::matches(const std::uint8_t* p, std::size_t n) {
  std::vector<std::uint8_t> expect(n);
  fill(expect.data(), n);
  return std::memcmp(expect.data(), p, n) == 0;
}

EpollServer::~EpollServer() {
  stop();
}

bool EpollServer::start(const std::string& ipv4_address) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  if (::inet_pton(AF_INET, ipv4_address.c_str(), &sa.sin_addr) != 1) {
    error_ = "bad IPv4 address " + ipv4_address;
    return false;
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t len = sizeof sa;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(listen_fd_, 4096) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    error_ = "bind/listen on " + ipv4_address + ": " + std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    return false;
  }
  port_ = ntohs(sa.sin_port);
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    error_ = std::string("epoll/eventfd: ") + std::strerror(errno);
    stop();
    return false;
  }
  // The listener and the wake fd are told apart from connections by a null / self data pointer.
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.ptr = this;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread([this] { loop(); });
  return true;
}

void EpollServer::stop() {
  if (thread_.joinable()) {
    std::uint64_t one = 1;
    ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
    (void)ignored;
    thread_.join();
  }
  for (int* fd : {&listen_fd_, &epoll_fd_, &wake_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void EpollServer::close_conn(Conn* c) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->fd, nullptr);
  ::close(c->fd);
  open_.fetch_sub(1);
}

void EpollServer::loop() {
  std::unordered_map<Conn*, std::unique_ptr<Conn>> conns;
  std::vector<epoll_event> events(1024);
  bool running = true;
  while (running) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 1000);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      void* tag = events[static_cast<std::size_t>(i)].data.ptr;
      const std::uint32_t got = events[static_cast<std::size_t>(i)].events;
      if (tag == this) {
        running = false;
        break;
      }
      if (tag == nullptr) {
        for (;;) {
          const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
          if (fd < 0) break;
          auto conn = std::make_unique<Conn>();
          conn->fd = fd;
          on_accept(*conn);
          conn->events = interest(*conn);
          epoll_event ev{};
          ev.events = conn->events;
          ev.data.ptr = conn.get();
          ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
          accepted_.fetch_add(1);
          const std::size_t now_open = open_.fetch_add(1) + 1;
          if (now_open > peak_open_.load()) peak_open_.store(now_open);
          conns.emplace(conn.get(), std::move(conn));
        }
        continue;
      }
      auto it = conns.find(static_cast<Conn*>(tag));
      if (it == conns.end()) continue;
      Conn& c = *it->second;
      const bool readable = (got & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0;
      const bool writable = (got & (EPOLLOUT | EPOLLERR)) != 0;
      if (!on_ready(c, readable, writable)) {
        close_conn(&c);
        conns.erase(it);
        continue;
      }
      const std::uint32_t want = interest(c);
      if (want != c.events) {
        c.events = want;
        epoll_event ev{};
        ev.events = want;
        ev.data.ptr = &c;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
      }
    }
  }
  for (auto& [ptr, conn] : conns) close_conn(conn.get());
}

void BulkEchoServer::on_accept(Conn&) {}

std::uint32_t BulkEchoServer::interest(const Conn& c) const {
  std::uint32_t ev = 0;
  if (!c.peer_eof && c.pending.size() - c.pending_off < kEchoMaxPending) ev |= EPOLLIN;
  if (c.pending_off < c.pending.size()) ev |= EPOLLOUT;
  return ev;
}

bool BulkEchoServer::on_ready(Conn& c, bool readable, bool writable) {
  if (readable && !c.peer_eof) {
    char buf[64 * 1024];
    const ssize_t n = ::read(c.fd, buf, sizeof buf);
    if (n > 0) {
      c.pending.append(buf, static_cast<std::size_t>(n));
      writable = true;  // try to echo at once
    } else if (n == 0) {
      c.peer_eof = true;
    } else if (errno != EAGAIN && errno != EINTR) {
      return false;
    }
  }
  if (writable && c.pending_off < c.pending.size()) {
    const ssize_t n = ::send(c.fd, c.pending.data() + c.pending_off, c.pending.size() - c.pending_off, MSG_NOSIGNAL);
    if (n > 0) {
      c.pending_off += static_cast<std::size_t>(n);
      bytes_sent_.fetch_add(static_cast<std::uint64_t>(n));
      if (c.pending_off == c.pending.size()) {
        c.pending.clear();
        c.pending_off = 0;
      }
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return false;
    }
  }
  if (c.peer_eof && c.pending.empty()) {
    ::shutdown(c.fd, SHUT_WR);
    return false;
  }
  return true;
}

void SourceServer::on_accept(Conn& c) {
  c.left = bytes_;
  c.pattern = PatternStream(seed_);
}

std::uint32_t SourceServer::interest(const Conn& c) const {
  std::uint32_t ev = EPOLLIN;  // drain (and notice the close of) whatever the client sends
  if (c.left > 0 || c.pending_off < c.pending.size()) ev |= EPOLLOUT;
  return ev;
}

bool SourceServer::on_ready(Conn& c, bool readable, bool writable) {
  if (readable) {
    char buf[16 * 1024];
    const ssize_t n = ::read(c.fd, buf, sizeof buf);
    if (n == 0) return false;
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
  }
  if (!writable) return true;
  if (c.pending_off == c.pending.size() && c.left > 0) {
    const std::size_t chunk = c.left < kSourceChunk ? static_cast<std::size_t>(c.left) : kSourceChunk;
    c.pending.resize(chunk);
    c.pattern.fill(reinterpret_cast<std::uint8_t*>(c.pending.data()), chunk);
    c.pending_off = 0;
    c.left -= chunk;
  }
  if (c.pending_off < c.pending.size()) {
    const ssize_t n = ::send(c.fd, c.pending.data() + c.pending_off, c.pending.size() - c.pending_off, MSG_NOSIGNAL);
    if (n > 0) {
      c.pending_off += static_cast<std::size_t>(n);
      bytes_sent_.fetch_add(static_cast<std::uint64_t>(n));
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return false;
    }
  }
  if (c.left == 0 && c.pending_off == c.pending.size()) {
    ::shutdown(c.fd, SHUT_WR);
    return false;
  }
  return true;
}

}  // namespace testsupport
