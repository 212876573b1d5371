#include "gateway/forward/socks_forward.hpp"

#include <memory>

#include "gateway/channel/stream_end.hpp"
#include "gateway/util/log.hpp"
#include "ssh/connection/channel_types.hpp"
#include "socks/channel_failure.hpp"
#include "socks/reply.hpp"
#include "socks/server_codec.hpp"

namespace gateway {
namespace {

constexpr std::size_t kReadChunk = 4096;
// A client that has not finished its SOCKS handshake by then is dropped (it holds a descriptor).
constexpr std::uint64_t kHandshakeTimeoutMs = 30000;

}  // namespace

std::string SocksForwardSpec::describe() const {
  return "SOCKS " + (listen_path.empty() ? listen_address + ":" + std::to_string(listen_port) : listen_path);
}

// One client between accept and its CONNECT request: reads, feeds the codec, writes its answers.
class SocksForward::Handshake {
 public:
  Handshake(SocksForward& owner, uv_stream_t* stream)
      : owner_(owner), stream_(stream), codec_(config_for(owner.spec_)) {
    stream_->data = this;
    timer_ = new uv_timer_t;
    uv_timer_init(owner_.loop_, timer_);
    timer_->data = this;
    uv_timer_start(timer_, [](uv_timer_t* t) { static_cast<Handshake*>(t->data)->fail("handshake timed out"); },
                   kHandshakeTimeoutMs, 0);
    uv_read_start(
        stream_,
        [](uv_handle_t*, size_t, uv_buf_t* buf) {
          buf->base = new char[kReadChunk];
          buf->len = kReadChunk;
        },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
          static_cast<Handshake*>(s->data)->on_read(n, buf);
          delete[] buf->base;
        });
  }
  ~Handshake() {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;

  // Gives the stream away (to a splice); the handshake is finished.
  uv_stream_t* release_stream() {
    uv_read_stop(stream_);
    uv_timer_stop(timer_);
    uv_stream_t* s = stream_;
    stream_ = nullptr;
    return s;
  }
  const socks::ConnectRequest& request() const { return request_; }
  void abort() { fail("forward closing"); }
  ssh::Bytes take_early_data() { return codec_.take_remaining(); }

 private:
  void on_read(ssize_t n, const uv_buf_t* buf) {
    if (n == 0 || stream_ == nullptr) return;
    if (n < 0) {
      fail("client closed during the SOCKS handshake");
      return;
    }
    handle(codec_.feed(ssh::ByteView(reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(n))));
  }

  static socks::ServerConfig config_for(const SocksForwardSpec& spec) {
    socks::ServerConfig config;
    if (spec.credentials != nullptr) config.auth = socks::AuthMode::username_password;
    return config;
  }

  void handle(socks::Step step) {
    if (!step.send.empty()) write(std::move(step.send));
    switch (step.kind) {
      case socks::Step::Kind::need_more:
        return;
      case socks::Step::Kind::credentials: {
        const auto& c = step.credentials;
        const bool ok = owner_.spec_.credentials != nullptr &&
                        owner_.spec_.credentials->check(c.username, std::string_view(c.password.data(), c.password.size()));
        if (!ok) log::info("%s: SOCKS authentication failed for user '%s'", owner_.spec_.describe().c_str(), c.username.c_str());
        handle(codec_.answer_credentials(ok));
        return;
      }
      case socks::Step::Kind::error:
        fail(socks::to_string(step.error));
        return;
      case socks::Step::Kind::connect:
        request_ = std::move(step.request);
        owner_.start_channel(this);
        return;
    }
  }

  void write(ssh::Bytes bytes) {
    struct Req {
      uv_write_t w;
      ssh::Bytes data;
    };
    auto* req = new Req{{}, std::move(bytes)};
    uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(req->data.data()), static_cast<unsigned>(req->data.size()));
    if (uv_write(&req->w, stream_, &b, 1, [](uv_write_t* w, int) { delete reinterpret_cast<Req*>(w); }) != 0) {
      delete req;
    }
  }

  void fail(const std::string& why) {
    log::debug("%s: %s", owner_.spec_.describe().c_str(), why.c_str());
    if (stream_ != nullptr) {
      // Pending reply writes are flushed by libuv before the close callback (it shuts writes down).
      net::close_stream(release_stream());
    }
    owner_.handshakes_.erase(this);
    delete this;
  }

  SocksForward& owner_;
  uv_stream_t* stream_;
  uv_timer_t* timer_ = nullptr;
  socks::ServerCodec codec_;
  socks::ConnectRequest request_;
};

SocksForward::SocksForward(uv_loop_t* loop, SocksForwardSpec spec, Upstream& upstream, ForwardLimits limits)
    : loop_(loop), spec_(std::move(spec)), limits_(limits), waits_(upstream) {}

SocksForward::~SocksForward() { close(); }

bool SocksForward::start(std::string& error) {
  std::string why;
  listener_ = net::listen(
      loop_,
      net::ListenSpec{spec_.listen_path, spec_.socket_mask, spec_.unlink_existing, spec_.listen_address,
                      spec_.listen_port},
      this, [](uv_stream_t* server, int status) { static_cast<SocksForward*>(server->data)->on_connection(status); },
      why);
  if (listener_.stream == nullptr) {
    error = "cannot listen for dynamic forward " + spec_.describe() + ": " + why;
    return false;
  }
  if (spec_.listen_path.empty()) spec_.listen_port = listener_.bound_port;
  return true;
}

void SocksForward::on_connection(int status) {
  const std::string forward = spec_.describe();
  log::Scope scope(log::kForwardField, forward);
  if (status < 0) {
    log::error("%s: accept failed: %s", spec_.describe().c_str(), uv_strerror(status));
    return;
  }
  uv_stream_t* client = net::accept_client(loop_, listener_);
  if (client == nullptr) return;
  if (active_connections() >= limits_.max_clients) {
    log::info("%s: MaxClients (%u) reached; refusing client", spec_.describe().c_str(), limits_.max_clients);
    pumps_.counters().failed(OpenFailure::limit);
    net::close_stream(client);
    return;
  }
  handshakes_.insert(new Handshake(*this, client));
}

void SocksForward::start_channel(Handshake* handshake) {
  const std::string forward = spec_.describe();
  log::Scope scope(log::kForwardField, forward);
  const socks::ConnectRequest request = handshake->request();
  ssh::Bytes early = handshake->take_early_data();
  uv_stream_t* client = handshake->release_stream();
  handshakes_.erase(handshake);
  delete handshake;

  if (pending_opens_at_limit()) {
    log::info("%s: MaxPendingOpens (%u) opens already pending; refusing client", spec_.describe().c_str(),
              limits_.max_pending_opens);
    pumps_.counters().failed(OpenFailure::limit);
    open_channel(nullptr, request, client, {});
    return;
  }
  auto early_data = std::make_shared<ssh::Bytes>(std::move(early));
  waits_.acquire(limits_.wait_timeout, [this, request, client, early_data](SshSession* session) {
    if (session == nullptr) pumps_.counters().failed(OpenFailure::no_connection);
    open_channel(session, request, client, std::move(*early_data));
  });
}

namespace {

// Answers the SOCKS client once its channel's fate is known: success before any data, or the reply
// code that matches the server's reason (the pump then closes the client after writing it).
class SocksReplies final : public ChannelObserver {
 public:
  explicit SocksReplies(socks::ConnectRequest request) : request_(std::move(request)) {}
  void on_open_confirmed(ChannelPump& pump) override { pump.write_control(socks::encode_success(request_)); }
  void on_open_failed(ChannelPump& pump, std::uint32_t reason, const std::string& description) override {
    pump.write_control(socks::encode_failure(request_, socks::reply_for_channel_open_failure(reason, description)));
  }

 private:
  socks::ConnectRequest request_;
};

}  // namespace

void SocksForward::open_channel(SshSession* session, const socks::ConnectRequest& request, uv_stream_t* client,
                                ssh::Bytes early) {
  const std::string host = socks::host_string(request.destination);
  const std::string label = spec_.describe() + " -> " + host + ":" + std::to_string(request.port);
  const std::string forward = spec_.describe();
  log::Scope scope(log::kForwardField, forward);
  if (session == nullptr) {
    log::info("%s: no connection to the server; refusing client", label.c_str());
    struct Req {
      uv_write_t w;
      ssh::Bytes data;
      uv_stream_t* stream;
    };
    auto* req = new Req{{}, socks::encode_failure(request, socks::ReplyCode::network_unreachable), client};
    uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(req->data.data()), static_cast<unsigned>(req->data.size()));
    if (uv_write(&req->w, client, &b, 1, [](uv_write_t* w, int) {
          auto* r = reinterpret_cast<Req*>(w);
          net::close_stream(r->stream);
          delete r;
        }) != 0) {
      net::close_stream(client);
      delete req;
    }
    return;
  }
  std::uint16_t origin_port = 0;
  const std::string origin = net::peer_address(client, listener_.unix_socket, origin_port);
  namespace ct = ssh::connection::channel_type;
  ChannelPump* pump = pumps_.create(*session, std::make_unique<StreamEnd>(client), label);
  pump->own_observer(std::make_unique<SocksReplies>(request));
  pump->prepend_input(std::move(early));
  pump->open(ct::kDirectTcpip, ct::direct_tcpip(host, request.port, origin, origin_port));
}

bool SocksForward::pending_opens_at_limit() const {
  return waits_.waiting() + pumps_.opening() >= limits_.max_pending_opens;
}

void SocksForward::stop_listening() {
  if (listener_.stream != nullptr) {
    net::close_stream(listener_.stream, listener_.unix_socket ? spec_.listen_path : std::string());
    listener_.stream = nullptr;
  }
}

void SocksForward::close() {
  stop_listening();
  waits_.cancel_all();
  for (Handshake* h : std::unordered_set<Handshake*>(handshakes_)) h->abort();
  pumps_.abort_all();
}

}  // namespace gateway
