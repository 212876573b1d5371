#include "gateway/forward/stream_splice.hpp"

#include <cstdlib>
#include <memory>

#include "gateway/core/log.hpp"
#include "gateway/net/read_buffer.hpp"
#include "gateway/net/write_now.hpp"
#include "ssh/wire/buffer_pool.hpp"

namespace gateway {
namespace {

struct LocalWrite {
  // Received payloads go back to the pool for the next packets.
  ~LocalWrite() {
    for (auto& p : parts) ssh::wire::release_buffer(std::move(p));
  }
  uv_write_t req{};
  std::vector<ssh::Bytes> parts;
  std::size_t size;
  StreamSplice* splice;
  bool channel_data;  // acknowledged to the channel (window credit) once written
};

}  // namespace

StreamSplice::StreamSplice(SshSession& session, uv_stream_t* stream, std::string label, OnFinished on_finished)
    : session_(session), stream_(stream), label_(std::move(label)), on_finished_(std::move(on_finished)) {
  stream_->data = this;
}

StreamSplice::~StreamSplice() { open_settled(); }

void StreamSplice::count_while_opening(std::shared_ptr<std::size_t> counter) {
  if (!opening()) return;
  opening_counter_ = std::move(counter);
  ++*opening_counter_;
}

void StreamSplice::open_settled() {
  if (!opening_counter_) return;
  --*opening_counter_;
  opening_counter_.reset();
}

void StreamSplice::abort() {
  if (!channel_closed_) session_.close_channel(channel_);
  close_local();
}

void StreamSplice::set_open_replies(ssh::Bytes on_success, FailureReply on_failure, ssh::Bytes early_data) {
  success_reply_ = std::move(on_success);
  failure_reply_ = std::move(on_failure);
  pending_ = std::move(early_data);
  pending_offset_ = 0;
}

void StreamSplice::on_open_confirmed() {
  open_ = true;
  open_settled();
  log::debug("%s: channel %u open", label_.c_str(), channel_);
  if (!success_reply_.empty()) write_local(std::move(success_reply_), false);
  failure_reply_ = nullptr;
  // Sends any early data, then starts reading the local side.
  flush_to_channel();
}

void StreamSplice::on_open_failed(std::uint32_t reason, const std::string& description) {
  log::info("%s: channel open failed: %s (reason %u)", label_.c_str(), description.c_str(), reason);
  channel_closed_ = true;
  open_settled();
  if (failure_reply_ && !local_closing_) {
    // The client hears why before the connection closes (maybe_finish closes after the write).
    write_local(failure_reply_(reason, description), false);
    failure_reply_ = nullptr;
    return;
  }
  close_local();
}

void StreamSplice::start_reading() {
  reading_ = true;
  uv_read_start(
      stream_,
      net::shared_read_buffer,
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) { static_cast<StreamSplice*>(s->data)->on_read(nread, buf); });
}

void StreamSplice::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (nread == 0) return;
  if (nread < 0) {
    uv_read_stop(stream_);
    reading_ = false;
    if (nread == UV_EOF) {
      local_eof_ = true;
      flush_to_channel();
    } else {
      log::debug("%s: local read error: %s", label_.c_str(), uv_strerror(static_cast<int>(nread)));
      abort();
    }
    return;
  }
  ssh::ByteView fresh(reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(nread));
  // Straight from the read buffer into packets when nothing older waits; only what the channel
  // cannot take now is kept (and reading pauses until it can).
  if (pending_offset_ == pending_.size() && open_ && !channel_closed_) {
    fresh = fresh.subspan(session_.send(channel_, fresh));
    if (fresh.empty()) return;
  }
  pending_.insert(pending_.end(), fresh.begin(), fresh.end());
  flush_to_channel();
}

void StreamSplice::flush_to_channel() {
  if (channel_closed_ || !open_) return;
  if (pending_offset_ < pending_.size()) {
    const ssh::ByteView rest(pending_.data() + pending_offset_, pending_.size() - pending_offset_);
    pending_offset_ += session_.send(channel_, rest);
  }
  if (pending_offset_ < pending_.size()) {
    // The channel is full: stop reading until it drains (window adjust or output queue).
    if (reading_) {
      uv_read_stop(stream_);
      reading_ = false;
    }
    session_.want_writable(channel_);
    return;
  }
  // Drained: give the memory back, an idle connection holds no buffer.
  ssh::Bytes().swap(pending_);
  pending_offset_ = 0;
  if (local_eof_) {
    if (!eof_sent_) {
      eof_sent_ = true;
      session_.send_eof(channel_);
      maybe_finish();
    }
    return;
  }
  if (!reading_ && !local_closing_) {
    start_reading();
  }
}

void StreamSplice::on_writable() { flush_to_channel(); }

void StreamSplice::on_data(ssh::Bytes data, std::uint32_t extended_type) {
  if (extended_type != 0 || local_closing_) {
    // Extended data has no place on a byte stream; acknowledge it so the window stays open.
    session_.consume(channel_, data.size());
    return;
  }
  // Held until the session has delivered everything of this read (on_data_flush).
  held_.push_back(std::move(data));
}

void StreamSplice::on_data_flush() { flush_held_data(); }

void StreamSplice::flush_held_data() {
  if (held_.empty()) return;
  if (local_closing_) {
    held_.clear();  // nowhere to write it any more
    return;
  }
  std::vector<ssh::Bytes> parts;
  parts.swap(held_);
  write_local(std::move(parts), true);
}

void StreamSplice::write_local(ssh::Bytes bytes, bool channel_data) {
  std::vector<ssh::Bytes> parts;
  parts.push_back(std::move(bytes));
  write_local(std::move(parts), channel_data);
}

void StreamSplice::write_local(std::vector<ssh::Bytes> parts, bool channel_data) {
  std::size_t size = 0;
  std::vector<uv_buf_t> bufs;
  bufs.reserve(parts.size());
  for (auto& p : parts) {
    size += p.size();
    bufs.push_back(uv_buf_init(reinterpret_cast<char*>(p.data()), static_cast<unsigned>(p.size())));
  }
  if (local_writes_in_flight_ == 0) {
    const std::size_t first_unsent = net::write_now(stream_, bufs.data(), bufs.size());
    if (first_unsent == bufs.size()) {
      for (auto& p : parts) ssh::wire::release_buffer(std::move(p));
      if (channel_data && !channel_closed_) session_.consume(channel_, size);
      return;
    }
    bufs.erase(bufs.begin(), bufs.begin() + static_cast<std::ptrdiff_t>(first_unsent));  // libuv takes the rest
  }
  auto* w = new LocalWrite{{}, std::move(parts), size, this, channel_data};
  ++local_writes_in_flight_;
  // One writev for all parts; libuv copies the buffer list when it has to queue.
  const int rc = uv_write(&w->req, stream_, bufs.data(), static_cast<unsigned>(bufs.size()),
                          [](uv_write_t* req, int status) {
                            std::unique_ptr<LocalWrite> lw(reinterpret_cast<LocalWrite*>(req));
                            lw->splice->on_local_write_done(lw->size, status, lw->channel_data);
                          });
  if (rc != 0) {
    delete w;
    on_local_write_done(size, rc, channel_data);
  }
}

void StreamSplice::on_local_write_done(std::size_t bytes, int status, bool channel_data) {
  --local_writes_in_flight_;
  if (channel_data && !channel_closed_) session_.consume(channel_, bytes);
  if (status < 0 && status != UV_ECANCELED) {
    log::debug("%s: local write error: %s", label_.c_str(), uv_strerror(status));
    abort();
    return;
  }
  maybe_shutdown_local();
  maybe_finish();
}

void StreamSplice::on_eof() {
  flush_held_data();  // the data before the EOF goes out before the shutdown
  remote_eof_ = true;
  maybe_shutdown_local();
}

void StreamSplice::maybe_shutdown_local() {
  if (!remote_eof_ || local_shutdown_ || local_closing_ || local_writes_in_flight_ != 0) return;
  local_shutdown_ = true;
  auto* req = new uv_shutdown_t;
  req->data = this;
  if (uv_shutdown(req, stream_, [](uv_shutdown_t* r, int) {
        auto* self = static_cast<StreamSplice*>(r->data);
        delete r;
        self->maybe_finish();
      }) != 0) {
    delete req;
  }
}

void StreamSplice::on_closed() {
  if (!local_closing_) flush_held_data();
  if (!open_ && failure_reply_ && !local_closing_) {
    // The connection died while the open was pending: a SOCKS client still deserves a reply.
    on_open_failed(2, "connection to the server lost");
    return;
  }
  channel_closed_ = true;
  open_settled();
  remote_eof_ = true;
  if (local_closed_) {
    finish();
    return;
  }
  // Pending local writes still deliver the channel's last bytes before the socket closes.
  if (local_writes_in_flight_ == 0) close_local();
}

void StreamSplice::finish() {
  if (finished_) return;
  finished_ = true;
  on_finished_(this);
}

void StreamSplice::maybe_finish() {
  if (local_closing_ || local_writes_in_flight_ != 0) return;
  // Both directions done: the channel is gone, or both EOFs passed and the writes are flushed.
  if (channel_closed_) {
    close_local();
  } else if (eof_sent_ && remote_eof_ && local_shutdown_) {
    session_.close_channel(channel_);
  }
}

void StreamSplice::close_local() {
  if (local_closing_) return;
  local_closing_ = true;
  if (reading_) uv_read_stop(stream_);
  reading_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(stream_), [](uv_handle_t* h) {
    auto* self = static_cast<StreamSplice*>(h->data);
    self->local_closed_ = true;
    std::free(h);
    self->stream_ = nullptr;
    if (!self->channel_closed_) {
      self->session_.close_channel(self->channel_);
      return;  // on_closed() finishes us
    }
    self->finish();
  });
}

}  // namespace gateway
