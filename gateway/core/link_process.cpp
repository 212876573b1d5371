#include "gateway/core/link_process.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "gateway/net/read_buffer.hpp"
#include "gateway/util/liveness.hpp"
#include "gateway/util/log.hpp"
#include "ssh/wire/buffer_pool.hpp"

namespace gateway {
namespace {

// After SIGHUP, how long a command may take to go before it gets SIGKILL. ssh sends SIGHUP only
// and leaves the rest to init; a gateway that reconnects for months must not collect proxies.
constexpr std::uint64_t kKillGraceMs = 2000;
// Once the command's output ended, how long to wait for its exit status to name it in the error.
constexpr std::uint64_t kExitStatusWaitMs = 250;

void close_timer(uv_timer_t* t) {
  uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void close_pipe(uv_pipe_t* p) {
  uv_close(reinterpret_cast<uv_handle_t*>(p), [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
}

}  // namespace

std::vector<std::string> proxy_command_argv(const std::string& command, const char* shell_env) {
  // sshconnect.c: $SHELL, or _PATH_BSHELL when it is unset or empty; "exec" so that the command
  // replaces the shell and the signal sent on close reaches it.
  std::string shell = shell_env != nullptr && *shell_env != '\0' ? shell_env : "/bin/sh";
  return {std::move(shell), "-c", "exec " + command};
}

std::string proxy_exit_text(std::int64_t exit_status, int term_signal) {
  if (term_signal != 0) return "killed by signal " + std::to_string(term_signal);
  return "exited with status " + std::to_string(exit_status);
}

// The spawned command. It belongs to the link until the link lets go (release), then to itself:
// it ends the command if it still runs and frees itself once libuv has reaped it.
struct ProcessLink::Child {
  uv_process_t process{};
  uv_timer_t kill_timer{};
  ProcessLink* link = nullptr;  // null once released
  bool spawned = false;
  bool exited = false;
  std::int64_t exit_status = 0;
  int term_signal = 0;
  int open_handles = 0;  // while closing

  explicit Child(uv_loop_t* loop) {
    uv_timer_init(loop, &kill_timer);
    kill_timer.data = this;
  }

  void on_exit(std::int64_t status, int signal) {
    exited = true;
    exit_status = status;
    term_signal = signal;
    uv_timer_stop(&kill_timer);
    if (link != nullptr) {
      link->on_child_exit();
    } else {
      close_handles();
    }
  }

  void release() {
    link = nullptr;
    if (!spawned || exited) {
      close_handles();
      return;
    }
    // As ssh's ssh_kill_proxy_command; the exit callback reaps it and closes the handles.
    uv_process_kill(&process, SIGHUP);
    uv_timer_start(
        &kill_timer,
        [](uv_timer_t* t) {
          auto* self = static_cast<Child*>(t->data);
          if (self->exited) return;
          log::verbose("ProxyCommand (pid %d) still running %llu ms after SIGHUP; sending SIGKILL", self->process.pid,
                       static_cast<unsigned long long>(kKillGraceMs));
          uv_process_kill(&self->process, SIGKILL);
        },
        kKillGraceMs, 0);
  }

  // Both handles exist: uv_spawn initialises the process handle whether or not it starts anything.
  void close_handles() {
    open_handles = 2;
    auto done = [](uv_handle_t* h) {
      auto* self = static_cast<Child*>(h->data);
      if (--self->open_handles == 0) delete self;
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&kill_timer), done);
    uv_close(reinterpret_cast<uv_handle_t*>(&process), done);
  }
};

ProcessLink::ProcessLink(uv_loop_t* loop, ProcessLinkOptions options, LinkObserver& observer)
    : loop_(loop), options_(std::move(options)), observer_(observer) {
  connect_timer_ = new uv_timer_t;
  uv_timer_init(loop_, connect_timer_);
  connect_timer_->data = this;
  soon_timer_ = new uv_timer_t;
  uv_timer_init(loop_, soon_timer_);
  soon_timer_->data = this;
}

ProcessLink::~ProcessLink() {
  *alive_ = false;
  finished_ = true;
  close_streams();
  release_child();
  close_timer(connect_timer_);
  close_timer(soon_timer_);
}

void ProcessLink::start() {
  if (finished_ || child_ != nullptr) return;
  spawn();
  if (options_.connect_timeout.count() > 0) {
    uv_timer_start(
        connect_timer_, [](uv_timer_t* t) { static_cast<ProcessLink*>(t->data)->on_timeout(); },
        static_cast<std::uint64_t>(options_.connect_timeout.count()), 0);
  }
  // The outcome goes out on a later turn: the owner is still inside start().
  uv_timer_start(
      soon_timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<ProcessLink*>(t->data);
        if (self->finished_) return;
        if (!self->spawn_error_.empty()) {
          self->fail(self->spawn_error_);
        } else if (!self->options_.fdpass) {
          self->connected();
        } else {
          const int rc = uv_poll_start(self->fdpass_poll_, UV_READABLE, [](uv_poll_t* p, int status, int) {
            static_cast<ProcessLink*>(p->data)->on_fdpass_readable(status);
          });
          if (rc != 0) self->fail(std::string("ProxyCommand: poll failed: ") + uv_strerror(rc));
        }
      },
      0, 0);
}

void ProcessLink::spawn() {
  std::vector<std::string> argv = proxy_command_argv(options_.command, std::getenv("SHELL"));
  log::verbose("Executing proxy command: %s", argv[2].c_str());
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);

  uv_stdio_container_t stdio[3];
  int child_end = -1;
  if (options_.fdpass) {
    // One socket as the command's stdin and stdout, as ssh's ssh_proxy_fdpass_connect.
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
      spawn_error_ = std::string("ProxyCommand: socketpair: ") + std::strerror(errno);
      return;
    }
    fdpass_socket_ = sp[0];
    child_end = sp[1];
    stdio[0].flags = UV_INHERIT_FD;
    stdio[0].data.fd = child_end;
    stdio[1].flags = UV_INHERIT_FD;
    stdio[1].data.fd = child_end;
    fdpass_poll_ = new uv_poll_t;
    if (const int rc = uv_poll_init(loop_, fdpass_poll_, fdpass_socket_); rc != 0) {
      // Not initialised: nothing to uv_close.
      delete fdpass_poll_;
      fdpass_poll_ = nullptr;
      ::close(child_end);
      spawn_error_ = std::string("ProxyCommand: poll: ") + uv_strerror(rc);
      return;
    }
    fdpass_poll_->data = this;
  } else {
    // Two socketpairs made by libuv, one per direction (ssh uses two pipes).
    write_pipe_ = new uv_pipe_t;
    uv_pipe_init(loop_, write_pipe_, 0);
    write_pipe_->data = this;
    read_pipe_ = new uv_pipe_t;
    uv_pipe_init(loop_, read_pipe_, 0);
    read_pipe_->data = this;
    stdio[0].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_READABLE_PIPE);
    stdio[0].data.stream = reinterpret_cast<uv_stream_t*>(write_pipe_);
    stdio[1].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    stdio[1].data.stream = reinterpret_cast<uv_stream_t*>(read_pipe_);
  }
  // The command's messages reach the user as ssh's do.
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = STDERR_FILENO;

  uv_process_options_t po{};
  po.exit_cb = [](uv_process_t* p, std::int64_t status, int signal) {
    static_cast<Child*>(p->data)->on_exit(status, signal);
  };
  po.file = args[0];
  po.args = args.data();
  po.stdio_count = 3;
  po.stdio = stdio;
  child_ = new Child(loop_);
  const int rc = uv_spawn(loop_, &child_->process, &po);
  child_->process.data = child_;
  if (child_end >= 0) ::close(child_end);
  if (rc != 0) {
    spawn_error_ = "ProxyCommand: cannot run " + argv[0] + ": " + uv_strerror(rc);
    return;
  }
  child_->spawned = true;
  child_->link = this;
  log::debug("ProxyCommand started as pid %d", child_->process.pid);
}

void ProcessLink::on_child_exit() {
  log::debug("ProxyCommand (pid %d) %s", child_->process.pid,
             proxy_exit_text(child_->exit_status, child_->term_signal).c_str());
  // Its output ending is what ends the link (a child of the command may still hold it open, as
  // with ssh); the status only completes the message.
  if (!finished_ && !ended_.empty()) fail(with_exit(ended_));
}

void ProcessLink::on_fdpass_readable(int status) {
  if (finished_) return;
  static const std::string kNoConnection = "proxy dialer did not pass back a connection";
  if (status < 0) {
    fail(kNoConnection + ": " + uv_strerror(status));
    return;
  }
  // mm_receive_fd: one byte of data carrying one descriptor.
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = 0;
  do {
    n = ::recvmsg(fdpass_socket_, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  const int recv_errno = errno;
  int fd = -1;
  if (n > 0) {
    // Only one descriptor fits; the kernel drops (closes) any more and sets MSG_CTRUNC.
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int passed = -1;
        std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof passed);
        if (fd < 0) {
          fd = passed;
        } else {
          ::close(passed);
        }
      }
    }
  }
  uv_poll_stop(fdpass_poll_);
  if (fd < 0) {
    if (n < 0) {
      fail(kNoConnection + ": " + std::strerror(recv_errno));
    } else {
      on_output_ended(kNoConnection);
    }
    return;
  }
  // The socketpair has done its work (ssh closes it too); the command exits on its own.
  uv_close(reinterpret_cast<uv_handle_t*>(fdpass_poll_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  fdpass_poll_ = nullptr;
  ::close(fdpass_socket_);
  fdpass_socket_ = -1;
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);  // fails harmlessly on a non-TCP socket
  read_pipe_ = new uv_pipe_t;
  uv_pipe_init(loop_, read_pipe_, 0);
  read_pipe_->data = this;
  if (const int rc = uv_pipe_open(read_pipe_, fd); rc != 0) {
    ::close(fd);
    fail(std::string("ProxyCommand passed back an unusable descriptor: ") + uv_strerror(rc));
    return;
  }
  log::debug("ProxyCommand passed back a connection");
  connected();
}

void ProcessLink::connected() {
  connected_ = true;
  if (!paused_ && !start_reading()) return;
  observer_.on_link_connected();
}

uv_stream_t* ProcessLink::write_stream() const {
  return reinterpret_cast<uv_stream_t*>(write_pipe_ != nullptr ? write_pipe_ : read_pipe_);
}

bool ProcessLink::start_reading() {
  const int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(read_pipe_), net::shared_read_buffer,
                               [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
                                 static_cast<ProcessLink*>(stream->data)->on_read(nread, buf);
                               });
  if (rc != 0) {
    fail(std::string("read failed: ") + uv_strerror(rc));
    return false;
  }
  return true;
}

void ProcessLink::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (finished_ || nread == 0 || !ended_.empty()) return;
  if (nread < 0) {
    if (nread == UV_EOF || nread == UV_ECONNRESET) {
      // ssh's words for a connection that ends before / after the server's version.
      on_output_ended(established_ ? "Connection closed by remote host"
                                   : "kex_exchange_identification: Connection closed by remote host");
    } else {
      fail(std::string("read failed: ") + uv_strerror(static_cast<int>(nread)));
    }
    return;
  }
  observer_.on_link_data(
      ssh::ByteView(reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(nread)));
}

void ProcessLink::on_output_ended(std::string what) {
  if (finished_ || !ended_.empty()) return;
  ended_ = std::move(what);
  if (child_ == nullptr || !child_->spawned || child_->exited) {
    fail(with_exit(ended_));
    return;
  }
  // The exit status usually follows at once; name it if it does.
  uv_timer_start(
      soon_timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<ProcessLink*>(t->data);
        self->fail(self->with_exit(self->ended_));
      },
      kExitStatusWaitMs, 0);
}

std::string ProcessLink::with_exit(const std::string& what) const {
  if (child_ == nullptr || !child_->exited) return what;
  return what + " (ProxyCommand " + proxy_exit_text(child_->exit_status, child_->term_signal) + ")";
}

bool ProcessLink::write(ssh::Bytes bytes, std::string& error) {
  if (finished_ || !connected_) {
    error = "not connected";
    return false;
  }
  if (!ended_.empty()) {
    // The command is gone; its failure is being reported. Nothing can reach it any more.
    ssh::wire::release_buffer(std::move(bytes));
    return true;
  }
  return writes_.write(write_stream(), std::move(bytes), error);
}

void ProcessLink::on_write_done(std::size_t, int status) {
  if (finished_) return;
  if (status < 0) {
    // A command that went away: its output's end (or its exit) tells the story better.
    if (status == UV_EPIPE || status == UV_ECONNRESET) {
      on_output_ended(established_ ? "Connection closed by remote host"
                                   : "kex_exchange_identification: Connection closed by remote host");
    } else if (ended_.empty()) {
      fail(std::string("write failed: ") + uv_strerror(status));
    }
    return;
  }
  observer_.on_link_drained();
}

void ProcessLink::pause_reading() {
  if (paused_) return;
  paused_ = true;
  if (connected_ && read_pipe_ != nullptr) uv_read_stop(reinterpret_cast<uv_stream_t*>(read_pipe_));
}

void ProcessLink::resume_reading() {
  if (!paused_) return;
  paused_ = false;
  if (connected_ && read_pipe_ != nullptr && !finished_ && ended_.empty()) start_reading();
}

void ProcessLink::established() {
  established_ = true;
  uv_timer_stop(connect_timer_);
}

void ProcessLink::on_timeout() {
  if (finished_ || established_) return;
  // As with TCP, ConnectTimeout covers everything up to the server's version banner.
  fail(connected_ ? "Connection timed out during banner exchange"
                  : "proxy dialer did not pass back a connection within ConnectTimeout");
}

void ProcessLink::close(ssh::ByteView farewell) {
  if (finished_) return;
  finished_ = true;
  uv_timer_stop(connect_timer_);
  uv_timer_stop(soon_timer_);
  if (connected_ && ended_.empty() && !farewell.empty()) {
    // Best effort: whatever goes now goes out ahead of the close.
    uv_buf_t b = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(farewell.data())),
                             static_cast<unsigned>(farewell.size()));
    uv_try_write(write_stream(), &b, 1);
  }
  close_streams();
  release_child();
}

void ProcessLink::fail(const std::string& why) {
  if (finished_) return;
  finished_ = true;
  uv_timer_stop(connect_timer_);
  uv_timer_stop(soon_timer_);
  close_streams();
  release_child();
  observer_.on_link_failed(why);
}

void ProcessLink::close_streams() {
  // The command sees its stdin end before the signal that follows.
  if (write_pipe_ != nullptr) close_pipe(write_pipe_);
  if (read_pipe_ != nullptr) close_pipe(read_pipe_);
  write_pipe_ = nullptr;
  read_pipe_ = nullptr;
  if (fdpass_poll_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(fdpass_poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    fdpass_poll_ = nullptr;
  }
  if (fdpass_socket_ >= 0) {
    ::close(fdpass_socket_);
    fdpass_socket_ = -1;
  }
}

void ProcessLink::release_child() {
  if (child_ == nullptr) return;
  child_->release();
  child_ = nullptr;
}

}  // namespace gateway
