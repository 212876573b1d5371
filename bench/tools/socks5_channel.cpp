#include "bench/tools/socks5_channel.hpp"

#include <cstring>

#include "bench/tools/clock.hpp"
#include "bench/tools/net.hpp"

namespace bench::tools {

namespace {

// RFC 1928 §3: version 5, one method offered, 0x00 = no authentication required.
const std::uint8_t kGreeting[] = {5, 1, 0};
const std::uint8_t kProbe[] = {'x'};

}  // namespace

Socks5Channel::Socks5Channel(Observer& observer, const sockaddr_in& target) : observer_(observer) {
  // RFC 1928 §4: VER 5, CMD 1 (CONNECT), RSV 0, ATYP 1 (IPv4), address and port in network order.
  request_[0] = 5;
  request_[1] = 1;
  request_[2] = 0;
  request_[3] = 1;
  std::memcpy(request_ + 4, &target.sin_addr, 4);
  std::memcpy(request_ + 8, &target.sin_port, 2);
}

Socks5Channel* Socks5Channel::open(uv_loop_t* loop, const sockaddr_in* proxy, const sockaddr_in& target,
                                   Observer& observer, int* error) {
  auto* channel = new Socks5Channel(observer, target);
  channel->direct_ = proxy == nullptr;
  uv_tcp_init(loop, &channel->tcp_);
  channel->tcp_.data = channel;
  channel->connect_.data = channel;
  channel->started_ns_ = monotonic_ns();
  const int r = tcp_connect(&channel->tcp_, &channel->connect_, proxy != nullptr ? *proxy : target, on_connect);
  if (r != 0) {
    *error = r;
    channel->state_ = State::Closed;
    uv_close(as_handle(&channel->tcp_), [](uv_handle_t* h) { delete static_cast<Socks5Channel*>(h->data); });
    return nullptr;
  }
  return channel;
}

void Socks5Channel::close() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  uv_close(as_handle(&tcp_), [](uv_handle_t* h) { delete static_cast<Socks5Channel*>(h->data); });
}

void Socks5Channel::fail(const char* why) {
  if (state_ == State::Closed) return;
  const bool was_ready = state_ == State::Ready;
  // Closed first, so an observer that calls close() from the callback is harmless.
  close();
  if (was_ready) {
    observer_.on_channel_lost(*this);
  } else {
    observer_.on_channel_failed(*this, why);
  }
}

void Socks5Channel::on_connect(uv_connect_t* req, int status) {
  auto& self = *static_cast<Socks5Channel*>(req->data);
  if (status == UV_ECANCELED || self.state_ == State::Closed) return;
  if (status < 0) {
    self.fail(uv_err_name(status));
    return;
  }
  uv_read_start(as_stream(&self.tcp_), alloc_shared, on_read);
  if (self.direct_) {
    self.state_ = State::Echo;
    self.send(kProbe, sizeof kProbe);
    return;
  }
  self.state_ = State::MethodChoice;
  self.send(kGreeting, sizeof kGreeting);
}

void Socks5Channel::send(const std::uint8_t* data, std::size_t len) {
  int error = 0;
  const auto* bytes = reinterpret_cast<const char*>(data);
  if (write_or_queue(as_stream(&tcp_), bytes, len, on_write_done, this, &error) == WriteOutcome::Failed) {
    fail(uv_err_name(error));
  }
}

void Socks5Channel::on_write_done(void* user, int status) {
  auto& self = *static_cast<Socks5Channel*>(user);
  if (status < 0 && status != UV_ECANCELED) self.fail(uv_err_name(status));
}

void Socks5Channel::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto& self = *static_cast<Socks5Channel*>(stream->data);
  if (nread == 0 || self.state_ == State::Closed) return;
  if (nread == UV_EOF) {
    self.fail("the proxy closed the connection");
    return;
  }
  if (nread < 0) {
    self.fail(uv_err_name(static_cast<int>(nread)));
    return;
  }
  self.consume(reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(nread));
}

std::size_t Socks5Channel::wanted() const {
  std::size_t total = 0;
  switch (state_) {
    case State::MethodChoice:
      total = 2;
      break;
    case State::Reply:
      // RFC 1928 §6: VER REP RSV ATYP, then the bound address (its length depends on ATYP), port.
      if (in_len_ < 5) {
        total = 5;
      } else if (in_[3] == 1) {
        total = 4 + 4 + 2;
      } else if (in_[3] == 4) {
        total = 4 + 16 + 2;
      } else {
        total = 4 + 1 + std::size_t{in_[4]} + 2;
      }
      break;
    case State::Echo:
      total = 1;
      break;
    case State::Connecting:
    case State::Ready:
    case State::Closed:
      return 0;
  }
  return total > in_len_ ? total - in_len_ : 0;
}

void Socks5Channel::consume(const std::uint8_t* data, std::size_t len) {
  while (len > 0 && state_ != State::Closed) {
    if (state_ == State::Ready) return;  // an idle held channel: the echo target sends nothing more
    const std::size_t want = wanted();
    const std::size_t take = want < len ? want : len;
    std::memcpy(in_.data() + in_len_, data, take);
    in_len_ = static_cast<std::uint16_t>(in_len_ + take);
    data += take;
    len -= take;
    if (wanted() != 0) continue;
    advance();
    // Each step waits for our next message, so bytes beyond the current one are a protocol error.
    if (len > 0 && state_ != State::Ready && state_ != State::Closed) fail("unexpected bytes from the proxy");
  }
}

void Socks5Channel::advance() {
  const std::uint16_t got = in_len_;
  in_len_ = 0;
  switch (state_) {
    case State::MethodChoice:
      if (in_[0] != 5 || in_[1] != 0) {
        fail("the proxy refused the no-authentication method");
        return;
      }
      state_ = State::Reply;
      send(request_, sizeof request_);
      return;
    case State::Reply:
      if (in_[0] != 5 || in_[1] != 0 || got < 5) {
        fail("the proxy refused the CONNECT");
        return;
      }
      if (in_[3] != 1 && in_[3] != 3 && in_[3] != 4) {
        fail("bad address type in the proxy's reply");
        return;
      }
      state_ = State::Echo;
      send(kProbe, sizeof kProbe);
      return;
    case State::Echo:
      if (in_[0] != kProbe[0]) {
        fail("the echo came back wrong");
        return;
      }
      state_ = State::Ready;
      observer_.on_channel_ready(*this);
      return;
    case State::Connecting:
    case State::Ready:
    case State::Closed:
      return;
  }
}

std::vector<Socks5Channel*> overdue_opens(LiveList<Socks5Channel>& in_flight, std::uint64_t now_ns) {
  std::vector<Socks5Channel*> overdue;
  in_flight.for_each([&](Socks5Channel& c) {
    if (now_ns - c.started_ns() > kOpenTimeoutNs) overdue.push_back(&c);
  });
  return overdue;
}

}  // namespace bench::tools
