#pragma once
// SO_MARK: the firewall mark the VPN's policy rules match, so sshplex's own sockets (the pool's
// connections, its DNS lookups) are routed as if the VPN were not there. Needs CAP_NET_ADMIN.
#include <cstdint>
#include <string>

namespace gateway::net {

// false with `error` ("cannot mark socket 7 with 0x7368 (SO_MARK): Operation not permitted (needs ...)").
bool mark_socket(int fd, std::uint32_t mark, std::string& error);

}  // namespace gateway::net
