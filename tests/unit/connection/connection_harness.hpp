#pragma once
// Builders for server messages and a harness around Connection, shared by the connection tests.
#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "ssh/connection/channel_types.hpp"
#include "ssh/connection/connection.hpp"
#include "ssh/connection/session_requests.hpp"
#include "ssh/connection/message_numbers.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::connection::test_support {

namespace ct = channel_type;
namespace sr = session_request;

inline Bytes confirmation(ChannelId id, std::uint32_t remote, std::uint32_t window, std::uint32_t max_packet) {
  wire::Writer w(msg::kChannelOpenConfirmation);
  w.u32(id).u32(remote).u32(window).u32(max_packet);
  return w.take();
}

inline Bytes channel_msg(std::uint8_t type, ChannelId id) {
  wire::Writer w(type);
  w.u32(id);
  return w.take();
}

inline Bytes data_msg(ChannelId id, std::size_t n, std::uint8_t fill = 'x') {
  wire::Writer w(msg::kChannelData);
  w.string(Bytes(n, fill));
  Bytes body = w.take();
  wire::Writer out(msg::kChannelData);
  out.u32(id).raw(ByteView(body).subspan(1));
  return out.take();
}

inline Bytes window_adjust(ChannelId id, std::uint32_t n) {
  wire::Writer w(msg::kChannelWindowAdjust);
  w.u32(id).u32(n);
  return w.take();
}

inline Bytes channel_request(ChannelId id, std::string_view name, bool want_reply, ByteView extra = {}) {
  wire::Writer w(msg::kChannelRequest);
  w.u32(id).string(name).boolean(want_reply).raw(extra);
  return w.take();
}

inline Bytes forwarded_tcpip_open(std::uint32_t sender, std::uint32_t window, std::uint32_t max_packet,
                           std::string_view connected, std::uint32_t connected_port, std::string_view originator,
                           std::uint32_t originator_port) {
  wire::Writer w(msg::kChannelOpen);
  w.string(std::string_view("forwarded-tcpip")).u32(sender).u32(window).u32(max_packet);
  w.string(connected).u32(connected_port).string(originator).u32(originator_port);
  return w.take();
}

inline Bytes streamlocal_open(std::uint32_t sender, std::uint32_t window, std::uint32_t max_packet, std::string_view path) {
  wire::Writer w(msg::kChannelOpen);
  w.string(std::string_view("forwarded-streamlocal@openssh.com")).u32(sender).u32(window).u32(max_packet);
  w.string(path).string(std::string_view(""));
  return w.take();
}

inline Bytes open_failure(std::uint32_t recipient, std::uint32_t reason, std::string_view description) {
  wire::Writer w(msg::kChannelOpenFailure);
  w.u32(recipient).u32(reason).string(description).string(std::string_view(""));
  return w.take();
}

struct Harness {
  explicit Harness(ConnectionConfig cfg = {64 * 1024, 16 * 1024, 8}) : c(cfg) {}

  std::vector<Bytes> sent() {
    std::vector<Bytes> out;
    while (auto p = c.poll_send()) out.push_back(std::move(*p));
    return out;
  }
  std::vector<ConnectionEvent> events() {
    std::vector<ConnectionEvent> out;
    while (auto e = c.poll_event()) out.push_back(std::move(*e));
    return out;
  }
  void ok(const Bytes& payload) {
    const auto r = c.handle(payload);
    ASSERT_TRUE(r.ok) << r.error;
  }
  ChannelId open(std::uint32_t remote = 100, std::uint32_t window = 1 << 20, std::uint32_t max_packet = 32768) {
    auto id = c.open(ct::kSession, {});
    EXPECT_TRUE(id);
    sent();
    ok(confirmation(*id, remote, window, max_packet));
    events();
    return *id;
  }

  Connection c;
};

}  // namespace ssh::connection::test_support
