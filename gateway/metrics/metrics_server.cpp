#include "gateway/metrics/metrics_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "gateway/util/log.hpp"

namespace gateway::metrics {
namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Our own listening socket, so a failed bind says why (MHD would only return NULL). -1 with `error`.
int listen_socket(const std::string& address, std::uint16_t port, std::string& error, std::uint16_t& bound) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const bool v6 = address.find(':') != std::string::npos;
  if (v6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&storage);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(port);
    if (inet_pton(AF_INET6, address.c_str(), &sa->sin6_addr) == 1) length = sizeof *sa;
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&storage);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    if (inet_pton(AF_INET, address.c_str(), &sa->sin_addr) == 1) length = sizeof *sa;
  }
  if (length == 0) {
    error = "not a numeric address";
    return -1;
  }
  const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::strerror(errno);
    return -1;
  }
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  // [::] means IPv6 only, as written; "*" is every IPv4 address.
  if (v6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      ::listen(fd, static_cast<int>(kMaxConnections)) != 0) {
    error = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  sockaddr_storage local{};
  socklen_t local_length = sizeof local;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length);
  bound =
      ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  return fd;
}

MHD_Result respond(MHD_Connection* connection, unsigned status, const std::string& body, const char* allow = nullptr) {
  MHD_Response* response =
      MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;  // MHD then closes the connection
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                          status == MHD_HTTP_OK ? kContentType : "text/plain; charset=utf-8");
  if (allow != nullptr) MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, allow);
  const MHD_Result queued = MHD_queue_response(connection, status, response);
  MHD_destroy_response(response);
  return queued;
}

bool has_body(MHD_Connection* connection) {
  const char* length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  return (length != nullptr && std::strcmp(length, "0") != 0) ||
         MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) != nullptr;
}

}  // namespace

struct ServerCallbacks {
  // Answers on the first call, before any body is read: MHD then closes a connection whose body
  // was not consumed, so nothing a client uploads is ever buffered.
  static MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method,
                               const char* /*version*/, const char* /*upload_data*/, std::size_t* /*upload_data_size*/,
                               void** /*request_state*/) {
    auto* self = static_cast<MetricsServer*>(cls);
    if (std::strcmp(url, "/metrics") != 0) return respond(connection, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
    if (std::strcmp(method, MHD_HTTP_METHOD_GET) != 0 && std::strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
      return respond(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n", "GET, HEAD");
    }
    if (has_body(connection)) return respond(connection, MHD_HTTP_CONTENT_TOO_LARGE, "no request body allowed\n");
    return respond(connection, MHD_HTTP_OK, self->render_());
  }
  static void on_ready(uv_poll_t* handle, int /*status*/, int /*events*/) {
    static_cast<MetricsServer*>(handle->data)->run();
  }
  static void on_timeout(uv_timer_t* handle) { static_cast<MetricsServer*>(handle->data)->run(); }
};

MetricsServer::MetricsServer(uv_loop_t* loop, std::function<std::string()> render)
    : loop_(loop), render_(std::move(render)) {}

MetricsServer::~MetricsServer() {
  stop();
}

bool MetricsServer::start(const std::string& address, std::uint16_t port, std::string& error) {
  address_ = address;
  bound_port_ = port;
  std::string why;
  const int fd = listen_socket(address, port, why, bound_port_);
  if (fd < 0) {
    error = "cannot listen for metrics on " + describe() + ": " + why;
    return false;
  }
  // MHD_USE_EPOLL without MHD_USE_INTERNAL_POLLING_THREAD: no thread, we poll its epoll descriptor.
  daemon_ =
      MHD_start_daemon(MHD_USE_EPOLL, 0, nullptr, nullptr, &ServerCallbacks::on_request, this, MHD_OPTION_LISTEN_SOCKET,
                       fd, MHD_OPTION_CONNECTION_LIMIT, kMaxConnections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                       kMaxConnectionsPerAddress, MHD_OPTION_CONNECTION_MEMORY_LIMIT, kConnectionMemory,
                       MHD_OPTION_CONNECTION_TIMEOUT, kConnectionTimeoutSeconds, MHD_OPTION_END);
  if (daemon_ == nullptr) {
    if (::fcntl(fd, F_GETFD) != -1) ::close(fd);  // whether MHD closed it on failure is not documented
    error = "cannot start the metrics endpoint on " + describe() + " (libmicrohttpd refused its settings)";
    return false;
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_EPOLL_FD);
  poll_ = new uv_poll_t;
  if (info == nullptr || uv_poll_init(loop_, poll_, info->epoll_fd) != 0) {
    delete poll_;
    poll_ = nullptr;
    stop();
    error = "cannot start the metrics endpoint on " + describe() + ": no epoll descriptor to watch";
    return false;
  }
  poll_->data = this;
  uv_poll_start(poll_, UV_READABLE, &ServerCallbacks::on_ready);
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  log::verbose("Metrics endpoint listening on http://%s/metrics", describe().c_str());
  run();
  return true;
}

void MetricsServer::run() {
  if (daemon_ == nullptr) return;
  MHD_run(daemon_);
  MHD_UNSIGNED_LONG_LONG timeout = 0;
  if (MHD_get_timeout(daemon_, &timeout) == MHD_YES) {
    uv_timer_start(timer_, &ServerCallbacks::on_timeout, timeout, 0);
  } else {
    uv_timer_stop(timer_);
  }
}

void MetricsServer::stop() {
  // The poll handle leaves the loop's epoll set now, before MHD closes the descriptor it watches.
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }
  if (timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
  if (daemon_ != nullptr) {
    MHD_stop_daemon(daemon_);  // closes every connection, the listening socket and the epoll descriptor
    daemon_ = nullptr;
  }
}

std::string MetricsServer::describe() const {
  const bool v6 = address_.find(':') != std::string::npos;
  return (v6 ? "[" + address_ + "]" : address_) + ":" + std::to_string(bound_port_);
}

}  // namespace gateway::metrics
