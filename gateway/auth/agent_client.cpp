#include "gateway/auth/agent_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gateway::auth {
namespace {

constexpr int kTimeoutMs = 10000;

bool wait_for(int fd, short events) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int rc = ::poll(&p, 1, kTimeoutMs);
    if (rc < 0 && errno == EINTR) continue;
    return rc > 0;
  }
}

}  // namespace

std::unique_ptr<AgentClient> AgentClient::connect(const std::string& socket_path, std::string& error) {
  sockaddr_un addr{};
  if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path) {
    error = "bad agent socket path";
    return nullptr;
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::strerror(errno);
    return nullptr;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    error = "cannot connect to agent " + socket_path + ": " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<AgentClient>(new AgentClient(fd));
}

AgentClient::~AgentClient() {
  ::close(fd_);
}

std::optional<ssh::agent::Response> AgentClient::round_trip(ssh::ByteView request, std::string& error) {
  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!wait_for(fd_, POLLOUT)) {
      error = "agent timed out";
      return std::nullopt;
    }
    const ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = std::string("agent write failed: ") + std::strerror(errno);
      return std::nullopt;
    }
    sent += static_cast<std::size_t>(n);
  }
  ssh::agent::FrameDecoder decoder;
  std::uint8_t buf[4096];
  for (;;) {
    auto frame = decoder.next();
    if (frame.status == ssh::agent::FrameDecoder::Status::error) {
      error = "agent: " + frame.error;
      return std::nullopt;
    }
    if (frame.status == ssh::agent::FrameDecoder::Status::frame) {
      auto decoded = ssh::agent::decode_response(frame.body);
      if (!decoded.ok) {
        error = "agent: " + decoded.error;
        return std::nullopt;
      }
      return decoded.response;
    }
    if (!wait_for(fd_, POLLIN)) {
      error = "agent timed out";
      return std::nullopt;
    }
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n == 0 ? "agent closed the connection" : std::string("agent read failed: ") + std::strerror(errno);
      return std::nullopt;
    }
    decoder.feed(ssh::ByteView(buf, static_cast<std::size_t>(n)));
  }
}

std::optional<std::vector<ssh::agent::Identity>> AgentClient::identities(std::string& error) {
  auto response = round_trip(ssh::agent::encode_request_identities(), error);
  if (!response) return std::nullopt;
  if (auto* answer = std::get_if<ssh::agent::IdentitiesAnswer>(&*response)) return std::move(answer->identities);
  error = "agent refused to list keys";
  return std::nullopt;
}

std::optional<ssh::Bytes> AgentClient::sign(ssh::ByteView key_blob, ssh::ByteView data, const std::string& algorithm,
                                            std::string& error) {
  auto request = ssh::agent::encode_sign_request(key_blob, data, ssh::agent::sign_flags_for_algorithm(algorithm));
  auto response = round_trip(request, error);
  if (!response) return std::nullopt;
  if (auto* signed_ = std::get_if<ssh::agent::SignResponse>(&*response)) return std::move(signed_->signature);
  error = "agent refused to sign";
  return std::nullopt;
}

bool AgentClient::add_identity(ssh::ByteView private_key, std::string_view comment,
                               const ssh::agent::KeyConstraints& constraints, std::string& error) {
  const ssh::SecretBytes request = ssh::agent::encode_add_identity(private_key, comment, constraints);
  auto response = round_trip(request, error);
  if (!response) return false;
  if (std::holds_alternative<ssh::agent::Success>(*response)) return true;
  error = "agent refused the key";
  return false;
}

}  // namespace gateway::auth
