#include "gateway/net/socket_mark.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace gateway::net {

bool mark_socket(int fd, std::uint32_t mark, std::string& error) {
  if (::setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) == 0) return true;
  const int e = errno;
  char text[16];
  std::snprintf(text, sizeof(text), "0x%x", mark);
  error = std::string("cannot mark socket ") + std::to_string(fd) + " with " + text + " (SO_MARK): " + std::strerror(e);
  if (e == EPERM) error += " (needs CAP_NET_ADMIN: run as root or grant the capability)";
  return false;
}

}  // namespace gateway::net
