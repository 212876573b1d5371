#include "ssh/mux/mux_messages.hpp"

#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::mux {
namespace {

// The length prefix, then the body.
Bytes frame(const wire::Writer& body) {
  wire::Writer w;
  w.string(ByteView(body.data()));
  return w.take();
}

wire::Writer start(std::uint32_t message_type, std::uint32_t rid) {
  wire::Writer w;
  w.u32(message_type).u32(rid);
  return w;
}

// OpenSSH's flags are uint32 on the wire; anything but 0 is set.
bool flag(wire::Reader& r, bool& out) {
  std::uint32_t v = 0;
  if (!r.u32(v)) return false;
  out = v != 0;
  return true;
}

// The strings of a mux message are C strings for OpenSSH (sshbuf_get_cstring): no NUL inside.
bool cstring(wire::Reader& r, std::string& out) {
  if (!r.string(out)) return false;
  return out.find('\0') == std::string::npos;
}

bool parse_extensions(wire::Reader& r, std::vector<std::pair<std::string, std::string>>& out) {
  while (!r.empty()) {
    std::string name, value;
    if (!r.string(name) || !r.string(value)) return false;
    out.emplace_back(std::move(name), std::move(value));
  }
  return true;
}

}  // namespace

std::optional<ClientMessage> parse_client(ByteView body, std::string& error) {
  wire::Reader r(body);
  std::uint32_t message_type = 0;
  if (!r.u32(message_type)) {
    error = "mux message without a type";
    return std::nullopt;
  }
  if (message_type == type::kHello) {
    Hello h;
    if (!r.u32(h.version) || !parse_extensions(r, h.extensions)) {
      error = "malformed mux HELLO";
      return std::nullopt;
    }
    return h;
  }
  std::uint32_t rid = 0;
  if (!r.u32(rid)) {
    error = "mux message without a request id";
    return std::nullopt;
  }
  auto malformed = [&](const char* what) {
    error = std::string("malformed mux ") + what;
    return std::nullopt;
  };
  switch (message_type) {
    case type::kNewSession: {
      NewSession s;
      s.rid = rid;
      std::string reserved;
      if (!r.string(reserved) || !flag(r, s.want_tty) || !flag(r, s.want_x11) || !flag(r, s.want_agent) ||
          !flag(r, s.subsystem) || !r.u32(s.escape_char) || !cstring(r, s.term) || !cstring(r, s.command)) {
        return malformed("NEW_SESSION");
      }
      while (!r.empty()) {
        std::string entry;
        if (!cstring(r, entry)) return malformed("NEW_SESSION environment");
        s.env.push_back(std::move(entry));
      }
      return s;
    }
    case type::kAliveCheck:
    case type::kTerminate:
    case type::kStopListening:
    case type::kProxy:
      return Plain{message_type, rid};
    case type::kOpenForward:
    case type::kCloseForward: {
      Forward f;
      f.open = message_type == type::kOpenForward;
      f.rid = rid;
      if (!r.u32(f.kind) || !cstring(r, f.listen_host) || !r.u32(f.listen_port) || !cstring(r, f.connect_host) ||
          !r.u32(f.connect_port)) {
        return malformed("forward request");
      }
      // A port is 0..65535 or the unix-socket marker; anything else is not a request at all.
      for (std::uint32_t port : {f.listen_port, f.connect_port}) {
        if (port > 65535 && port != kPortStreamlocal) return malformed("forward port");
      }
      return f;
    }
    case type::kNewStdioForward: {
      NewStdioForward s;
      s.rid = rid;
      std::string reserved;
      if (!r.string(reserved) || !cstring(r, s.host) || !r.u32(s.port)) return malformed("NEW_STDIO_FWD");
      if (s.port > 65535 && s.port != kPortStreamlocal) return malformed("NEW_STDIO_FWD port");
      return s;
    }
    case type::kExtInfo: {
      ExtInfo e;
      e.rid = rid;
      if (!cstring(r, e.name)) return malformed("EXT_INFO");
      return e;
    }
    default:
      return Unknown{message_type, rid};
  }
}

Bytes encode(const Hello& m) {
  wire::Writer w;
  w.u32(type::kHello).u32(m.version);
  for (const auto& [name, value] : m.extensions) w.string(name).string(value);
  return frame(w);
}

Bytes encode(const NewSession& m) {
  wire::Writer w = start(type::kNewSession, m.rid);
  w.string(std::string_view(""));
  w.u32(m.want_tty ? 1 : 0).u32(m.want_x11 ? 1 : 0).u32(m.want_agent ? 1 : 0).u32(m.subsystem ? 1 : 0);
  w.u32(m.escape_char).string(m.term).string(m.command);
  for (const auto& e : m.env) w.string(e);
  return frame(w);
}

Bytes encode(const Plain& m) { return frame(start(m.type, m.rid)); }

Bytes encode(const Forward& m) {
  wire::Writer w = start(m.open ? type::kOpenForward : type::kCloseForward, m.rid);
  w.u32(m.kind).string(m.listen_host).u32(m.listen_port).string(m.connect_host).u32(m.connect_port);
  return frame(w);
}

Bytes encode(const NewStdioForward& m) {
  wire::Writer w = start(type::kNewStdioForward, m.rid);
  w.string(std::string_view("")).string(m.host).u32(m.port);
  return frame(w);
}

Bytes encode(const ExtInfo& m) {
  wire::Writer w = start(type::kExtInfo, m.rid);
  w.string(m.name);
  return frame(w);
}

std::optional<MasterMessage> parse_master(ByteView body, std::string& error) {
  wire::Reader r(body);
  std::uint32_t message_type = 0;
  if (!r.u32(message_type)) {
    error = "mux message without a type";
    return std::nullopt;
  }
  auto malformed = [&]() {
    error = "malformed mux reply of type " + std::to_string(message_type);
    return std::nullopt;
  };
  switch (message_type) {
    case type::kHello: {
      Hello h;
      if (!r.u32(h.version) || !parse_extensions(r, h.extensions)) return malformed();
      return h;
    }
    case type::kOk: {
      Ok m;
      if (!r.u32(m.rid)) return malformed();
      return m;
    }
    case type::kPermissionDenied:
    case type::kFailure: {
      Refused m;
      m.type = message_type;
      if (!r.u32(m.rid) || !r.string(m.reason)) return malformed();
      return m;
    }
    case type::kExitMessage: {
      ExitMessage m;
      if (!r.u32(m.session) || !r.u32(m.status)) return malformed();
      return m;
    }
    case type::kAlive: {
      Alive m;
      if (!r.u32(m.rid) || !r.u32(m.pid)) return malformed();
      return m;
    }
    case type::kSessionOpened: {
      SessionOpened m;
      if (!r.u32(m.rid) || !r.u32(m.session)) return malformed();
      return m;
    }
    case type::kRemotePort: {
      RemotePort m;
      if (!r.u32(m.rid) || !r.u32(m.port)) return malformed();
      return m;
    }
    case type::kTtyAllocFail: {
      TtyAllocFail m;
      if (!r.u32(m.session)) return malformed();
      return m;
    }
    case type::kProxyReply: {
      ProxyReply m;
      if (!r.u32(m.rid)) return malformed();
      return m;
    }
    case type::kExtInfoReply: {
      ExtInfoReply m;
      if (!r.u32(m.rid) || !r.u32(m.status) || !r.string(m.message)) return malformed();
      return m;
    }
    default:
      error = "unknown mux reply type " + std::to_string(message_type);
      return std::nullopt;
  }
}

Bytes encode(const Ok& m) { return frame(start(type::kOk, m.rid)); }

Bytes encode(const Refused& m) {
  wire::Writer w = start(m.type, m.rid);
  w.string(m.reason);
  return frame(w);
}

Bytes encode(const ExitMessage& m) {
  wire::Writer w;
  w.u32(type::kExitMessage).u32(m.session).u32(m.status);
  return frame(w);
}

Bytes encode(const Alive& m) {
  wire::Writer w = start(type::kAlive, m.rid);
  w.u32(m.pid);
  return frame(w);
}

Bytes encode(const SessionOpened& m) {
  wire::Writer w = start(type::kSessionOpened, m.rid);
  w.u32(m.session);
  return frame(w);
}

Bytes encode(const RemotePort& m) {
  wire::Writer w = start(type::kRemotePort, m.rid);
  w.u32(m.port);
  return frame(w);
}

Bytes encode(const TtyAllocFail& m) {
  wire::Writer w;
  w.u32(type::kTtyAllocFail).u32(m.session);
  return frame(w);
}

Bytes encode(const ProxyReply& m) { return frame(start(type::kProxyReply, m.rid)); }

Bytes encode(const ExtInfoReply& m) {
  wire::Writer w = start(type::kExtInfoReply, m.rid);
  w.u32(m.status).string(m.message);
  return frame(w);
}

}  // namespace ssh::mux
