#include "ssh/connection/remote_forward.hpp"

#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::connection {

Bytes tcpip_forward_data(std::string_view bind_address, std::uint32_t port) {
  wire::Writer w;
  w.string(bind_address).u32(port);
  return w.take();
}

Bytes streamlocal_forward_data(std::string_view socket_path) {
  wire::Writer w;
  w.string(socket_path);
  return w.take();
}

std::optional<std::uint32_t> parse_allocated_port(ByteView reply_data) {
  wire::Reader r(reply_data);
  std::uint32_t port = 0;
  // The port is passed on to users and listeners: anything that is not a TCP port is not trusted.
  if (!r.u32(port) || !r.empty()) return std::nullopt;
  if (port == 0 || port > 65535) return std::nullopt;
  return port;
}

}  // namespace ssh::connection
