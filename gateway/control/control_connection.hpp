#pragma once
// One client of the control socket (stock ssh, scp, sftp, rsync, git, or sshplex -O): OpenSSH's
// mux protocol as mux.c speaks it. HELLO both ways first; then requests, each answered with its
// request id: a session (NEW_SESSION, with the passenger's three descriptors), a stdio forward
// (NEW_STDIO_FWD, two descriptors), forwards opened and closed on the live pool, ALIVE_CHECK,
// TERMINATE, STOP_LISTENING, EXT_INFO ("connection", "channels", and sshplex's status), PROXY (the
// client then speaks the connection protocol itself: MuxProxy). One session per connection, as
// OpenSSH; the connection closes once it has ended. Descriptors arrive with a
// one-byte message each right after their request: bytes and descriptors are read together
// (recvmsg), and the byte of each is skipped as its descriptor is taken.
#include <uv.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/control/control_host.hpp"
#include "gateway/control/mux_proxy.hpp"
#include "gateway/control/mux_session.hpp"
#include "gateway/session/stdio_forward.hpp"
#include "ssh/mux/mux_messages.hpp"
#include "ssh/wire/frame_decoder.hpp"

namespace gateway::control {

class ControlConnection final : private MuxSession::Replies {
 public:
  struct Settings {
    bool ask = false;  // ControlMaster ask / autoask: confirm through SSH_ASKPASS
    std::function<void()> stop_listening;
    // +1 when a session or stdio forward starts on a connection, -1 when that connection closes.
    std::function<void(int)> passengers;
  };
  // Runs once the connection is closed and its handle released; the owner then destroys it.
  using OnClosed = std::function<void(ControlConnection*)>;

  ControlConnection(ControlHost& host, int fd, Settings settings, OnClosed on_closed);
  ~ControlConnection();
  ControlConnection(const ControlConnection&) = delete;
  ControlConnection& operator=(const ControlConnection&) = delete;

  // The master stops: the session (if any) and the connection close now.
  void close();
  // SIGWINCH came (a passenger relays its own to the master's pid).
  void window_changed();

 private:
  void on_poll(int status, int events);
  void read_some();
  void process();
  void handle(const ssh::mux::ClientMessage& message);
  void handle_forward(const ssh::mux::Forward& request);
  void handle_ext_info(const ssh::mux::ExtInfo& request);
  void handle_proxy(std::uint32_t rid);
  void await_descriptors(std::size_t count, std::function<void(std::vector<int>)> then);
  bool allowed(const std::string& question);
  void send(ssh::Bytes frame);
  void write_some();
  void update_poll();
  // Closes once everything queued has been written.
  void close_when_flushed();

  // MuxSession::Replies
  void session_opened(std::uint32_t session_id) override;
  void session_refused(const std::string& reason) override;
  void tty_failed(std::uint32_t session_id) override;
  void session_ended(std::uint32_t session_id, std::optional<std::uint32_t> status) override;

  ControlHost& host_;
  int fd_;
  Settings settings_;
  OnClosed on_closed_;
  uv_poll_t* poll_ = nullptr;
  ssh::wire::FrameDecoder decoder_{"control socket client", ssh::mux::kMaxMessage};
  std::deque<int> received_fds_;
  struct Awaiting {
    std::size_t count;
    std::vector<int> fds;
    std::function<void(std::vector<int>)> then;
  };
  std::optional<Awaiting> awaiting_;
  ssh::Bytes out_;
  bool hello_seen_ = false;
  bool has_child_ = false;  // a session or stdio forward was made on this connection
  std::uint32_t child_rid_ = 0;
  std::unique_ptr<MuxSession> session_;
  std::unique_ptr<session::StdioForward> stdio_;
  std::unique_ptr<MuxProxy> proxy_;  // after PROXY: every frame is a connection-protocol message
  bool closing_ = false;
  bool close_when_flushed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// A mux forward request as a forward spec (OpenSSH's client writes "" for no bind address, "*"
// for every interface, and a socket path with the port -2); nullopt with `error` when it makes no
// sense.
std::optional<config::ForwardSpec> forward_spec_of(const ssh::mux::Forward& request, std::string& error);
// And back, for sshplex's own -O forward / cancel.
ssh::mux::Forward mux_forward_of(const config::ForwardSpec& spec, bool open, std::uint32_t rid);

}  // namespace gateway::control
