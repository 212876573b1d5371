#pragma once
// The mark (SO_MARK) on the pool's own sockets: the VPN's policy rule sends every unmarked packet
// into sshplex's table, so the SSH connections themselves must be marked to stay outside it.
#include <cstdint>
#include <string>

namespace gateway::vpn {

// Sets SO_MARK on `fd` before it connects. Needs CAP_NET_ADMIN; without it `error` says so.
bool mark_socket(int fd, std::uint32_t mark, std::string& error);

}  // namespace gateway::vpn
