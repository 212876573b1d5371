#include "gateway/session/agent_forward.hpp"

#include <cstdlib>

#include "gateway/channel/handshake_end.hpp"
#include "gateway/core/ssh_session.hpp"
#include "gateway/net/connector.hpp"
#include "gateway/net/listener.hpp"
#include "gateway/util/liveness.hpp"
#include "gateway/util/log.hpp"
#include "ssh/agent/agent_codec.hpp"
#include "ssh/connection/channel_types.hpp"
#include "ssh/connection/message_numbers.hpp"
#include "ssh/connection/session_requests.hpp"

namespace gateway::session {
namespace {

// Reaching the agent and its answer to the binding; it is a local socket, so this is generous.
constexpr std::chrono::milliseconds kAgentTimeout{10000};

// The local end of one forwarded agent channel: connect to the agent, bind the connection, then
// relay. What the server sends meanwhile waits (with its window credit) until the relay starts.
class AgentEnd final : public HandshakeEnd {
 public:
  AgentEnd(uv_loop_t* loop, const std::string& socket_path, ssh::Bytes bind_request)
      : HandshakeEnd(loop, kAgentTimeout, "agent connection"), bind_request_(std::move(bind_request)) {
    handshake_complete();  // nothing to learn from the channel first
    attempt_ = net::connect_unix(loop, socket_path, [this](net::ConnectResult result) { on_connected(result); });
  }
  ~AgentEnd() override { cancel(); }

 private:
  std::size_t handshake_data(ssh::ByteView) override { return 0; }

  void cancel() override {
    if (attempt_) attempt_->cancel();
    attempt_.reset();
    if (binding_ != nullptr) {
      uv_read_stop(binding_);
      binding_->data = nullptr;
      net::close_stream(binding_);
      binding_ = nullptr;
    }
  }

  void on_connected(net::ConnectResult result) {
    attempt_.reset();
    if (result.stream == nullptr) {
      fail("cannot reach the agent: " + result.error);
      return;
    }
    if (bind_request_.empty()) {
      connected(result.stream);
      return;
    }
    // session-bind first; its answer is read here and not passed on (the server never asked).
    binding_ = result.stream;
    binding_->data = this;
    auto* req = new WriteReq{{}, std::move(bind_request_)};
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(req->data.data()), static_cast<unsigned>(req->data.size()));
    if (uv_write(&req->req, binding_, &buf, 1, [](uv_write_t* w, int) { delete reinterpret_cast<WriteReq*>(w); }) !=
        0) {
      delete req;
      fail("cannot write to the agent");
      return;
    }
    uv_read_start(
        binding_,
        [](uv_handle_t* h, size_t, uv_buf_t* b) {
          auto* self = static_cast<AgentEnd*>(h->data);
          *b = uv_buf_init(self->read_buffer_, sizeof self->read_buffer_);
        },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
          if (auto* self = static_cast<AgentEnd*>(s->data)) self->on_bind_answer(n, b);
        });
  }

  void on_bind_answer(ssize_t n, const uv_buf_t* buf) {
    if (n == 0) return;
    if (n < 0) {
      fail("the agent closed the connection");
      return;
    }
    decoder_.feed(ssh::ByteView(reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(n)));
    const auto frame = decoder_.next();
    if (frame.status == ssh::agent::FrameDecoder::Status::need_more) return;
    if (frame.status == ssh::agent::FrameDecoder::Status::frame) {
      // SUCCESS, or FAILURE from an agent without the extension: forwarding works either way.
      const bool bound = !frame.body.empty() && frame.body[0] == ssh::agent::kSuccess;
      log::debug("agent connection: %s", bound ? "bound to this connection" : "the agent did not take the binding");
    }
    uv_read_stop(binding_);
    uv_stream_t* stream = binding_;
    binding_ = nullptr;
    if (frame.status == ssh::agent::FrameDecoder::Status::error) {
      net::close_stream(stream);
      fail("bad answer from the agent: " + frame.error);
      return;
    }
    connected(stream);
  }

  struct WriteReq {
    uv_write_t req;
    ssh::Bytes data;
  };

  ssh::Bytes bind_request_;
  std::shared_ptr<net::ConnectAttempt> attempt_;
  uv_stream_t* binding_ = nullptr;
  ssh::agent::FrameDecoder decoder_;
  char read_buffer_[512];
};

}  // namespace

AgentForwarding::AgentForwarding(uv_loop_t* loop, std::string agent_socket)
    : loop_(loop), agent_socket_(std::move(agent_socket)) {}

AgentForwarding::~AgentForwarding() {
  *alive_ = false;
  close();
}

std::optional<std::string> AgentForwarding::socket_for(const config::Options& options, std::string& why) {
  const std::string& setting = options.forward_agent;
  if (setting.empty()) return std::nullopt;
  std::string variable;
  if (setting == "SSH_AUTH_SOCK") {
    variable = "SSH_AUTH_SOCK";
  } else if (setting.starts_with("$")) {
    variable = setting.substr(1);
  } else {
    return setting;
  }
  const char* value = std::getenv(variable.c_str());
  if (value == nullptr || *value == '\0') {
    why = "ForwardAgent: $" + variable + " is not set; the agent is not forwarded";
    return std::nullopt;
  }
  return std::string(value);
}

void AgentForwarding::attach(SshSession& session) {
  std::weak_ptr<bool> alive = alive_;
  SshSession* s = &session;
  session.register_channel_type(std::string(ssh::connection::channel_type::kAuthAgent),
                                [this, alive, s](const ssh::event::ChannelOpenRequest& r) {
                                  if (!util::still_alive(alive)) {
                                    s->reject_channel(r.id, ssh::connection::msg::kOpenAdministrativelyProhibited,
                                                      "open failed");
                                    return;
                                  }
                                  accept(*s, r);
                                });
}

std::optional<ChannelForwarding::Request> AgentForwarding::request() {
  if (closed_) return std::nullopt;
  return Request{std::string(ssh::connection::session_request::kAuthAgentReq), {}, false, "agent forwarding"};
}

void AgentForwarding::accept(SshSession& session, const ssh::event::ChannelOpenRequest& request) {
  if (closed_) {
    session.reject_channel(request.id, ssh::connection::msg::kOpenAdministrativelyProhibited, "open failed");
    return;
  }
  log::debug("agent forwarding: the server opens an agent connection");
  const auto& transport = session.client().transport();
  ssh::Bytes bind;
  if (!transport.initial_host_key().empty()) {
    bind = ssh::agent::encode_session_bind(transport.initial_host_key(), transport.session_id(),
                                           transport.initial_signature(), true);
  }
  pumps_.create(session, std::make_unique<AgentEnd>(loop_, agent_socket_, std::move(bind)), "agent connection")
      ->accept(request.id);
}

void AgentForwarding::close() {
  if (closed_) return;
  closed_ = true;
  pumps_.abort_all();
}

}  // namespace gateway::session
