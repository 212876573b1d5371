#include "gateway/net/socket_mark.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace gateway::net {

bool mark_socket(int fd, std::uint32_t mark, std::string& error) {
  if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) == 0) return true;
  error = std::string("cannot mark a socket for the VPN (SO_MARK): ") + std::strerror(errno);
  return false;
}

}  // namespace gateway::net
