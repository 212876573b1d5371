#include "gateway/net/connector.hpp"

#include <cstdlib>
#include <vector>

namespace gateway::net {
namespace {

void free_handle(uv_handle_t* h) { std::free(h); }

// Shared by both kinds: the deferred start (so the callback never runs inside connect_*), the
// self-reference that keeps the attempt alive while libuv holds pointers to it, and completion.
class AttemptBase : public ConnectAttempt, public std::enable_shared_from_this<AttemptBase> {
 public:
  AttemptBase(uv_loop_t* loop, Callback callback) : loop_(loop), callback_(std::move(callback)) {}

  void start() {
    self_ = shared_from_this();
    timer_ = static_cast<uv_timer_t*>(std::malloc(sizeof(uv_timer_t)));
    uv_timer_init(loop_, timer_);
    timer_->data = this;
    uv_timer_start(timer_, [](uv_timer_t* t) { static_cast<AttemptBase*>(t->data)->begin(); }, 0, 0);
  }

  void cancel() override {
    if (done_) return;
    done_ = true;
    callback_ = nullptr;
    release_handles();
    self_.reset();
  }

 protected:
  virtual void begin() = 0;

  // A connect request whose callback reaches this attempt even after it finished (it then only
  // learns that its socket was closed).
  struct ConnectReq {
    uv_connect_t req{};
    std::shared_ptr<AttemptBase> owner;
    uv_stream_t* stream;
  };

  static void on_connect(uv_connect_t* r, int status) {
    std::unique_ptr<ConnectReq> req(reinterpret_cast<ConnectReq*>(r));
    AttemptBase& self = *req->owner;
    if (self.done_ || req->stream != self.stream_) return;  // cancelled: the socket is already closing
    if (status == 0) {
      uv_stream_t* s = self.stream_;
      self.stream_ = nullptr;
      self.finish(ConnectResult{s, 0, {}});
      return;
    }
    self.close_stream();
    self.on_failed(status);
  }

  // Called after a failed attempt; the TCP kind tries its next address.
  virtual void on_failed(int status) { finish(ConnectResult{nullptr, status, uv_strerror(status)}); }

  void finish(ConnectResult result) {
    if (done_) {
      if (result.stream != nullptr) uv_close(reinterpret_cast<uv_handle_t*>(result.stream), free_handle);
      return;
    }
    done_ = true;
    release_handles();
    Callback callback = std::move(callback_);
    std::shared_ptr<AttemptBase> keep = std::move(self_);
    if (callback) {
      callback(std::move(result));
    } else if (result.stream != nullptr) {
      uv_close(reinterpret_cast<uv_handle_t*>(result.stream), free_handle);
    }
  }

  void close_stream() {
    if (stream_ == nullptr) return;
    uv_close(reinterpret_cast<uv_handle_t*>(stream_), free_handle);
    stream_ = nullptr;
  }

  void release_handles() {
    close_stream();
    if (timer_ != nullptr) {
      uv_close(reinterpret_cast<uv_handle_t*>(timer_), free_handle);
      timer_ = nullptr;
    }
  }

  uv_loop_t* loop_;
  Callback callback_;
  std::shared_ptr<AttemptBase> self_;
  uv_timer_t* timer_ = nullptr;
  uv_stream_t* stream_ = nullptr;  // the socket being connected
  bool done_ = false;
};

class TcpAttempt final : public AttemptBase {
 public:
  TcpAttempt(uv_loop_t* loop, Resolver& resolver, std::string host, std::uint16_t port, Callback callback)
      : AttemptBase(loop, std::move(callback)), resolver_(resolver), host_(std::move(host)), port_(port) {}

 private:
  void begin() override {
    if (done_) return;
    std::weak_ptr<AttemptBase> weak = shared_from_this();
    // Brackets are how forward specs write IPv6 addresses; c-ares wants the bare address.
    std::string host = host_;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    resolver_.resolve(host, port_, [this, weak](ResolveResult result) {
      auto alive = weak.lock();
      if (!alive || done_) return;
      if (result.addresses.empty()) {
        finish(ConnectResult{nullptr, UV_EAI_NONAME, "Could not resolve " + host_ + ": " + result.error});
        return;
      }
      addresses_ = std::move(result.addresses);
      next_ = 0;
      connect_next();
    });
  }

  void connect_next() {
    while (!done_ && next_ < addresses_.size()) {
      const ResolvedAddress& address = addresses_[next_++];
      auto* tcp = static_cast<uv_tcp_t*>(std::malloc(sizeof(uv_tcp_t)));
      uv_tcp_init(loop_, tcp);
      uv_tcp_nodelay(tcp, 1);
      stream_ = reinterpret_cast<uv_stream_t*>(tcp);
      auto* req = new ConnectReq{{}, shared_from_this(), stream_};
      const int rc = uv_tcp_connect(&req->req, tcp, reinterpret_cast<const sockaddr*>(&address.addr), on_connect);
      if (rc == 0) return;
      delete req;
      close_stream();
      last_status_ = rc;
    }
    if (!done_) finish(ConnectResult{nullptr, last_status_, uv_strerror(last_status_)});
  }

  void on_failed(int status) override {
    last_status_ = status;
    connect_next();
  }

  Resolver& resolver_;
  std::string host_;
  std::uint16_t port_;
  std::vector<ResolvedAddress> addresses_;
  std::size_t next_ = 0;
  int last_status_ = UV_EADDRNOTAVAIL;
};

class UnixAttempt final : public AttemptBase {
 public:
  UnixAttempt(uv_loop_t* loop, std::string path, Callback callback)
      : AttemptBase(loop, std::move(callback)), path_(std::move(path)) {}

 private:
  void begin() override {
    if (done_) return;
    auto* pipe = static_cast<uv_pipe_t*>(std::malloc(sizeof(uv_pipe_t)));
    uv_pipe_init(loop_, pipe, 0);
    stream_ = reinterpret_cast<uv_stream_t*>(pipe);
    // uv_pipe_connect reports every failure, including a too long path, through the callback.
    auto* req = new ConnectReq{{}, shared_from_this(), stream_};
    uv_pipe_connect(&req->req, pipe, path_.c_str(), on_connect);
  }

  std::string path_;
};

}  // namespace

std::shared_ptr<ConnectAttempt> connect_tcp(uv_loop_t* loop, Resolver& resolver, const std::string& host,
                                            std::uint16_t port, ConnectAttempt::Callback callback) {
  auto attempt = std::make_shared<TcpAttempt>(loop, resolver, host, port, std::move(callback));
  attempt->start();
  return attempt;
}

std::shared_ptr<ConnectAttempt> connect_unix(uv_loop_t* loop, const std::string& path,
                                             ConnectAttempt::Callback callback) {
  auto attempt = std::make_shared<UnixAttempt>(loop, path, std::move(callback));
  attempt->start();
  return attempt;
}

}  // namespace gateway::net
