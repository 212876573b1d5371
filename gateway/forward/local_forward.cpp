#include "gateway/forward/local_forward.hpp"

#include "gateway/channel/stream_end.hpp"
#include "gateway/util/log.hpp"
#include "ssh/connection/channel_types.hpp"

namespace gateway {

std::string LocalForwardSpec::describe() const {
  std::string from = listen_path.empty() ? listen_address + ":" + std::to_string(listen_port) : listen_path;
  std::string to = target_path.empty() ? target_host + ":" + std::to_string(target_port) : target_path;
  return from + " -> " + to;
}

LocalForward::LocalForward(uv_loop_t* loop, LocalForwardSpec spec, Upstream& upstream, ForwardLimits limits)
    : loop_(loop), spec_(std::move(spec)), limits_(limits), waits_(upstream) {}

LocalForward::~LocalForward() { close(); }

bool LocalForward::start(std::string& error) {
  std::string why;
  listener_ = net::listen(
      loop_,
      net::ListenSpec{spec_.listen_path, spec_.socket_mask, spec_.unlink_existing, spec_.listen_address,
                      spec_.listen_port},
      this, [](uv_stream_t* server, int status) { static_cast<LocalForward*>(server->data)->on_connection(status); },
      why);
  if (listener_.stream == nullptr) {
    error = "cannot listen for local forward " + spec_.describe() + ": " + why;
    return false;
  }
  if (spec_.listen_path.empty()) spec_.listen_port = listener_.bound_port;
  log::verbose("Local forward listening: %s", spec_.describe().c_str());
  return true;
}

void LocalForward::on_connection(int status) {
  const std::string forward = spec_.describe();
  log::Scope scope(log::kForwardField, forward);
  if (status < 0) {
    log::error("local forward %s: accept failed: %s", spec_.describe().c_str(), uv_strerror(status));
    return;
  }
  uv_stream_t* client = net::accept_client(loop_, listener_);
  if (client == nullptr) return;
  if (active_connections() >= limits_.max_clients) {
    log::info("local forward %s: MaxClients (%u) reached; refusing client", spec_.describe().c_str(),
              limits_.max_clients);
    pumps_.counters().failed(OpenFailure::limit);
    net::close_stream(client);
    return;
  }
  if (pending_opens_at_limit()) {
    log::info("local forward %s: MaxPendingOpens (%u) opens already pending; refusing client",
              spec_.describe().c_str(), limits_.max_pending_opens);
    pumps_.counters().failed(OpenFailure::limit);
    net::close_stream(client);
    return;
  }
  waits_.acquire(limits_.wait_timeout, [this, client](SshSession* session) { start_channel(session, client); });
}

void LocalForward::start_channel(SshSession* session, uv_stream_t* client) {
  const std::string forward = spec_.describe();
  log::Scope forward_scope(log::kForwardField, forward);
  if (session == nullptr) {
    log::info("local forward %s: no connection to the server; refusing client", spec_.describe().c_str());
    pumps_.counters().failed(OpenFailure::no_connection);
    net::close_stream(client);
    return;
  }
  std::uint16_t origin_port = 0;
  const std::string origin = net::peer_address(client, listener_.unix_socket, origin_port);
  const std::string peer = origin + ":" + std::to_string(origin_port);
  log::Scope peer_scope(log::kPeerField, peer);
  namespace ct = ssh::connection::channel_type;
  log::debug("%s: connection from %s:%u", spec_.describe().c_str(), origin.c_str(), origin_port);
  ChannelPump* pump = pumps_.create(*session, std::make_unique<StreamEnd>(client), "forward " + spec_.describe());
  if (spec_.target_path.empty()) {
    pump->open(ct::kDirectTcpip, ct::direct_tcpip(spec_.target_host, spec_.target_port, origin, origin_port));
  } else {
    pump->open(ct::kDirectStreamlocal, ct::direct_streamlocal(spec_.target_path));
  }
}

bool LocalForward::pending_opens_at_limit() const {
  return waits_.waiting() + pumps_.opening() >= limits_.max_pending_opens;
}

void LocalForward::stop_listening() {
  if (listener_.stream != nullptr) {
    net::close_stream(listener_.stream, listener_.unix_socket ? spec_.listen_path : std::string());
    listener_.stream = nullptr;
  }
}

void LocalForward::close() {
  stop_listening();
  waits_.cancel_all();
  pumps_.abort_all();
}

}  // namespace gateway
