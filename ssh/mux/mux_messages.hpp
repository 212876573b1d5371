#pragma once
// OpenSSH's connection-multiplexing protocol (the ControlMaster socket) as mux.c speaks it, which is
// not quite PROTOCOL.mux: the NEW_SESSION flags are uint32, the -W port is a uint32, sessions are
// answered with SESSION_OPENED (never OK) once the channel is open, and requests carry a request id
// that the reply repeats. Every message is uint32 length + body (wire::FrameDecoder); the body
// starts with uint32 type, then (for all but HELLO) uint32 request id. Sans-IO: the descriptors a
// session passes (one per one-byte message after the request) are the gateway's business.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ssh/wire/bytes.hpp"

namespace ssh::mux {

inline constexpr std::uint32_t kVersion = 4;
// A mux message body larger than this ends the connection (OpenSSH's CHANNEL_MUX_MAX_PACKET).
inline constexpr std::size_t kMaxMessage = 256 * 1024;

namespace type {
inline constexpr std::uint32_t kHello = 0x00000001;
inline constexpr std::uint32_t kNewSession = 0x10000002;
inline constexpr std::uint32_t kAliveCheck = 0x10000004;
inline constexpr std::uint32_t kTerminate = 0x10000005;
inline constexpr std::uint32_t kOpenForward = 0x10000006;
inline constexpr std::uint32_t kCloseForward = 0x10000007;
inline constexpr std::uint32_t kNewStdioForward = 0x10000008;
inline constexpr std::uint32_t kStopListening = 0x10000009;
inline constexpr std::uint32_t kProxy = 0x1000000f;
inline constexpr std::uint32_t kExtInfo = 0x20000001;
inline constexpr std::uint32_t kOk = 0x80000001;
inline constexpr std::uint32_t kPermissionDenied = 0x80000002;
inline constexpr std::uint32_t kFailure = 0x80000003;
inline constexpr std::uint32_t kExitMessage = 0x80000004;
inline constexpr std::uint32_t kAlive = 0x80000005;
inline constexpr std::uint32_t kSessionOpened = 0x80000006;
inline constexpr std::uint32_t kRemotePort = 0x80000007;
inline constexpr std::uint32_t kTtyAllocFail = 0x80000008;
inline constexpr std::uint32_t kProxyReply = 0x8000000f;
inline constexpr std::uint32_t kExtInfoReply = 0x90000001;
}  // namespace type

// Forward kinds of OPEN_FWD / CLOSE_FWD.
inline constexpr std::uint32_t kForwardLocal = 1;
inline constexpr std::uint32_t kForwardRemote = 2;
inline constexpr std::uint32_t kForwardDynamic = 3;
// A port field that stands for a unix socket path in the host field beside it (-2 as uint32).
inline constexpr std::uint32_t kPortStreamlocal = 0xfffffffe;
// escape_char of NEW_SESSION for "none".
inline constexpr std::uint32_t kNoEscape = 0xffffffff;

// ---- client -> master

struct Hello {
  std::uint32_t version = kVersion;
  std::vector<std::pair<std::string, std::string>> extensions;
};
struct NewSession {
  std::uint32_t rid = 0;
  bool want_tty = false;
  bool want_x11 = false;
  bool want_agent = false;
  bool subsystem = false;
  std::uint32_t escape_char = kNoEscape;
  std::string term;
  std::string command;
  std::vector<std::string> env;  // NAME=VALUE
};
// A request that is only its id: ALIVE_CHECK, TERMINATE, STOP_LISTENING, PROXY.
struct Plain {
  std::uint32_t type = 0;
  std::uint32_t rid = 0;
};
struct Forward {
  bool open = true;  // OPEN_FWD, else CLOSE_FWD
  std::uint32_t rid = 0;
  std::uint32_t kind = kForwardLocal;
  std::string listen_host;  // a socket path when listen_port is kPortStreamlocal
  std::uint32_t listen_port = 0;
  std::string connect_host;  // a socket path when connect_port is kPortStreamlocal
  std::uint32_t connect_port = 0;
};
struct NewStdioForward {
  std::uint32_t rid = 0;
  std::string host;  // a socket path when port is kPortStreamlocal
  std::uint32_t port = 0;
};
struct ExtInfo {
  std::uint32_t rid = 0;
  std::string name;
};
// A type we do not know: answered with FAILURE, the connection kept.
struct Unknown {
  std::uint32_t type = 0;
  std::uint32_t rid = 0;
};

using ClientMessage = std::variant<Hello, NewSession, Plain, Forward, NewStdioForward, ExtInfo, Unknown>;

// A client message body; nullopt with `error` when it is malformed (the connection is then dropped,
// as OpenSSH does).
std::optional<ClientMessage> parse_client(ByteView body, std::string& error);

// Encoded frames (length prefix included), as the client sends them.
Bytes encode(const Hello& m);
Bytes encode(const NewSession& m);
Bytes encode(const Plain& m);
Bytes encode(const Forward& m);
Bytes encode(const NewStdioForward& m);
Bytes encode(const ExtInfo& m);

// ---- master -> client

struct Ok {
  std::uint32_t rid = 0;
};
// PERMISSION_DENIED or FAILURE.
struct Refused {
  std::uint32_t type = type::kFailure;
  std::uint32_t rid = 0;
  std::string reason;
};
struct ExitMessage {
  std::uint32_t session = 0;
  std::uint32_t status = 0;
};
struct Alive {
  std::uint32_t rid = 0;
  std::uint32_t pid = 0;
};
struct SessionOpened {
  std::uint32_t rid = 0;
  std::uint32_t session = 0;
};
struct RemotePort {
  std::uint32_t rid = 0;
  std::uint32_t port = 0;
};
struct TtyAllocFail {
  std::uint32_t session = 0;
};
struct ProxyReply {
  std::uint32_t rid = 0;
};
struct ExtInfoReply {
  std::uint32_t rid = 0;
  std::uint32_t status = 0;  // 1: known name
  std::string message;
};

using MasterMessage = std::variant<Hello, Ok, Refused, ExitMessage, Alive, SessionOpened, RemotePort, TtyAllocFail,
                                   ProxyReply, ExtInfoReply>;

std::optional<MasterMessage> parse_master(ByteView body, std::string& error);

Bytes encode(const Ok& m);
Bytes encode(const Refused& m);
Bytes encode(const ExitMessage& m);
Bytes encode(const Alive& m);
Bytes encode(const SessionOpened& m);
Bytes encode(const RemotePort& m);
Bytes encode(const TtyAllocFail& m);
Bytes encode(const ProxyReply& m);
Bytes encode(const ExtInfoReply& m);

}  // namespace ssh::mux
