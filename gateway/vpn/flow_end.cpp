#include "gateway/vpn/flow_end.hpp"

#include <sys/socket.h>

namespace gateway::vpn {

void FlowEnd::close() {
  if (lost_ && !closing()) {
    if (uv_stream_t* socket = connected_socket()) {
      uv_os_fd_t fd = -1;
      // SO_LINGER with a zero timeout makes close() send a reset instead of a FIN.
      if (uv_fileno(reinterpret_cast<uv_handle_t*>(socket), &fd) == 0) {
        const linger abortive{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
      }
    }
  }
  HandshakeEnd::close();
}

}  // namespace gateway::vpn
