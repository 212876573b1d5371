// Feeds arbitrary payloads to the connection protocol layer (an established channel table with
// open, opening, busy and server-opened channels awaiting an answer) and to the user
// authentication state machine, interleaved with local commands (including accepting and
// rejecting server-opened channels). Nothing may crash, hang or grow without bound.
//
// Input: records of [selector u8][length u16 big-endian][bytes]. Selector bit 0..1 picks the
// target: 0 connection payload, 1 auth payload, 2 connection command, 3 auth command. The high
// nibble of the first byte also picks the authentication attempt in flight.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "ssh/auth/user_auth.hpp"
#include "ssh/connection/channel_types.hpp"
#include "ssh/connection/connection.hpp"
#include "ssh/connection/session_requests.hpp"
#include "ssh/connection/terminal_modes.hpp"
#include "ssh/wire/writer.hpp"

namespace {

using ssh::Bytes;
using ssh::ByteView;

Bytes confirmation(std::uint32_t id, std::uint32_t remote, std::uint32_t window, std::uint32_t max_packet) {
  ssh::wire::Writer w(91);
  w.u32(id).u32(remote).u32(window).u32(max_packet);
  return w.take();
}

Bytes forwarded_open(std::string_view type, std::uint32_t sender, ByteView specific) {
  ssh::wire::Writer w(90);
  w.string(type).u32(sender).u32(3000).u32(512).raw(specific);
  return w.take();
}

// The typed decoders read what the server sent, as the application would.
void decode(const ssh::connection::ConnectionEvent& e) {
  namespace ct = ssh::connection::channel_type;
  namespace sr = ssh::connection::session_request;
  if (const auto* open = std::get_if<ssh::connection::cevent::OpenRequest>(&e)) {
    (void)ct::parse_forwarded_tcpip(open->data);
    (void)ct::parse_forwarded_streamlocal(open->data);
    (void)ct::parse_x11(open->data);
  } else if (const auto* req = std::get_if<ssh::connection::cevent::Request>(&e)) {
    (void)sr::parse_exit_status(req->data);
    (void)sr::parse_exit_signal(req->data);
    if (auto pty = sr::parse_pty_req(req->data)) (void)ssh::connection::terminal_modes::decode(pty->modes);
    (void)sr::parse_x11_req(req->data);
  }
}

void drain(ssh::connection::Connection& c, ssh::auth::UserAuth& a) {
  while (c.poll_send()) {
  }
  while (auto e = c.poll_event()) decode(*e);
  while (a.poll_send()) {
  }
  while (a.poll_event()) {
  }
}

void connection_command(ssh::connection::Connection& c, std::uint8_t selector, ByteView arg) {
  const std::uint32_t id = arg.empty() ? 0 : arg[0] % 6u;
  switch ((selector >> 2) % 11) {
    case 0:
      c.send(id, arg, selector & 0x20 ? 1 : 0);
      break;
    case 1:
      c.consume(id, arg.size() * 97);
      break;
    case 2:
      c.send_eof(id);
      break;
    case 3:
      c.close(id);
      break;
    case 4:
      c.request(id, ssh::as_string(arg), ssh::connection::session_request::exec(ssh::as_string(arg)), (selector & 0x20) != 0);
      break;
    case 5:
      c.open(ssh::connection::channel_type::kDirectTcpip, ssh::connection::channel_type::direct_tcpip(ssh::as_string(arg), 80, "127.0.0.1", 1));
      break;
    case 6:
      c.global_request("x", arg, (selector & 0x20) != 0);
      break;
    case 7:
      c.send_keepalive();
      break;
    case 8:
      c.reply_request(id, (selector & 0x20) != 0);
      break;
    case 9:
      c.accept(id);
      break;
    case 10:
      c.reject(id, arg.size() > 1 ? arg[1] : 2u, ssh::as_string(arg));
      break;
    default:
      c.open(ssh::connection::channel_type::kSession, {});
      break;
  }
}

void auth_command(ssh::auth::UserAuth& a, std::uint8_t selector, ByteView arg) {
  switch ((selector >> 2) % 6) {
    case 0:
      a.request_none();
      break;
    case 1:
      a.request_password(ssh::as_string(arg));
      break;
    case 2:
      a.request_publickey_query("ssh-ed25519", arg);
      break;
    case 3:
      a.request_keyboard_interactive();
      break;
    case 4: {
      std::vector<ssh::SecretString> answers(arg.empty() ? 0 : arg[0] % 4u, ssh::SecretString("x"));
      a.respond_keyboard_interactive(answers);
      break;
    }
    default:
      a.request_publickey_signed("rsa-sha2-512", arg, arg);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ssh::connection::Connection conn(ssh::connection::ConnectionConfig{4096, 1024, 8});
  // Channel 0 and 1 open, 2 still opening; a want-reply request and two global requests pending.
  conn.open(ssh::connection::channel_type::kSession, {});
  conn.open(ssh::connection::channel_type::kDirectTcpip, ssh::connection::channel_type::direct_tcpip("h", 1, "o", 2));
  conn.open(ssh::connection::channel_type::kSession, {});
  (void)conn.handle(confirmation(0, 100, 5000, 700));
  (void)conn.handle(confirmation(1, 101, 0xffffff00u, 0));
  conn.request(0, "exec", ssh::connection::session_request::exec("true"), true);
  conn.global_request("tcpip-forward", {}, true);
  conn.send_keepalive();
  // Channels 3 and 4: opened by the server, not answered yet.
  {
    ssh::wire::Writer tcpip;
    tcpip.string(std::string_view("127.0.0.1")).u32(8080).string(std::string_view("10.1.2.3")).u32(40000);
    (void)conn.handle(forwarded_open("forwarded-tcpip", 200, tcpip.data()));
    ssh::wire::Writer local;
    local.string(std::string_view("/tmp/fuzz.sock")).string(std::string_view(""));
    (void)conn.handle(forwarded_open("forwarded-streamlocal@openssh.com", 201, local.data()));
  }

  ssh::auth::UserAuth auth("fuzz");
  auth.start();
  (void)auth.handle(Bytes{6});
  if (size > 0) {
    switch ((data[0] >> 4) % 4) {
      case 0:
        auth.request_keyboard_interactive();
        break;
      case 1:
        auth.request_password("pw");
        break;
      case 2:
        auth.request_publickey_query("ssh-ed25519", ssh::as_bytes("blob"));
        break;
      default:
        auth.request_none();
        break;
    }
  }

  bool conn_alive = true, auth_alive = true;
  ByteView in(data, size);
  std::size_t records = 0;
  while (in.size() >= 3 && (conn_alive || auth_alive)) {
    const std::uint8_t selector = in[0];
    const std::size_t len = std::min<std::size_t>((std::size_t{in[1]} << 8) | in[2], in.size() - 3);
    const ByteView body = in.subspan(3, len);
    in = in.subspan(3 + len);
    switch (selector & 3) {
      case 0:
        if (conn_alive) conn_alive = conn.handle(body).ok;
        break;
      case 1:
        if (auth_alive) auth_alive = auth.handle(body).ok;
        break;
      case 2:
        if (conn_alive) connection_command(conn, selector, body);
        break;
      default:
        if (auth_alive) auth_command(auth, selector, body);
        break;
    }
    if (++records % 16 == 0) drain(conn, auth);
  }
  drain(conn, auth);
  return 0;
}
