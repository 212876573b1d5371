#include "gateway/core/channel_router.hpp"

#include "gateway/util/log.hpp"
#include "ssh/connection/channel_types.hpp"
#include "ssh/connection/message_numbers.hpp"

namespace gateway {

ChannelHandler* ChannelRouter::handler(ssh::ChannelId id) {
  const auto it = handlers_.find(id);
  return it == handlers_.end() ? nullptr : it->second;
}

ChannelHandler* ChannelRouter::take(ssh::ChannelId id) {
  const auto it = handlers_.find(id);
  if (it == handlers_.end()) return nullptr;
  ChannelHandler* h = it->second;
  handlers_.erase(it);
  want_writable_.erase(id);
  return h;
}

bool ChannelRouter::route(ssh::Event& event) {
  namespace ev = ssh::event;
  return std::visit(
      [this](auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ev::ChannelOpened>) {
          if (auto* h = handler(e.id)) h->on_open_confirmed();
        } else if constexpr (std::is_same_v<T, ev::ChannelOpenFailed>) {
          if (auto* h = take(e.id)) h->on_open_failed(e.reason, e.description);
        } else if constexpr (std::is_same_v<T, ev::ChannelData>) {
          if (auto* h = handler(e.id)) {
            if (data_received_.empty() || data_received_.back() != e.id) data_received_.push_back(e.id);
            h->on_data(std::move(e.data), e.extended_type);
          } else {
            answers_.consume(e.id, e.data.size());  // nobody to give it to; keep the window usable
          }
        } else if constexpr (std::is_same_v<T, ev::ChannelWritable>) {
          if (auto* h = handler(e.id)) h->on_writable();
        } else if constexpr (std::is_same_v<T, ev::ChannelEof>) {
          if (auto* h = handler(e.id)) h->on_eof();
        } else if constexpr (std::is_same_v<T, ev::ChannelClosed>) {
          if (auto* h = take(e.id)) h->on_closed();
        } else if constexpr (std::is_same_v<T, ev::ChannelRequest>) {
          bool understood = false;
          if (auto* h = handler(e.id)) understood = h->on_request(e);
          // RFC 4254 §5.4: a request nobody understood gets FAILURE when a reply is wanted.
          if (e.want_reply) answers_.reply_request(e.id, understood);
        } else if constexpr (std::is_same_v<T, ev::ChannelRequestResult>) {
          if (auto* h = handler(e.id)) h->on_request_result(e.seq, e.success);
        } else if constexpr (std::is_same_v<T, ev::ChannelOpenRequest>) {
          open_request(e);
        } else if constexpr (std::is_same_v<T, ev::ChannelRelayed>) {
          if (auto* h = handler(e.id)) h->on_relayed(std::move(e.payload));
        } else {
          return false;  // not a channel event
        }
        return true;
      },
      event);
}

void ChannelRouter::open_request(const ssh::event::ChannelOpenRequest& request) {
  namespace ct = ssh::connection::channel_type;
  namespace msg = ssh::connection::msg;
  if (auto it = acceptors_.find(request.type); it != acceptors_.end()) {
    // A copy: the acceptor may unregister itself while it runs.
    const Acceptor acceptor = it->second;
    acceptor(request);
    return;
  }
  if (request.type == ct::kAuthAgent || request.type == ct::kX11) {
    // Nobody asked for it: the server is probing for what it was not given (ssh's warning).
    log::error("Warning: ssh server tried %s forwarding.", request.type == ct::kX11 ? "X11" : "agent");
    log::error("Warning: this is probably a break-in attempt by a malicious server.");
    answers_.reject_channel(request.id, msg::kOpenAdministrativelyProhibited, "open failed");
    return;
  }
  log::verbose("Refusing a %s channel from the server: unknown channel type", request.type.c_str());
  answers_.reject_channel(request.id, msg::kOpenUnknownChannelType, "unknown channel type");
}

void ChannelRouter::flush_data() {
  std::vector<ssh::ChannelId> ids;
  ids.swap(data_received_);
  for (ssh::ChannelId id : ids) {
    if (auto* h = handler(id)) h->on_data_flush();
  }
}

void ChannelRouter::wake_writable() {
  auto waiting = std::move(want_writable_);
  want_writable_.clear();
  for (ssh::ChannelId id : waiting) {
    if (auto* h = handler(id)) h->on_writable();
  }
}

void ChannelRouter::close_all() {
  auto handlers = std::move(handlers_);
  handlers_.clear();
  want_writable_.clear();
  data_received_.clear();
  acceptors_.clear();
  for (auto& [id, h] : handlers) h->on_closed();
}

}  // namespace gateway
