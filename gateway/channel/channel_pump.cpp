#include "gateway/channel/channel_pump.hpp"

#include <utility>

#include "gateway/util/log.hpp"
#include "ssh/connection/message_numbers.hpp"
#include "ssh/wire/buffer_pool.hpp"

namespace gateway {
namespace {

std::size_t credit_of(std::vector<ssh::Bytes>& parts) {
  std::size_t n = 0;
  for (auto& p : parts) {
    n += p.size();
    ssh::wire::release_buffer(std::move(p));
  }
  parts.clear();
  return n;
}

}  // namespace

const char* open_failure_name(OpenFailure failure) {
  switch (failure) {
    case OpenFailure::administratively_prohibited:
      return "administratively_prohibited";
    case OpenFailure::connect_failed:
      return "connect_failed";
    case OpenFailure::unknown_channel_type:
      return "unknown_channel_type";
    case OpenFailure::resource_shortage:
      return "resource_shortage";
    case OpenFailure::no_connection:
      return "no_connection";
    case OpenFailure::limit:
      return "limit";
    case OpenFailure::other:
      return "other";
  }
  return "other";
}

OpenFailure open_failure_of_reason(std::uint32_t reason) {
  namespace msg = ssh::connection::msg;
  switch (reason) {
    case msg::kOpenAdministrativelyProhibited:
      return OpenFailure::administratively_prohibited;
    case msg::kOpenConnectFailed:
      return OpenFailure::connect_failed;
    case msg::kOpenUnknownChannelType:
      return OpenFailure::unknown_channel_type;
    case msg::kOpenResourceShortage:
      return OpenFailure::resource_shortage;
    default:
      return OpenFailure::other;
  }
}

ChannelPump::ChannelPump(ChannelHost& session, std::unique_ptr<LocalEnd> end, std::string label, OnFinished on_finished)
    : session_(session), end_(std::move(end)), label_(std::move(label)), on_finished_(std::move(on_finished)) {
  end_->bind(*this);
}

ChannelPump::~ChannelPump() {
  open_settled();
}

void ChannelPump::own_observer(std::unique_ptr<ChannelObserver> observer) {
  owned_observer_ = std::move(observer);
  observer_ = owned_observer_.get();
}

void ChannelPump::count_open_failure(OpenFailure failure) {
  if (counters_) counters_->failed(failure);
}

std::size_t ChannelPump::send_counted(ssh::ByteView data) {
  const std::size_t taken = session_.send(id_, data);
  if (counters_) counters_->sent_bytes += taken;
  return taken;
}

void ChannelPump::count_while_opening(std::shared_ptr<std::size_t> counter) {
  if (channel_ != ChannelState::none && channel_ != ChannelState::opening) return;
  opening_counter_ = std::move(counter);
  ++*opening_counter_;
}

void ChannelPump::open_settled() {
  if (!opening_counter_) return;
  --*opening_counter_;
  opening_counter_.reset();
}

template <class Change>
void ChannelPump::run(Change&& change) {
  const bool outermost = !in_run_;
  in_run_ = true;
  change();
  if (!outermost) {
    again_ = true;  // the outermost run takes it from here
    return;
  }
  do {
    again_ = false;
    step();
  } while (again_);
  in_run_ = false;
  if (finished_ || !local_closed_ || (channel_ != ChannelState::gone && channel_ != ChannelState::none)) return;
  finished_ = true;
  open_settled();
  if (observer_ != nullptr) observer_->on_finished(*this);
  on_finished_(this);  // may delete this: nothing follows
}

// ---- commands

void ChannelPump::open(std::string_view type, ssh::ByteView type_data) {
  run([&] {
    if (channel_ != ChannelState::none) return;
    channel_ = ChannelState::opening;
    const auto id = session_.open_channel(type, type_data, *this);
    if (id) {
      id_ = *id;
      log::debug("%s: channel %u requested", label_.c_str(), id_);
      return;
    }
    channel_ = ChannelState::gone;
    open_settled();
    log::info("%s: cannot open a channel: no usable connection", label_.c_str());
    count_open_failure(OpenFailure::resource_shortage);
    if (observer_ != nullptr)
      observer_->on_open_failed(*this, ssh::connection::msg::kOpenResourceShortage, "cannot open channel");
  });
}

void ChannelPump::accept(ssh::ChannelId id) {
  run([&] {
    if (channel_ != ChannelState::none) return;
    id_ = id;
    channel_ = ChannelState::open;
    open_settled();
    session_.accept_channel(id, *this);
  });
}

void ChannelPump::hold_input(bool held) {
  run([&] {
    input_held_ = held;
    if (held && reading_) {
      reading_ = false;
      end_->read_stop();
    }
  });
}

void ChannelPump::prepend_input(ssh::Bytes bytes) {
  if (bytes.empty()) return;
  run([&] {
    bytes.insert(bytes.end(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_offset_), pending_.end());
    pending_ = std::move(bytes);
    pending_offset_ = 0;
  });
}

void ChannelPump::write_control(ssh::Bytes bytes) {
  run([&] { control_.push_back(std::move(bytes)); });
}

std::optional<std::uint32_t> ChannelPump::request(std::string_view name, ssh::ByteView data, bool want_reply) {
  std::optional<std::uint32_t> seq;
  run([&] {
    if (channel_ == ChannelState::open && !close_requested_)
      seq = session_.channel_request(id_, name, data, want_reply);
  });
  return seq;
}

std::unique_ptr<LocalEnd> ChannelPump::detach_end() {
  if (channel_ != ChannelState::gone || local_closing_ || !end_) return nullptr;
  // Nothing of the end is used from here: it counts as closed.
  local_closing_ = true;
  local_closed_ = true;
  reading_ = false;
  return std::move(end_);
}

void ChannelPump::abort() {
  run([&] { local_broken_ = true; });
}

// ---- the channel

void ChannelPump::on_open_confirmed() {
  run([&] {
    if (channel_ != ChannelState::opening) return;
    channel_ = ChannelState::open;
    open_settled();
    log::debug("%s: channel %u open", label_.c_str(), id_);
    if (counters_) ++counters_->opens;
    if (observer_ != nullptr && !close_requested_) observer_->on_open_confirmed(*this);
  });
}

void ChannelPump::on_open_failed(std::uint32_t reason, const std::string& description) {
  run([&] {
    if (channel_ != ChannelState::opening) return;
    channel_ = ChannelState::gone;
    open_settled();
    log::info("%s: channel open failed: %s (reason %u)", label_.c_str(), description.c_str(), reason);
    count_open_failure(open_failure_of_reason(reason));
    if (observer_ != nullptr) observer_->on_open_failed(*this, reason, description);
  });
}

void ChannelPump::on_data(ssh::Bytes data, std::uint32_t extended_type) {
  // Held until the session has delivered everything of this read (on_data_flush).
  if (counters_) counters_->received_bytes += data.size();
  (extended_type == 0 ? held_ : held_ext_).push_back(std::move(data));
}

void ChannelPump::on_data_flush() {
  run([] {});
}

void ChannelPump::on_writable() {
  run([] {});
}

void ChannelPump::on_eof() {
  run([&] { remote_eof_ = true; });
}

bool ChannelPump::on_request(const ssh::event::ChannelRequest& request) {
  bool understood = false;
  run([&] {
    if (observer_ != nullptr) understood = observer_->on_request(*this, request);
  });
  return understood;
}

void ChannelPump::on_request_result(std::uint32_t seq, bool success) {
  run([&] {
    if (observer_ != nullptr) observer_->on_request_result(*this, seq, success);
  });
}

void ChannelPump::on_closed() {
  run([&] {
    if (channel_ == ChannelState::opening) {
      // The connection died while the open was pending: the client still deserves an answer.
      channel_ = ChannelState::gone;
      open_settled();
      count_open_failure(OpenFailure::no_connection);
      if (observer_ != nullptr) {
        observer_->on_open_failed(*this, ssh::connection::msg::kOpenConnectFailed, "connection to the server lost");
      }
    }
    if (channel_ == ChannelState::open && !remote_eof_ && end_->channel_lost()) {
      shutdown_requested_ = true;  // the end says so itself when it closes
    }
    channel_ = ChannelState::gone;
    remote_eof_ = true;
  });
}

// ---- the local end

void ChannelPump::on_local_data(ssh::ByteView data) {
  run([&] {
    if (local_broken_ || channel_ == ChannelState::gone) return;
    // Straight from the read buffer into packets when nothing older waits; only what the channel
    // cannot take now is kept (and reading pauses until it can).
    if (channel_ == ChannelState::open && !close_requested_ && !eof_sent_ && pending_offset_ == pending_.size()) {
      data = data.subspan(send_counted(data));
    }
    if (data.empty()) return;
    if (pending_offset_ > 0) {
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_offset_));
      pending_offset_ = 0;
    }
    pending_.insert(pending_.end(), data.begin(), data.end());
  });
}

void ChannelPump::on_local_eof() {
  run([&] {
    local_eof_ = true;
    reading_ = false;
  });
}

void ChannelPump::on_local_error(const std::string& why) {
  run([&] {
    log::debug("%s: %s", label_.c_str(), why.c_str());
    local_broken_ = true;
    reading_ = false;
  });
}

void ChannelPump::on_local_written(std::size_t credit) {
  run([&] {
    --writes_in_flight_;
    credit_owed_ += credit;
  });
}

void ChannelPump::on_local_output_shut() {
  run([&] {
    output_shut_ = true;
    if (observer_ != nullptr) observer_->on_output_done(*this);
  });
}

void ChannelPump::on_local_closed() {
  run([&] {
    local_closed_ = true;
    reading_ = false;
  });
}

// ---- what follows from the state

void ChannelPump::step() {
  step_output();
  if (again_) return;
  step_input();
  if (again_) return;
  step_teardown();
}

void ChannelPump::step_output() {
  if (local_closing_ || local_broken_) {
    // Nowhere to write any more: acknowledged so the channel's window stays usable.
    credit_owed_ += credit_of(held_) + credit_of(held_ext_);
    control_.clear();
  } else {
    const std::pair<std::vector<ssh::Bytes>*, LocalEnd::Stream> queues[] = {{&control_, LocalEnd::Stream::control},
                                                                            {&held_, LocalEnd::Stream::data},
                                                                            {&held_ext_, LocalEnd::Stream::extended}};
    for (const auto& [queue, stream] : queues) {
      if (queue->empty()) continue;
      std::vector<ssh::Bytes> parts;
      parts.swap(*queue);
      ++writes_in_flight_;
      end_->write(std::move(parts), stream);
      if (again_) return;
    }
    if (remote_eof_ && writes_in_flight_ == 0 && !shutdown_requested_ && channel_ != ChannelState::none) {
      shutdown_requested_ = true;
      end_->shutdown_output();
      if (again_) return;
    }
  }
  if (credit_owed_ == 0) return;
  if (channel_ != ChannelState::open) {
    credit_owed_ = 0;  // the channel is gone: nobody to credit
    return;
  }
  const std::size_t credit = credit_owed_;
  credit_owed_ = 0;
  session_.consume(id_, credit);
}

void ChannelPump::step_input() {
  if (local_broken_ && channel_ == ChannelState::open && !close_requested_ && !eof_sent_ &&
      pending_offset_ < pending_.size()) {
    // What was read before the local side broke still goes out, as far as the window allows.
    const ssh::ByteView rest(pending_.data() + pending_offset_, pending_.size() - pending_offset_);
    pending_offset_ = pending_.size();
    send_counted(rest);
    if (again_) return;
  }
  if (channel_ == ChannelState::gone || local_broken_ || close_requested_) {
    ssh::Bytes().swap(pending_);
    pending_offset_ = 0;
    if (reading_) {
      reading_ = false;
      end_->read_stop();
    }
    return;
  }
  if (channel_ != ChannelState::open || eof_sent_) return;
  if (pending_offset_ < pending_.size()) {
    const ssh::ByteView rest(pending_.data() + pending_offset_, pending_.size() - pending_offset_);
    pending_offset_ += send_counted(rest);
    if (again_) return;
  }
  if (pending_offset_ < pending_.size()) {
    // The channel is full: stop reading until it drains (window adjust or output queue).
    if (reading_) {
      reading_ = false;
      end_->read_stop();
    }
    session_.want_writable(id_);
    return;
  }
  // Drained: give the memory back, an idle channel holds no buffer.
  ssh::Bytes().swap(pending_);
  pending_offset_ = 0;
  if (local_eof_) {
    eof_sent_ = true;
    session_.send_eof(id_);
    return;
  }
  if (!reading_ && !input_held_ && !local_closing_) {
    reading_ = true;
    end_->read_start();
  }
}

void ChannelPump::step_teardown() {
  const bool channel_done = channel_ == ChannelState::gone;
  const bool output_drained = writes_in_flight_ == 0 && held_.empty() && held_ext_.empty() && control_.empty();
  if (!local_closing_ && (local_broken_ || (channel_done && output_drained))) {
    // Pending writes still deliver the channel's last bytes before the local side closes.
    local_closing_ = true;
    reading_ = false;
    end_->close();
    if (again_) return;
  }
  if ((local_broken_ || local_closed_) && !close_requested_ &&
      (channel_ == ChannelState::open || channel_ == ChannelState::opening)) {
    close_requested_ = true;
    session_.close_channel(id_);
  }
}

// ---- PumpSet

ChannelPump* PumpSet::create(ChannelHost& session, std::unique_ptr<LocalEnd> end, std::string label) {
  std::weak_ptr<bool> alive = alive_;
  auto* pump = new ChannelPump(session, std::move(end), std::move(label), [this, alive](ChannelPump* done) {
    if (auto a = alive.lock(); a && *a) pumps_.erase(done);
    delete done;
  });
  pumps_.insert(pump);
  pump->count_while_opening(opening_);
  pump->count_into(counters_);
  return pump;
}

void PumpSet::abort_all() {
  // An abort can end the session and with it other pumps: only touch those still in the set.
  for (ChannelPump* p : std::unordered_set<ChannelPump*>(pumps_)) {
    if (pumps_.count(p) != 0) p->abort();
  }
}

}  // namespace gateway
