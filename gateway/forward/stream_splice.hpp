#pragma once
// Joins one local stream (TCP or unix socket) to one SSH channel, with backpressure both ways:
// - local -> channel: at most one read chunk is held; reading stops while the channel cannot take
//   more (peer window or the connection's output queue) and resumes on on_writable().
// - channel -> local: window credit is returned (consume) only after the bytes were written to
//   the local socket, so a slow local reader closes the SSH window instead of growing memory.
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/core/channel_handler.hpp"
#include "gateway/core/ssh_session.hpp"

namespace gateway {

class StreamSplice final : public ChannelHandler {
 public:
  using OnFinished = std::function<void(StreamSplice*)>;

  // Takes ownership of `stream` (malloc'ed, initialised and accepted; freed with free()). `label` names it in log lines.
  StreamSplice(SshSession& session, uv_stream_t* stream, std::string label, OnFinished on_finished);
  ~StreamSplice() override;
  StreamSplice(const StreamSplice&) = delete;
  StreamSplice& operator=(const StreamSplice&) = delete;

  // Associates the channel opened for this splice; data flows once the open is confirmed.
  void attach(ssh::ChannelId id) { channel_ = id; }

  // For proxies that answer the client once the channel's fate is known (SOCKS): `on_success` is
  // written to the local side before any channel data, `on_failure` builds the reply written before
  // the local side is closed, and `early_data` (bytes the client sent ahead) goes to the channel first.
  using FailureReply = std::function<ssh::Bytes(std::uint32_t reason, const std::string& description)>;
  void set_open_replies(ssh::Bytes on_success, FailureReply on_failure, ssh::Bytes early_data);
  // The channel open is still unanswered (counts against MaxPendingOpens).
  bool opening() const { return !open_ && !channel_closed_; }
  // `counter` counts splices still opening: this one is added now and removed once its open is
  // answered (or the splice goes), so the owner knows the number without scanning.
  void count_while_opening(std::shared_ptr<std::size_t> counter);
  // Closes the local side and the channel (e.g. the forward is being removed).
  void abort();

  void on_open_confirmed() override;
  void on_open_failed(std::uint32_t reason, const std::string& description) override;
  void on_data(ssh::Bytes data, std::uint32_t extended_type) override;
  void on_data_flush() override;
  void on_writable() override;
  void on_eof() override;
  void on_closed() override;

 private:
  void start_reading();
  void on_read(ssize_t nread, const uv_buf_t* buf);
  void flush_to_channel();
  void write_local(ssh::Bytes bytes, bool channel_data);
  void write_local(std::vector<ssh::Bytes> parts, bool channel_data);
  void flush_held_data();
  void on_local_write_done(std::size_t bytes, int status, bool channel_data);
  void maybe_shutdown_local();
  void close_local();
  void maybe_finish();
  void finish();
  void open_settled();

  SshSession& session_;
  uv_stream_t* stream_;
  std::string label_;
  OnFinished on_finished_;
  ssh::ChannelId channel_ = 0;
  std::shared_ptr<std::size_t> opening_counter_;
  ssh::Bytes success_reply_;
  FailureReply failure_reply_;
  ssh::Bytes pending_;  // read from the local socket, not yet taken by the channel
  std::size_t pending_offset_ = 0;
  std::size_t local_writes_in_flight_ = 0;
  std::vector<ssh::Bytes> held_;  // channel data of the current read, written together on flush
  bool open_ = false;
  bool reading_ = false;
  bool local_eof_ = false;        // local peer finished sending
  bool eof_sent_ = false;         // we sent CHANNEL_EOF
  bool remote_eof_ = false;       // channel peer finished sending
  bool local_shutdown_ = false;   // uv_shutdown issued
  bool channel_closed_ = false;   // on_closed received
  bool local_closing_ = false;    // uv_close issued
  bool local_closed_ = false;     // close callback ran
  bool finished_ = false;
};

}  // namespace gateway
