#pragma once
// The one mechanism that moves a channel's bytes, whatever is at the local end (a socket, a
// session's descriptors, a Link of another connection, a reverse-SOCKS or X11 client). Used by -L,
// -D, -R, ProxyJump links, -W and sessions alike.
//
// Per direction, in the manner of OpenSSH's nchan:
// - local -> channel: bytes read locally go straight into packets; what the channel cannot take
//   now (peer window, the connection's output queue) is kept and reading stops until
//   on_writable(). Local EOF becomes CHANNEL_EOF once everything before it was sent.
// - channel -> local: the packets of one read from the server are written together; window credit
//   is returned (consume) only after the local write completed, so a slow local reader closes the
//   SSH window instead of growing memory (at most one window per channel is buffered). Extended
//   data (stderr) goes to the end's error output. The server's EOF becomes a local shutdown once
//   every earlier write is out.
// - the local end is closed once the channel is gone and its last bytes were written; the channel
//   is closed when the local end fails or is aborted. The pump finishes (on_finished) once both
//   are gone.
//
// What an open's outcome means to the client (a SOCKS reply, a mux message, a SYN-ACK) and what a
// session does with exit-status are an observer's business, not bytes inside the pump.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "gateway/channel/local_end.hpp"
#include "gateway/channel/pump_counters.hpp"
#include "gateway/core/channel_handler.hpp"
#include "gateway/core/channel_host.hpp"

namespace gateway {

class ChannelPump;

class ChannelObserver {
 public:
  virtual ~ChannelObserver() = default;
  virtual void on_open_confirmed(ChannelPump&) {}
  // The open was refused or the connection died first; write_control() may still answer the client.
  virtual void on_open_failed(ChannelPump&, std::uint32_t /*reason*/, const std::string& /*description*/) {}
  // A request from the server (exit-status ...): true when understood.
  virtual bool on_request(ChannelPump&, const ssh::event::ChannelRequest&) { return false; }
  virtual void on_request_result(ChannelPump&, std::uint32_t /*seq*/, bool /*success*/) {}
  // The server's EOF reached the local side (its output is shut).
  virtual void on_output_done(ChannelPump&) {}
  // Channel and local end are both gone; the pump is destroyed right after.
  virtual void on_finished(ChannelPump&) {}
};

class ChannelPump final : public ChannelHandler, private LocalEndOwner {
 public:
  using OnFinished = std::function<void(ChannelPump*)>;

  // `label` names the pump in log lines. `on_finished` runs once, last; it may delete the pump.
  ChannelPump(ChannelHost& session, std::unique_ptr<LocalEnd> end, std::string label, OnFinished on_finished);
  ~ChannelPump() override;
  ChannelPump(const ChannelPump&) = delete;
  ChannelPump& operator=(const ChannelPump&) = delete;

  // The observer is told about the open, requests and the end; set it before open()/accept().
  void set_observer(ChannelObserver* observer) { observer_ = observer; }
  void own_observer(std::unique_ptr<ChannelObserver> observer);

  // Opens a channel of `type` with its type-specific data. When the session cannot open one, the
  // observer hears on_open_failed (resource shortage) and the pump winds down.
  void open(std::string_view type, ssh::ByteView type_data);
  // Takes over a channel the server opened: accepts it, and bytes flow at once.
  void accept(ssh::ChannelId id);
  // While held, nothing is read locally (a session: until its shell or command was accepted).
  void hold_input(bool held);
  // Bytes for the channel ahead of anything read locally (what a SOCKS client sent early).
  void prepend_input(ssh::Bytes bytes);
  // Bytes of our own for the local side, written before any later channel data (a SOCKS reply).
  void write_control(ssh::Bytes bytes);
  // A channel request (session requests); nullopt when the channel cannot take it now.
  std::optional<std::uint32_t> request(std::string_view name, ssh::ByteView data, bool want_reply);
  // Closes the channel and the local end; on_finished follows once both are gone.
  void abort();
  // From the observer's on_open_failed only: takes the local end back, untouched (nothing was read
  // or written), for another attempt on another connection. The pump then finishes without it.
  std::unique_ptr<LocalEnd> detach_end();

  // The open is still unanswered (counts against MaxPendingOpens).
  bool opening() const { return channel_ == ChannelState::opening; }
  bool is_open() const { return channel_ == ChannelState::open; }
  // `counter` counts pumps still opening: this one is added now (before or during its open) and
  // removed once its open is answered (or the pump goes), so the owner knows the number without
  // scanning.
  void count_while_opening(std::shared_ptr<std::size_t> counter);
  // Opens, open failures and payload bytes of this pump are added to `counters` (shared by the
  // pumps of one owner, and kept alive by each in case the owner goes first).
  void count_into(std::shared_ptr<PumpCounters> counters) { counters_ = std::move(counters); }
  ssh::ChannelId channel_id() const { return id_; }
  // Bytes read locally that the channel has not taken yet.
  std::size_t pending_input() const { return pending_.size() - pending_offset_; }
  ChannelHost& session() { return session_; }
  const std::string& label() const { return label_; }
  LocalEnd& end() { return *end_; }

  // ChannelHandler
  void on_open_confirmed() override;
  void on_open_failed(std::uint32_t reason, const std::string& description) override;
  void on_data(ssh::Bytes data, std::uint32_t extended_type) override;
  void on_data_flush() override;
  void on_writable() override;
  void on_eof() override;
  bool on_request(const ssh::event::ChannelRequest& request) override;
  void on_request_result(std::uint32_t seq, bool success) override;
  void on_closed() override;

 private:
  enum class ChannelState : std::uint8_t { none, opening, open, gone };

  // LocalEndOwner
  void on_local_data(ssh::ByteView data) override;
  void on_local_eof() override;
  void on_local_error(const std::string& why) override;
  void on_local_written(std::size_t credit) override;
  void on_local_output_shut() override;
  void on_local_closed() override;

  // Every entry point runs its change through here: step() then does whatever follows from the
  // new state, re-running while nested calls changed it, and finishing last.
  template <class Change>
  void run(Change&& change);
  void step();
  void step_output();
  void step_input();
  void step_teardown();
  void open_settled();
  void count_open_failure(OpenFailure failure);
  // session_.send(), with the bytes taken counted.
  std::size_t send_counted(ssh::ByteView data);

  ChannelHost& session_;
  std::unique_ptr<LocalEnd> end_;
  std::string label_;
  OnFinished on_finished_;
  ChannelObserver* observer_ = nullptr;
  std::unique_ptr<ChannelObserver> owned_observer_;
  std::shared_ptr<std::size_t> opening_counter_;
  std::shared_ptr<PumpCounters> counters_;
  ssh::ChannelId id_ = 0;
  ChannelState channel_ = ChannelState::none;
  bool close_requested_ = false;  // we asked the session to close the channel

  // local -> channel
  ssh::Bytes pending_;  // read locally, not yet taken by the channel
  std::size_t pending_offset_ = 0;
  bool input_held_ = false;
  bool reading_ = false;
  bool local_eof_ = false;  // the local side finished sending
  bool eof_sent_ = false;   // CHANNEL_EOF sent

  // channel -> local
  std::vector<ssh::Bytes> held_;      // data of the current read, written together
  std::vector<ssh::Bytes> held_ext_;  // extended data of the current read
  std::vector<ssh::Bytes> control_;   // our own bytes for the local side
  std::size_t writes_in_flight_ = 0;
  std::size_t credit_owed_ = 0;  // written locally, not yet acknowledged to the channel
  bool remote_eof_ = false;
  bool shutdown_requested_ = false;
  bool output_shut_ = false;

  // the local end
  bool local_broken_ = false;  // failed or aborted: close everything
  bool local_closing_ = false;
  bool local_closed_ = false;

  bool in_run_ = false;
  bool again_ = false;
  bool finished_ = false;
};

// The live pumps of one owner (a forward, the remote forwards, a session): created here, forgotten
// and deleted as each finishes, aborted together when the owner closes. A pump that finishes after
// its set is gone (the owner was destroyed first) deletes itself without touching the set.
class PumpSet {
 public:
  PumpSet() = default;
  ~PumpSet() { *alive_ = false; }
  PumpSet(const PumpSet&) = delete;
  PumpSet& operator=(const PumpSet&) = delete;

  ChannelPump* create(ChannelHost& session, std::unique_ptr<LocalEnd> end, std::string label);
  std::size_t size() const { return pumps_.size(); }
  // Pumps whose channel open is still unanswered.
  std::size_t opening() const { return *opening_; }
  // What every pump of the set did, including those already finished.
  const PumpCounters& counters() const { return *counters_; }
  PumpCounters& counters() { return *counters_; }
  void abort_all();

 private:
  std::unordered_set<ChannelPump*> pumps_;
  std::shared_ptr<std::size_t> opening_ = std::make_shared<std::size_t>(0);
  std::shared_ptr<PumpCounters> counters_ = std::make_shared<PumpCounters>();
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gateway
