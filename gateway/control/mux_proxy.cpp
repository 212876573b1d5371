#include "gateway/control/mux_proxy.hpp"

#include "gateway/util/liveness.hpp"
#include "gateway/util/log.hpp"
#include "ssh/connection/message_numbers.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace gateway::control {
namespace {

namespace msg = ssh::connection::msg;

std::uint32_t get_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

void put_u32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

ssh::Bytes channel_close(std::uint32_t recipient) {
  ssh::wire::Writer w(msg::kChannelClose);
  w.u32(recipient);
  return w.take();
}

}  // namespace

ssh::Bytes proxy_frame(ssh::ByteView message) {
  ssh::Bytes frame(4 + 1 + message.size());
  put_u32(frame.data(), static_cast<std::uint32_t>(message.size() + 1));
  frame[4] = 0;
  std::copy(message.begin(), message.end(), frame.begin() + 5);
  return frame;
}

// One channel of the client, relayed on the connection. It lives until the connection forgets the
// id (on_closed), which may be after the proxy is gone: then it only finishes the close.
class MuxProxy::Relay final : public ChannelHandler {
 public:
  Relay(MuxProxy* owner, std::uint32_t client_id) : owner_(owner), client_id_(client_id) {}

  void attach(ssh::ChannelId id) { id_ = id; }
  // The client is gone: close on the server (once it answered the open).
  void orphan(SshSession* session) {
    owner_ = nullptr;
    if (open_ && !close_sent_ && session != nullptr) send_close(*session);
  }
  bool from_client(SshSession& session, ssh::Bytes message) {
    if (message[0] == msg::kChannelClose) close_sent_ = true;
    return session.send_relayed(id_, std::move(message));
  }

  void on_relayed(ssh::Bytes payload) override {
    if (payload[0] == msg::kChannelOpenConfirmation) {
      open_ = true;
      if (owner_ == nullptr) {
        if (auto* s = session()) send_close(*s);
        return;
      }
      // The client knows the channel by our id, in place of the server's.
      put_u32(payload.data() + 5, id_);
    }
    if (owner_ == nullptr) return;
    put_u32(payload.data() + 1, client_id_);
    owner_->to_client(payload);
  }
  void on_closed() override {
    if (owner_ != nullptr) owner_->relay_closed(id_);
    delete this;
  }
  // A relayed channel's events all come as on_relayed.
  void on_open_confirmed() override {}
  void on_open_failed(std::uint32_t, const std::string&) override {}
  void on_data(ssh::Bytes, std::uint32_t) override {}
  void on_writable() override {}
  void on_eof() override {}

  void set_session(SshSession& session) {
    session_ = &session;
    session_alive_ = session.liveness();
  }

 private:
  SshSession* session() const { return util::still_alive(session_alive_) ? session_ : nullptr; }
  void send_close(SshSession& session) {
    close_sent_ = true;
    session.send_relayed(id_, channel_close(0));
  }

  MuxProxy* owner_;
  std::uint32_t client_id_;
  ssh::ChannelId id_ = 0;
  bool open_ = false;
  bool close_sent_ = false;
  SshSession* session_ = nullptr;
  std::weak_ptr<bool> session_alive_;
};

MuxProxy::MuxProxy(SshSession& session, std::function<void(ssh::Bytes)> to_client,
                   std::function<void(const std::string&)> failed)
    : session_(session), session_alive_(session.liveness()), send_(std::move(to_client)), failed_(std::move(failed)) {}

MuxProxy::~MuxProxy() {
  SshSession* session = util::still_alive(session_alive_) ? &session_ : nullptr;
  for (auto& [id, relay] : relays_) relay->orphan(session);
  relays_.clear();
}

void MuxProxy::to_client(ssh::ByteView message) { send_(proxy_frame(message)); }

void MuxProxy::relay_closed(ssh::ChannelId id) {
  relays_.erase(id);
  // The channels go with their connection: nothing can carry the client any more.
  if (!util::still_alive(session_alive_) || session_.finished()) fail("the connection to the server was lost");
}

void MuxProxy::fail(const std::string& why) {
  if (failed_once_) return;
  failed_once_ = true;
  failed_(why);
}

void MuxProxy::from_client(ssh::ByteView body) {
  // As OpenSSH reads it: the padding length must be 0 and the message follows at once.
  if (body.size() < 2 || body[0] != 0) {
    fail("malformed proxy packet");
    return;
  }
  if (!util::still_alive(session_alive_) || session_.finished()) {
    fail("the connection to the server was lost");
    return;
  }
  const ssh::ByteView message = body.subspan(1);
  const std::uint8_t type = message[0];
  if (type < msg::kFirstConnectionMessage || type > msg::kLastConnectionMessage) return;  // as OpenSSH: ignored
  ssh::wire::Reader r(message.subspan(1));
  switch (type) {
    case msg::kGlobalRequest: {
      std::string_view name;
      bool want_reply = false;
      if (!r.string(name) || !r.boolean(want_reply)) {
        fail("malformed GLOBAL_REQUEST from the proxy client");
        return;
      }
      log::verbose("control socket proxy: refusing the client's global request %.*s", static_cast<int>(name.size()),
                   name.data());
      if (want_reply) to_client(ssh::Bytes{msg::kRequestFailure});
      return;
    }
    case msg::kChannelOpen: {
      std::string_view channel_type;
      std::uint32_t client_id = 0, window = 0, max_packet = 0;
      if (!r.string(channel_type) || !r.u32(client_id) || !r.u32(window) || !r.u32(max_packet)) {
        fail("malformed CHANNEL_OPEN from the proxy client");
        return;
      }
      auto* relay = new Relay(this, client_id);
      relay->set_session(session_);
      const auto id = session_.open_relayed(channel_type, window, max_packet, r.rest(), *relay);
      if (!id) {
        delete relay;
        ssh::wire::Writer w(msg::kChannelOpenFailure);
        w.u32(client_id).u32(msg::kOpenResourceShortage).string(std::string_view("no channel available")).string(
            std::string_view(""));
        to_client(w.take());
        return;
      }
      relay->attach(*id);
      relays_[*id] = relay;
      return;
    }
    default:
      break;
  }
  if (type >= msg::kChannelWindowAdjust && type <= msg::kChannelFailure && message.size() >= 5) {
    const ssh::ChannelId id = get_u32(message.data() + 1);
    const auto it = relays_.find(id);
    if (it == relays_.end()) {
      fail("the proxy client named a channel it does not have");
      return;
    }
    if (!it->second->from_client(session_, ssh::Bytes(message.begin(), message.end()))) {
      fail("the proxy client used a channel that is not open");
    }
    return;
  }
  if (type == msg::kRequestSuccess || type == msg::kRequestFailure) return;  // we relay no server requests
  fail("unexpected message " + std::to_string(type) + " from the proxy client");
}

}  // namespace gateway::control
