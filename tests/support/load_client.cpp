#include "support/load_client.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <sstream>

#include "support/bulk_echo.hpp"
#include "support/files.hpp"
#include "support/process.hpp"

namespace testsupport {
namespace {

using Clock = std::chrono::steady_clock;

int ms_until(Clock::time_point deadline, int cap) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > cap ? cap : static_cast<int>(left);
}

std::chrono::milliseconds since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t);
}

int start_connect(const Endpoint& ep, bool nonblocking) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) return -1;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(ep.port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

// SOCKS5 CONNECT request for an IPv4 address (RFC 1928 §4).
std::array<std::uint8_t, 10> socks5_request(const std::string& ipv4, int port) {
  std::array<std::uint8_t, 10> req{5, 1, 0, 1, 0, 0, 0, 0, 0, 0};
  in_addr a{};
  ::inet_pton(AF_INET, ipv4.c_str(), &a);
  std::memcpy(req.data() + 4, &a, 4);
  req[8] = static_cast<std::uint8_t>((port >> 8) & 0xff);
  req[9] = static_cast<std::uint8_t>(port & 0xff);
  return req;
}

// Length of a SOCKS5 reply once its first 5 bytes are known (RFC 1928 §6); 0 for a bad ATYP.
std::size_t socks5_reply_length(const std::uint8_t* head) {
  switch (head[3]) {
    case 1: return 10;
    case 4: return 22;
    case 3: return 7u + head[4];
    default: return 0;
  }
}

enum class State { queued, connecting, greeting, request, open, echoing, done };

struct LoadConn {
  int fd = -1;
  State state = State::queued;
  std::string payload;
  std::size_t sent = 0;
  std::size_t received = 0;
  std::array<std::uint8_t, 300> head{};
  std::size_t head_have = 0;
};

class LoadRun {
 public:
  explicit LoadRun(const SocksLoadOptions& o) : o_(o), conns_(o.connections) {}

  SocksLoadResult run() {
    start_ = Clock::now();
    deadline_ = start_ + o_.deadline;
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) {
      r_.failed = o_.connections;
      r_.errors["epoll_create1"] = o_.connections;
      return r_;
    }
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      PatternStream p(o_.seed * 0x9e3779b97f4a7c15ULL + i + 1);
      std::size_t span = o_.max_payload > o_.min_payload ? o_.max_payload - o_.min_payload + 1 : 1;
      std::uint8_t sz[8];
      p.fill(sz, sizeof sz);
      std::uint64_t v = 0;
      std::memcpy(&v, sz, sizeof v);
      conns_[i].payload.resize(o_.min_payload + static_cast<std::size_t>(v % span));
      p.fill(reinterpret_cast<std::uint8_t*>(conns_[i].payload.data()), conns_[i].payload.size());
      queue_.push_back(i);
    }
    std::vector<epoll_event> events(1024);
    while (finished_ < conns_.size()) {
      launch_more();
      maybe_release();
      if (Clock::now() >= deadline_) {
        r_.deadline_hit = true;
        break;
      }
      const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), ms_until(deadline_, 200));
      if (n < 0 && errno != EINTR) break;
      for (int k = 0; k < n; ++k) {
        const epoll_event& e = events[static_cast<std::size_t>(k)];
        step(static_cast<std::size_t>(e.data.u64), e.events);
      }
    }
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      if (conns_[i].state != State::done) fail(i, std::string("deadline in state ") + state_name(conns_[i].state));
    }
    if (open_time_.count() == 0) open_time_ = since(start_);
    r_.open_time = open_time_;
    r_.total_time = since(start_);
    ::close(epoll_);
    return r_;
  }

 private:
  static const char* state_name(State s) {
    switch (s) {
      case State::queued: return "queued";
      case State::connecting: return "connecting";
      case State::greeting: return "greeting";
      case State::request: return "request";
      case State::open: return "open";
      case State::echoing: return "echoing";
      case State::done: return "done";
    }
    return "?";
  }

  void watch(std::size_t i, std::uint32_t ev, int op = EPOLL_CTL_MOD) {
    epoll_event e{};
    e.events = ev;
    e.data.u64 = i;
    ::epoll_ctl(epoll_, op, conns_[i].fd, &e);
  }

  void launch_more() {
    while (!queue_.empty() && in_flight_ < o_.max_in_flight) {
      const std::size_t i = queue_.front();
      queue_.pop_front();
      LoadConn& c = conns_[i];
      c.fd = start_connect(Endpoint::tcp(o_.proxy_port), true);
      if (c.fd < 0) {
        fail(i, std::string("connect: ") + std::strerror(errno));
        continue;
      }
      c.state = State::connecting;
      ++in_flight_;
      watch(i, EPOLLOUT, EPOLL_CTL_ADD);
    }
  }

  // Once every handshake has ended, the held channels all start echoing at once.
  void maybe_release() {
    if (released_ || !queue_.empty() || in_flight_ > 0) return;
    released_ = true;
    open_time_ = since(start_);
    r_.peak_open = std::max(r_.peak_open, open_now_);
    if (!o_.hold_until_all_open) return;
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      if (conns_[i].state == State::open) begin_echo(i);
    }
  }

  void begin_echo(std::size_t i) {
    conns_[i].state = State::echoing;
    watch(i, EPOLLIN | EPOLLOUT);
  }

  void finish(std::size_t i) {
    LoadConn& c = conns_[i];
    if (c.state == State::connecting || c.state == State::greeting || c.state == State::request) --in_flight_;
    if (c.state == State::open || c.state == State::echoing) --open_now_;
    if (c.fd >= 0) {
      ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
      c.fd = -1;
    }
    c.state = State::done;
    c.payload.clear();
    c.payload.shrink_to_fit();
    ++finished_;
  }

  void fail(std::size_t i, const std::string& why) {
    ++r_.failed;
    ++r_.errors[why];
    finish(i);
  }

  bool send_all(int fd, const void* p, std::size_t n) {
    return ::send(fd, p, n, MSG_NOSIGNAL) == static_cast<ssize_t>(n);
  }

  // Reads handshake bytes until `need` are present; false on error (already failed).
  bool read_head(std::size_t i, std::size_t need, bool& complete) {
    LoadConn& c = conns_[i];
    complete = false;
    const ssize_t n = ::read(c.fd, c.head.data() + c.head_have, need - c.head_have);
    if (n == 0) {
      fail(i, std::string("closed by proxy during ") + state_name(c.state));
      return false;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return true;
      fail(i, std::string("read during ") + state_name(c.state) + ": " + std::strerror(errno));
      return false;
    }
    c.head_have += static_cast<std::size_t>(n);
    complete = c.head_have == need;
    return true;
  }

  void step(std::size_t i, std::uint32_t ev) {
    LoadConn& c = conns_[i];
    switch (c.state) {
      case State::connecting: {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) return fail(i, std::string("connect to proxy: ") + std::strerror(err));
        static const std::uint8_t hello[] = {5, 1, 0};
        if (!send_all(c.fd, hello, sizeof hello)) return fail(i, "greeting send failed");
        c.state = State::greeting;
        c.head_have = 0;
        watch(i, EPOLLIN);
        return;
      }
      case State::greeting: {
        bool complete = false;
        if (!read_head(i, 2, complete) || !complete) return;
        if (c.head[0] != 5 || c.head[1] != 0) return fail(i, "proxy refused the no-auth method");
        const auto req = socks5_request(o_.target_ipv4, o_.target_port);
        if (!send_all(c.fd, req.data(), req.size())) return fail(i, "request send failed");
        c.state = State::request;
        c.head_have = 0;
        return;
      }
      case State::request: {
        bool complete = false;
        std::size_t need = c.head_have < 5 ? 5 : socks5_reply_length(c.head.data());
        if (need == 0) return fail(i, "bad SOCKS reply address type");
        if (!read_head(i, need, complete) || !complete) return;
        if (need == 5) {
          need = socks5_reply_length(c.head.data());
          if (need == 0) return fail(i, "bad SOCKS reply address type");
          if (c.head_have < need) return;  // the rest comes with the next readiness
        }
        if (c.head[1] != 0) return fail(i, "SOCKS reply code " + std::to_string(c.head[1]));
        --in_flight_;
        c.state = State::open;
        ++r_.opened;
        ++open_now_;
        r_.peak_open = std::max(r_.peak_open, open_now_);
        if (o_.hold_until_all_open) {
          watch(i, EPOLLRDHUP);  // only notice a close while held
        } else {
          begin_echo(i);
        }
        return;
      }
      case State::open:
        if ((ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) return fail(i, "closed while held open");
        return;
      case State::echoing: {
        if ((ev & EPOLLOUT) != 0 && c.sent < c.payload.size()) {
          const ssize_t n = ::send(c.fd, c.payload.data() + c.sent, c.payload.size() - c.sent, MSG_NOSIGNAL);
          if (n > 0) {
            c.sent += static_cast<std::size_t>(n);
            if (c.sent == c.payload.size()) watch(i, EPOLLIN);
          } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return fail(i, std::string("payload send: ") + std::strerror(errno));
          }
        }
        if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
          char buf[16 * 1024];
          const ssize_t n = ::read(c.fd, buf, sizeof buf);
          if (n == 0) return fail(i, "closed before the whole echo arrived");
          if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            return fail(i, std::string("echo read: ") + std::strerror(errno));
          }
          const auto got = static_cast<std::size_t>(n);
          if (c.received + got > c.payload.size() ||
              std::memcmp(buf, c.payload.data() + c.received, got) != 0) {
            ++r_.mismatched;
            ++r_.errors["echo differs from payload"];
            return finish(i);
          }
          c.received += got;
          if (c.received == c.payload.size()) {
            ++r_.ok;
            finish(i);
          }
        }
        return;
      }
      case State::queued:
      case State::done:
        return;
    }
  }

  const SocksLoadOptions& o_;
  std::vector<LoadConn> conns_;
  std::deque<std::size_t> queue_;
  std::size_t in_flight_ = 0;
  std::size_t open_now_ = 0;
  std::size_t finished_ = 0;
  bool released_ = false;
  int epoll_ = -1;
  Clock::time_point start_;
  Clock::time_point deadline_;
  std::chrono::milliseconds open_time_{0};
  SocksLoadResult r_;
};

bool connect_maybe_socks(const Endpoint& ep, int socks_target_port, int receive_buffer, int* out_fd,
                         std::string* error) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  // Set before connect so the window the kernel advertises stays small from the start.
  if (receive_buffer > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(ep.port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    *error = "connect to " + ep.describe() + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  if (socks_target_port != 0 &&
      !socks5_connect(fd, "127.0.0.1", socks_target_port, std::chrono::seconds(10), error)) {
    ::close(fd);
    return false;
  }
  *out_fd = fd;
  return true;
}

}  // namespace

std::string SocksLoadResult::summary() const {
  std::ostringstream s;
  s << "ok " << ok << ", failed " << failed << ", mismatched " << mismatched << ", opened " << opened
    << ", peak open " << peak_open << ", open phase " << open_time.count() << " ms, total " << total_time.count()
    << " ms" << (deadline_hit ? " (deadline hit)" : "");
  for (const auto& [why, n] : errors) s << "\n  " << n << " x " << why;
  return s.str();
}

SocksLoadResult run_socks_load(const SocksLoadOptions& options) {
  LoadRun run(options);
  return run.run();
}

bool socks5_connect(int fd, const std::string& ipv4, int port, std::chrono::milliseconds timeout,
                    std::string* error) {
  const auto deadline = Clock::now() + timeout;
  auto read_n = [&](std::uint8_t* p, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, ms_until(deadline, 1000)) <= 0) {
        if (Clock::now() >= deadline) return false;
        continue;
      }
      const ssize_t r = ::read(fd, p + got, n - got);
      if (r <= 0) return false;
      got += static_cast<std::size_t>(r);
    }
    return true;
  };
  static const std::uint8_t hello[] = {5, 1, 0};
  std::array<std::uint8_t, 300> buf{};
  if (::send(fd, hello, sizeof hello, MSG_NOSIGNAL) != 3 || !read_n(buf.data(), 2) || buf[1] != 0) {
    if (error != nullptr) *error = "SOCKS5 greeting failed";
    return false;
  }
  const auto req = socks5_request(ipv4, port);
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()) ||
      !read_n(buf.data(), 5)) {
    if (error != nullptr) *error = "SOCKS5 request got no reply";
    return false;
  }
  const std::size_t len = socks5_reply_length(buf.data());
  if (len == 0 || !read_n(buf.data() + 5, len - 5) || buf[1] != 0) {
    if (error != nullptr) *error = "SOCKS5 CONNECT refused (reply code " + std::to_string(buf[1]) + ")";
    return false;
  }
  return true;
}

SlowReader::~SlowReader() {
  stop();
}

bool SlowReader::start(const Options& options) {
  if (!connect_maybe_socks(options.endpoint, options.socks_target_port, options.receive_buffer, &fd_, &error_)) {
    return false;
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this, rate = options.bytes_per_second, seed = options.verify_seed] { run(rate, seed); });
  return true;
}

void SlowReader::stop() {
  if (thread_.joinable()) {
    std::uint64_t one = 1;
    ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
    (void)ignored;
    thread_.join();
  }
  for (int* fd : {&fd_, &wake_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void SlowReader::run(std::size_t bytes_per_second, std::uint64_t verify_seed) {
  // Reads in 20 ms ticks, each allowed rate/50 bytes.
  constexpr int kTickMs = 20;
  const std::size_t per_tick = std::max<std::size_t>(1, bytes_per_second / (1000 / kTickMs));
  PatternStream expect(verify_seed);
  std::vector<std::uint8_t> buf(per_tick);
  for (;;) {
    pollfd wake{wake_fd_, POLLIN, 0};
    if (::poll(&wake, 1, kTickMs) > 0) return;
    std::size_t budget = per_tick;
    while (budget > 0) {
      const ssize_t n = ::recv(fd_, buf.data(), budget, MSG_DONTWAIT);
      if (n == 0) {
        closed_.store(true);
        return;
      }
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        closed_.store(true);
        return;
      }
      const auto got = static_cast<std::size_t>(n);
      if (verify_seed != 0 && !expect.matches(buf.data(), got)) corrupt_.store(true);
      read_.fetch_add(got);
      budget -= got;
    }
  }
}

double DrainResult::mib_per_second() const {
  const double secs = static_cast<double>(elapsed.count()) / 1000.0;
  return secs > 0 ? static_cast<double>(bytes) / (1024.0 * 1024.0) / secs : 0.0;
}

DrainResult drain_source(const Endpoint& ep, int socks_target_port, std::uint64_t bytes, std::uint64_t seed,
                         std::chrono::milliseconds timeout) {
  DrainResult r;
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  int fd = -1;
  if (!connect_maybe_socks(ep, socks_target_port, 0, &fd, &r.error)) {
    r.intact = false;
    return r;
  }
  PatternStream expect(seed);
  std::vector<std::uint8_t> buf(256 * 1024);
  while (r.bytes < bytes) {
    pollfd p{fd, POLLIN, 0};
    const int pr = ::poll(&p, 1, ms_until(deadline, 1000));
    if (Clock::now() >= deadline) {
      r.error = "timed out after " + std::to_string(r.bytes) + " bytes";
      break;
    }
    if (pr <= 0) continue;
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), bytes - r.bytes));
    const ssize_t n = ::read(fd, buf.data(), want);
    if (n == 0) {
      r.error = "closed after " + std::to_string(r.bytes) + " bytes";
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      r.error = std::string("read: ") + std::strerror(errno);
      break;
    }
    if (!expect.matches(buf.data(), static_cast<std::size_t>(n))) r.intact = false;
    r.bytes += static_cast<std::uint64_t>(n);
  }
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  ::close(fd);
  if (r.bytes < bytes) r.intact = false;
  return r;
}

std::optional<std::size_t> rss_kib(pid_t pid) {
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  const std::size_t at = status.find("VmRSS:");
  if (at == std::string::npos) return std::nullopt;
  std::istringstream in(status.substr(at + 6));
  std::size_t kib = 0;
  in >> kib;
  if (!in) return std::nullopt;
  return kib;
}

std::optional<std::size_t> open_fd_count(pid_t pid) {
  DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (d == nullptr) return std::nullopt;
  std::size_t n = 0;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n;
}

pid_t find_descendant_running(const std::string& binary) {
  std::error_code ec;
  const auto want = std::filesystem::weakly_canonical(binary, ec).string();
  for (pid_t pid : descendants(::getpid())) {
    auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec).string();
    if (ec) continue;
    const std::string deleted = " (deleted)";
    if (exe.size() > deleted.size() && exe.compare(exe.size() - deleted.size(), deleted.size(), deleted) == 0) {
      exe.resize(exe.size() - deleted.size());
    }
    if (exe == want) return pid;
  }
  return -1;
}

std::size_t raise_fd_limit(std::size_t want) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  const auto target = static_cast<rlim_t>(want);
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < target) {
    rlimit raised{target, target};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) return want;  // privileged: both raised
  }
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= target) return static_cast<std::size_t>(rl.rlim_cur);
  rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? target : std::min(target, rl.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &rl);
  ::getrlimit(RLIMIT_NOFILE, &rl);
  return static_cast<std::size_t>(rl.rlim_cur);
}

}  // namespace testsupport
