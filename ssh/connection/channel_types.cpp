#include "ssh/connection/channel_types.hpp"

#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::connection::channel_type {

Bytes direct_tcpip(std::string_view host, std::uint32_t port, std::string_view originator_host,
                   std::uint32_t originator_port) {
  wire::Writer w;
  w.string(host).u32(port).string(originator_host).u32(originator_port);
  return w.take();
}

Bytes direct_streamlocal(std::string_view socket_path) {
  wire::Writer w;
  w.string(socket_path).string(std::string_view("")).u32(0);
  return w.take();
}

Bytes forwarded_tcpip(const ForwardedTcpip& open) {
  wire::Writer w;
  w.string(open.connected_address).u32(open.connected_port).string(open.originator_address).u32(open.originator_port);
  return w.take();
}

std::optional<ForwardedTcpip> parse_forwarded_tcpip(ByteView data) {
  wire::Reader r(data);
  ForwardedTcpip out;
  if (!r.string(out.connected_address) || !r.u32(out.connected_port) || !r.string(out.originator_address) ||
      !r.u32(out.originator_port)) {
    return std::nullopt;
  }
  return out;
}

Bytes forwarded_streamlocal(const ForwardedStreamlocal& open) {
  wire::Writer w;
  w.string(open.socket_path).string(std::string_view(""));
  return w.take();
}

std::optional<ForwardedStreamlocal> parse_forwarded_streamlocal(ByteView data) {
  wire::Reader r(data);
  ForwardedStreamlocal out;
  std::string_view reserved;
  if (!r.string(out.socket_path) || !r.string(reserved)) return std::nullopt;
  return out;
}

Bytes x11(const X11& open) {
  wire::Writer w;
  w.string(open.originator_address).u32(open.originator_port);
  return w.take();
}

std::optional<X11> parse_x11(ByteView data) {
  wire::Reader r(data);
  X11 out;
  if (!r.string(out.originator_address) || !r.u32(out.originator_port)) return std::nullopt;
  return out;
}

}  // namespace ssh::connection::channel_type
