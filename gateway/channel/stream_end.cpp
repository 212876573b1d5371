#include "gateway/channel/stream_end.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "gateway/net/read_buffer.hpp"
#include "gateway/net/write_now.hpp"
#include "ssh/wire/buffer_pool.hpp"

namespace gateway {
namespace {

std::size_t total_size(const std::vector<ssh::Bytes>& parts) {
  std::size_t n = 0;
  for (const auto& p : parts) n += p.size();
  return n;
}

void release_parts(std::vector<ssh::Bytes>& parts) {
  // Received payloads go back to the pool for the next packets.
  for (auto& p : parts) ssh::wire::release_buffer(std::move(p));
  parts.clear();
}

// A descriptor as a libuv stream: a terminal, a pipe or a socket. nullptr for anything else.
uv_stream_t* stream_for(uv_loop_t* loop, int fd, bool readable) {
  const uv_handle_type type = uv_guess_handle(fd);
  if (type == UV_TTY) {
    auto* tty = static_cast<uv_tty_t*>(std::malloc(sizeof(uv_tty_t)));
    if (uv_tty_init(loop, tty, fd, readable ? 1 : 0) == 0) return reinterpret_cast<uv_stream_t*>(tty);
    std::free(tty);
    return nullptr;
  }
  if (type == UV_NAMED_PIPE || type == UV_TCP) {
    auto* pipe = static_cast<uv_pipe_t*>(std::malloc(sizeof(uv_pipe_t)));
    uv_pipe_init(loop, pipe, 0);
    if (uv_pipe_open(pipe, fd) == 0) return reinterpret_cast<uv_stream_t*>(pipe);
    uv_close(reinterpret_cast<uv_handle_t*>(pipe), [](uv_handle_t* h) { std::free(h); });
  }
  return nullptr;
}

}  // namespace

// One write in flight on a stream port: the parts stay alive until libuv is done with them.
struct StreamWrite {
  ~StreamWrite() { release_parts(parts); }
  uv_write_t req{};
  std::vector<ssh::Bytes> parts;
  std::size_t credit = 0;
  StreamEnd* end = nullptr;
};

// One write in flight on a file port; continues after a short write.
struct StreamEnd::FileWrite {
  ~FileWrite() { release_parts(parts); }
  uv_fs_t req{};
  std::vector<ssh::Bytes> parts;
  std::size_t next = 0;    // first part not completely written
  std::size_t offset = 0;  // bytes of parts[next] already written
  std::size_t credit = 0;
  int fd = -1;
  StreamEnd* end = nullptr;
  Port* port = nullptr;

  void submit(uv_loop_t* loop) {
    std::vector<uv_buf_t> bufs;
    for (std::size_t i = next; i < parts.size(); ++i) {
      const std::size_t skip = i == next ? offset : 0;
      bufs.push_back(
          uv_buf_init(reinterpret_cast<char*>(parts[i].data() + skip), static_cast<unsigned>(parts[i].size() - skip)));
    }
    req.data = this;
    const int rc = uv_fs_write(loop, &req, fd, bufs.data(), static_cast<unsigned>(bufs.size()), -1,
                               [](uv_fs_t* r) { static_cast<FileWrite*>(r->data)->on_done(); });
    if (rc < 0) {
      // Never started: report on a clean stack is not needed, the caller expects a completion.
      req.result = rc;
      on_done();
    }
  }

  void on_done() {
    const ssize_t result = req.result;
    uv_loop_t* loop = req.loop;
    uv_fs_req_cleanup(&req);
    if (result > 0) {
      auto left = static_cast<std::size_t>(result);
      while (next < parts.size() && left >= parts[next].size() - offset) {
        left -= parts[next].size() - offset;
        offset = 0;
        ++next;
      }
      offset += left;
      if (next < parts.size() && loop != nullptr && !end->closing_) {
        submit(loop);
        return;
      }
    }
    StreamEnd* e = end;
    Port* p = port;
    const std::size_t c = credit;
    const int status = result < 0 ? static_cast<int>(result) : 0;
    p->file_writes.erase(p->file_writes.begin());
    delete this;
    --e->open_handles_;
    // One write at a time per file: the thread pool would run them in any order.
    if (!p->file_writes.empty()) {
      p->file_writes.front()->submit(e->loop_);
    } else if (p->close_after_writes >= 0) {
      ::close(p->close_after_writes);
      p->close_after_writes = -1;
    }
    e->write_done(c, status);
  }
};

StreamEnd::StreamEnd(uv_stream_t* socket) : loop_(socket->loop) {
  ports_[kInput].stream = socket;
  ports_[kOutput].stream = socket;
  socket->data = this;
}

std::unique_ptr<StreamEnd> StreamEnd::from_descriptors(uv_loop_t* loop, int input, int output, int error_output,
                                                       std::string& error) {
  std::unique_ptr<StreamEnd> end(new StreamEnd());
  end->loop_ = loop;
  const int fds[3] = {input, output, error_output};
  // Those not handed to the end yet are closed here on failure; the end closes the others.
  auto close_rest = [&fds](int from) {
    for (int k = from; k < 3; ++k) {
      if (fds[k] >= 0) ::close(fds[k]);
    }
  };
  for (int i = 0; i < 3; ++i) {
    if (fds[i] < 0) continue;
    struct stat st {};
    if (::fstat(fds[i], &st) != 0) {
      error = "descriptor " + std::to_string(fds[i]) + " is not open";
      close_rest(i + 1);
      return nullptr;
    }
    Port& port = end->ports_[i];
    if (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      // Files and devices such as /dev/null: libuv cannot poll them.
      if (!(S_ISCHR(st.st_mode) && ::isatty(fds[i]))) {
        port.file = fds[i];
        continue;
      }
    }
    port.stream = stream_for(loop, fds[i], i == kInput);
    if (port.stream == nullptr) {
      error = "descriptor " + std::to_string(fds[i]) + " cannot be used for reading or writing";
      close_rest(i);
      return nullptr;
    }
    port.stream->data = end.get();
  }
  return end;
}

StreamEnd::~StreamEnd() {
  if (closing_) return;  // close() completed: nothing is left
  // Dropped without close() (never used): release the descriptors; no callback may reach us.
  if (shares_input(ports_[kOutput])) ports_[kOutput].stream = nullptr;
  for (Port& port : ports_) {
    if (port.stream != nullptr) {
      port.stream->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(port.stream), [](uv_handle_t* h) { std::free(h); });
    } else if (port.file >= 0) {
      ::close(port.file);
    }
  }
}

StreamEnd::Port& StreamEnd::port_for(Stream stream) {
  return stream == Stream::extended ? ports_[kError] : ports_[kOutput];
}

bool StreamEnd::shares_input(const Port& port) const {
  return port.stream != nullptr && port.stream == ports_[kInput].stream;
}

void StreamEnd::read_start() {
  Port& in = ports_[kInput];
  if (reading_ || closing_ || eof_) return;
  if (!in.used()) {
    // Nothing to read: the local side has nothing to say.
    eof_ = true;
    owner_->on_local_eof();
    return;
  }
  reading_ = true;
  if (in.file >= 0) {
    if (!file_read_in_flight_) read_file();
    return;
  }
  uv_read_start(in.stream, net::shared_read_buffer, [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    static_cast<StreamEnd*>(s->data)->on_read(nread, buf);
  });
}

void StreamEnd::read_stop() {
  if (!reading_) return;
  reading_ = false;
  if (ports_[kInput].stream != nullptr) uv_read_stop(ports_[kInput].stream);
}

void StreamEnd::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (nread == 0) return;
  if (nread < 0) {
    read_stop();
    eof_ = true;
    if (nread == UV_EOF) {
      owner_->on_local_eof();
    } else {
      owner_->on_local_error(std::string("local read error: ") + uv_strerror(static_cast<int>(nread)));
    }
    return;
  }
  owner_->on_local_data(
      ssh::ByteView(reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(nread)));
}

void StreamEnd::read_file() {
  if (!file_read_) file_read_ = std::make_unique<FileRead>();
  if (!alive_) alive_ = std::make_shared<bool>(true);
  const uv_buf_t buf = uv_buf_init(file_read_->buffer, static_cast<unsigned>(sizeof file_read_->buffer));
  file_read_->req.data = this;
  file_read_in_flight_ = true;
  ++open_handles_;
  const int rc = uv_fs_read(loop_, &file_read_->req, ports_[kInput].file, &buf, 1, -1,
                            [](uv_fs_t* req) { static_cast<StreamEnd*>(req->data)->on_file_read(req->result); });
  if (rc < 0) {
    file_read_->req.result = rc;
    on_file_read(rc);
  }
}

void StreamEnd::on_file_read(ssize_t result) {
  uv_fs_req_cleanup(&file_read_->req);
  file_read_in_flight_ = false;
  --open_handles_;
  if (closing_) {
    handle_closed();
    return;
  }
  if (result > 0) {
    // The owner may close this end from inside the call, and an end of files only is closed at
    // once: look again only if it still exists.
    const std::weak_ptr<bool> alive = alive_;
    owner_->on_local_data(
        ssh::ByteView(reinterpret_cast<const std::uint8_t*>(file_read_->buffer), static_cast<std::size_t>(result)));
    if (alive.expired()) return;
    if (reading_ && !closing_ && !file_read_in_flight_) read_file();
    return;
  }
  reading_ = false;
  eof_ = true;
  file_read_.reset();
  if (result == 0) {
    owner_->on_local_eof();
  } else {
    owner_->on_local_error(std::string("local read error: ") + uv_strerror(static_cast<int>(result)));
  }
}

void StreamEnd::write(std::vector<ssh::Bytes> parts, Stream stream) {
  const std::size_t credit = stream == Stream::control ? 0 : total_size(parts);
  Port& port = port_for(stream);
  if (closing_ || output_shut_ || !port.used()) {
    // Nowhere to write it: acknowledged so the channel's window stays open.
    release_parts(parts);
    owner_->on_local_written(credit);
    return;
  }
  if (port.file >= 0) {
    write_file(port, std::move(parts), credit);
  } else {
    write_stream(port, std::move(parts), credit);
  }
}

void StreamEnd::write_stream(Port& port, std::vector<ssh::Bytes> parts, std::size_t credit) {
  std::vector<uv_buf_t> bufs;
  bufs.reserve(parts.size());
  for (auto& p : parts) bufs.push_back(uv_buf_init(reinterpret_cast<char*>(p.data()), static_cast<unsigned>(p.size())));
  if (uv_stream_get_write_queue_size(port.stream) == 0) {
    const std::size_t first_unsent = net::write_now(port.stream, bufs.data(), bufs.size());
    if (first_unsent == bufs.size()) {
      release_parts(parts);
      owner_->on_local_written(credit);
      return;
    }
    bufs.erase(bufs.begin(), bufs.begin() + static_cast<std::ptrdiff_t>(first_unsent));  // libuv takes the rest
  }
  auto* w = new StreamWrite{{}, std::move(parts), credit, this};
  // One writev for all parts; libuv copies the buffer list when it has to queue.
  const int rc =
      uv_write(&w->req, port.stream, bufs.data(), static_cast<unsigned>(bufs.size()), [](uv_write_t* req, int status) {
        std::unique_ptr<StreamWrite> sw(reinterpret_cast<StreamWrite*>(req));
        StreamEnd* end = sw->end;
        const std::size_t c = sw->credit;
        sw.reset();
        end->write_done(c, status);
      });
  if (rc != 0) {
    delete w;
    write_done(credit, rc);
  }
}

void StreamEnd::write_file(Port& port, std::vector<ssh::Bytes> parts, std::size_t credit) {
  auto* w = new FileWrite();
  w->parts = std::move(parts);
  w->credit = credit;
  w->fd = port.file;
  w->end = this;
  w->port = &port;
  ++open_handles_;
  port.file_writes.push_back(w);
  if (port.file_writes.size() == 1) w->submit(loop_);
}

void StreamEnd::write_done(std::size_t credit, int status) {
  if (status < 0 && status != UV_ECANCELED && !closing_) {
    owner_->on_local_error(std::string("local write error: ") + uv_strerror(status));
  }
  if (closing_) {
    // The owner still counts this write; its completion comes before on_local_closed.
    owner_->on_local_written(credit);
    handle_closed();
    return;
  }
  owner_->on_local_written(credit);
}

void StreamEnd::shutdown_output() {
  Port& out = ports_[kOutput];
  if (output_shut_ || closing_) return;
  output_shut_ = true;
  if (out.stream != nullptr && shares_input(out)) {
    // A socket: half-close, so the peer sees EOF and can still send.
    auto* req = new uv_shutdown_t;
    req->data = this;
    if (uv_shutdown(req, out.stream, [](uv_shutdown_t* r, int) {
          auto* self = static_cast<StreamEnd*>(r->data);
          delete r;
          if (self != nullptr) self->owner_->on_local_output_shut();
        }) == 0) {
      return;
    }
    delete req;
  } else if (out.used()) {
    // A descriptor of its own (stdout of a session or of -W): closing it is how its reader sees EOF.
    close_port(out);
  }
  owner_->on_local_output_shut();
}

void StreamEnd::close_port(Port& port) {
  if (port.stream != nullptr) {
    ++open_handles_;
    uv_close(reinterpret_cast<uv_handle_t*>(port.stream), [](uv_handle_t* h) {
      auto* self = static_cast<StreamEnd*>(h->data);
      std::free(h);
      if (self != nullptr) {
        --self->open_handles_;
        self->handle_closed();
      }
    });
    port.stream = nullptr;
  } else if (port.file >= 0) {
    // Writes still queued use the descriptor; it goes once they are done.
    if (port.file_writes.empty()) {
      ::close(port.file);
    } else {
      port.close_after_writes = port.file;
    }
    port.file = -1;
  }
}

void StreamEnd::close() {
  if (closing_) return;
  closing_ = true;
  read_stop();
  if (shares_input(ports_[kOutput])) ports_[kOutput].stream = nullptr;
  for (Port& port : ports_) close_port(port);
  handle_closed();
}

void StreamEnd::handle_closed() {
  if (!closing_ || open_handles_ > 0 || closed_reported_) return;
  closed_reported_ = true;
  owner_->on_local_closed();
}

}  // namespace gateway
