#include "ssh/connection/session_requests.hpp"

#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::connection::session_request {
namespace {

wire::Writer& size_fields(wire::Writer& w, const WindowSize& size) {
  return w.u32(size.columns).u32(size.rows).u32(size.width_pixels).u32(size.height_pixels);
}

bool read_size(wire::Reader& r, WindowSize& size) {
  return r.u32(size.columns) && r.u32(size.rows) && r.u32(size.width_pixels) && r.u32(size.height_pixels);
}

Bytes one_string(std::string_view value) {
  wire::Writer w;
  w.string(value);
  return w.take();
}

}  // namespace

Bytes pty_req(const PtyReq& req) {
  wire::Writer w;
  w.string(req.term);
  size_fields(w, req.size).string(req.modes);
  return w.take();
}

std::optional<PtyReq> parse_pty_req(ByteView data) {
  wire::Reader r(data);
  PtyReq out;
  ByteView modes;
  if (!r.string(out.term) || !read_size(r, out.size) || !r.string(modes)) return std::nullopt;
  out.modes.assign(modes.begin(), modes.end());
  return out;
}

Bytes x11_req(const X11Req& req) {
  wire::Writer w;
  w.boolean(req.single_connection).string(req.auth_protocol).string(req.auth_cookie).u32(req.screen);
  return w.take();
}

std::optional<X11Req> parse_x11_req(ByteView data) {
  wire::Reader r(data);
  X11Req out;
  if (!r.boolean(out.single_connection) || !r.string(out.auth_protocol) || !r.string(out.auth_cookie) ||
      !r.u32(out.screen)) {
    return std::nullopt;
  }
  return out;
}

Bytes env(std::string_view name, std::string_view value) {
  wire::Writer w;
  w.string(name).string(value);
  return w.take();
}

Bytes exec(std::string_view command) {
  return one_string(command);
}

Bytes subsystem(std::string_view name) {
  return one_string(name);
}

Bytes window_change(const WindowSize& size) {
  wire::Writer w;
  size_fields(w, size);
  return w.take();
}

Bytes signal(std::string_view name) {
  return one_string(name);
}

Bytes exit_status(std::uint32_t status) {
  wire::Writer w;
  w.u32(status);
  return w.take();
}

std::optional<std::uint32_t> parse_exit_status(ByteView data) {
  wire::Reader r(data);
  std::uint32_t status = 0;
  if (!r.u32(status)) return std::nullopt;
  return status;
}

Bytes exit_signal(const ExitSignal& s) {
  wire::Writer w;
  w.string(s.signal).boolean(s.core_dumped).string(s.message).string(s.language);
  return w.take();
}

std::optional<ExitSignal> parse_exit_signal(ByteView data) {
  wire::Reader r(data);
  ExitSignal out;
  if (!r.string(out.signal) || !r.boolean(out.core_dumped) || !r.string(out.message) || !r.string(out.language)) {
    return std::nullopt;
  }
  return out;
}

}  // namespace ssh::connection::session_request
