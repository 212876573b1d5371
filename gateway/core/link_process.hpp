#pragma once
// A Link through a local command (ProxyCommand), as ssh runs it: `$SHELL -c "exec COMMAND"`
// (/bin/sh when SHELL is unset or empty), the command's stdin and stdout carrying the connection
// and its stderr left as ours. With ProxyUseFdpass the command instead passes back a connected
// socket over its stdout (one SCM_RIGHTS message, as OpenSSH's mm_send_fd sends it) and that
// socket carries the connection.
//
// libuv spawns and reaps the command (uv_spawn): when the link closes or fails while the command
// still runs it gets SIGHUP, as ssh's ssh_kill_proxy_command sends, and SIGKILL if it is still there
// after a grace period; its handle outlives the link until it is reaped, so no zombie is left and
// the loop does not end before it. ConnectTimeout covers the start and the server's version banner.
#include <uv.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/core/link.hpp"
#include "gateway/core/link_writes.hpp"

namespace gateway {

struct ProcessLinkOptions {
  std::string command;                           // ProxyCommand with its tokens expanded
  bool fdpass = false;                           // ProxyUseFdpass
  std::chrono::milliseconds connect_timeout{0};  // 0: none
};

// The argv ssh runs a ProxyCommand with: {shell, "-c", "exec COMMAND"}; `shell_env` is $SHELL
// (null or empty: /bin/sh).
std::vector<std::string> proxy_command_argv(const std::string& command, const char* shell_env);

// How the command ended, for messages: "exited with status N" / "killed by signal N".
std::string proxy_exit_text(std::int64_t exit_status, int term_signal);

class ProcessLink final : public Link {
 public:
  ProcessLink(uv_loop_t* loop, ProcessLinkOptions options, LinkObserver& observer);
  ~ProcessLink() override;
  ProcessLink(const ProcessLink&) = delete;
  ProcessLink& operator=(const ProcessLink&) = delete;

  void start() override;
  bool write(ssh::Bytes bytes, std::string& error) override;
  std::size_t queued() const override { return writes_.queued(); }
  void pause_reading() override;
  void resume_reading() override;
  void established() override;
  void close(ssh::ByteView farewell) override;

 private:
  struct Child;
  void spawn();
  void on_child_exit();
  void on_fdpass_readable(int status);
  void connected();
  bool start_reading();
  void on_read(ssize_t nread, const uv_buf_t* buf);
  void on_write_done(std::size_t bytes, int status);
  // The command's output ended: fails once its exit status is known (or after a short wait).
  void on_output_ended(std::string what);
  void on_timeout();
  void fail(const std::string& why);
  // `what`, and how the command ended when it did.
  std::string with_exit(const std::string& what) const;
  void close_streams();
  void release_child();
  uv_stream_t* write_stream() const;

  uv_loop_t* loop_;
  ProcessLinkOptions options_;
  LinkObserver& observer_;
  Child* child_ = nullptr;               // owns itself once released (until reaped)
  uv_pipe_t* read_pipe_ = nullptr;       // the command's stdout, or the passed socket
  uv_pipe_t* write_pipe_ = nullptr;      // the command's stdin (null with fdpass: read_pipe_ writes)
  uv_poll_t* fdpass_poll_ = nullptr;     // waits for the passed socket
  int fdpass_socket_ = -1;               // our end of the command's stdin/stdout socketpair
  uv_timer_t* connect_timer_ = nullptr;  // ConnectTimeout
  uv_timer_t* soon_timer_ = nullptr;     // reports start-up outcomes on a later turn; waits for the exit status
  std::string spawn_error_;
  std::string ended_;  // the output ended: what to report once the exit status is known
  LinkWrites writes_{this, [](void* self, std::size_t bytes, int status) {
                       static_cast<ProcessLink*>(self)->on_write_done(bytes, status);
                     }};
  bool connected_ = false;
  bool established_ = false;
  bool paused_ = false;
  bool finished_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gateway
