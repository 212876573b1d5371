#include "gateway/control/control_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <variant>

#include "gateway/control/control_connection.hpp"
#include "ssh/mux/mux_messages.hpp"
#include "ssh/wire/frame_decoder.hpp"

namespace gateway::control {
namespace {

namespace mux = ssh::mux;

constexpr int kExitFailure = 255;
// The extension an sshplex master announces in its HELLO: -O status is sent only to one that does.
constexpr const char* kStatusExtension = "status@sshplex.org";

class MuxChannel {
 public:
  explicit MuxChannel(int fd) : fd_(fd) {}
  ~MuxChannel() { ::close(fd_); }
  MuxChannel(const MuxChannel&) = delete;
  MuxChannel& operator=(const MuxChannel&) = delete;

  bool send(const ssh::Bytes& frame) {
    std::size_t done = 0;
    while (done < frame.size()) {
      const ssize_t n = ::send(fd_, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error_ = std::string("write: ") + std::strerror(errno);
        return false;
      }
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  // The next message from the master; nullopt at EOF (eof() true) or on an error (error()).
  std::optional<mux::MasterMessage> receive() {
    for (;;) {
      auto frame = decoder_.next();
      if (frame.status == ssh::wire::FrameDecoder::Status::error) {
        error_ = frame.error;
        return std::nullopt;
      }
      if (frame.status == ssh::wire::FrameDecoder::Status::frame) {
        auto message = mux::parse_master(frame.body, error_);
        return message;
      }
      std::uint8_t buffer[16 * 1024];
      const ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error_ = std::string("read: ") + std::strerror(errno);
        return std::nullopt;
      }
      if (n == 0) {
        eof_ = true;
        return std::nullopt;
      }
      decoder_.feed(ssh::ByteView(buffer, static_cast<std::size_t>(n)));
    }
  }

  bool eof() const { return eof_; }
  const std::string& error() const { return error_; }

 private:
  int fd_;
  ssh::wire::FrameDecoder decoder_{"control socket master", mux::kMaxMessage};
  bool eof_ = false;
  std::string error_;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  return kExitFailure;
}

std::string refusal_of(const mux::MasterMessage& m) {
  if (const auto* r = std::get_if<mux::Refused>(&m)) return r->reason;
  return "unexpected reply";
}

// The reply to request `rid`, or nullopt with a message printed.
std::optional<mux::MasterMessage> reply_to(MuxChannel& channel, std::uint32_t rid) {
  auto m = channel.receive();
  if (!m) {
    std::fprintf(stderr, "%s\n", channel.eof() ? "The master closed the control connection"
                                               : ("Control socket: " + channel.error()).c_str());
    return std::nullopt;
  }
  const std::uint32_t got = std::visit(
      [](const auto& v) -> std::uint32_t {
        if constexpr (requires { v.rid; }) {
          return v.rid;
        } else {
          return 0xffffffff;
        }
      },
      *m);
  if (got != rid) {
    std::fprintf(stderr, "Control socket: reply to request %u, expected %u\n", got, rid);
    return std::nullopt;
  }
  return m;
}

std::vector<config::ForwardSpec> forwards_of(const config::Options& options) {
  std::vector<config::ForwardSpec> all;
  for (const auto* list : {&options.local_forwards, &options.remote_forwards, &options.dynamic_forwards}) {
    all.insert(all.end(), list->begin(), list->end());
  }
  return all;
}

int forward_command(MuxChannel& channel, const config::Options& options, bool open, std::uint32_t& rid) {
  int status = 0;
  for (const auto& spec : forwards_of(options)) {
    const std::uint32_t id = rid++;
    if (!channel.send(mux::encode(mux_forward_of(spec, open, id)))) return fail("Control socket: " + channel.error());
    auto reply = reply_to(channel, id);
    if (!reply) return kExitFailure;
    if (std::holds_alternative<mux::Ok>(*reply)) continue;
    if (const auto* port = std::get_if<mux::RemotePort>(&*reply)) {
      if (open) std::printf("%u\n", port->port);
      continue;
    }
    const std::string what = open ? "forwarding" : "cancel forwarding";
    if (open) return fail("Master refused " + what + " request: " + refusal_of(*reply));
    // As ssh: a cancel the master refuses is reported, and the others are still tried.
    std::fprintf(stderr, "Master refused %s request: %s\n", what.c_str(), refusal_of(*reply).c_str());
  }
  std::fflush(stdout);
  return status;
}

}  // namespace

int run_control_command(const std::string& command, const config::Options& options) {
  const std::string& path = options.control_path;
  if (path.empty()) return fail("No ControlPath specified for \"-O\" command");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return fail("ControlPath too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(std::string("socket: ") + std::strerror(errno));
  MuxChannel channel(fd);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return fail("Control socket connect(" + path + "): " + std::strerror(errno));
  }
  if (!channel.send(mux::encode(mux::Hello{mux::kVersion, {}}))) return fail("Control socket: " + channel.error());
  auto hello = channel.receive();
  const auto* master_hello = hello ? std::get_if<mux::Hello>(&*hello) : nullptr;
  if (master_hello == nullptr) return fail("Control socket " + path + ": the master did not say HELLO");
  if (master_hello->version != mux::kVersion) {
    return fail("Unsupported multiplexing protocol version " + std::to_string(master_hello->version) + " (expected " +
                std::to_string(mux::kVersion) + ")");
  }
  std::uint32_t rid = 1;

  if (command == "check") {
    const std::uint32_t id = rid++;
    if (!channel.send(mux::encode(mux::Plain{mux::type::kAliveCheck, id}))) return fail(channel.error());
    auto reply = reply_to(channel, id);
    const auto* alive = reply ? std::get_if<mux::Alive>(&*reply) : nullptr;
    if (alive == nullptr) return reply ? fail("Master refused check: " + refusal_of(*reply)) : kExitFailure;
    std::fprintf(stderr, "Master running (pid=%u)\r\n", alive->pid);
    return 0;
  }
  if (command == "exit" || command == "stop") {
    const bool exit = command == "exit";
    const std::uint32_t id = rid++;
    if (!channel.send(mux::encode(mux::Plain{exit ? mux::type::kTerminate : mux::type::kStopListening, id}))) {
      return fail(channel.error());
    }
    auto reply = channel.receive();
    // A master that exits at once may close before its OK arrives: that is success too.
    if (reply && !std::holds_alternative<mux::Ok>(*reply)) {
      return fail(std::string(exit ? "Master refused termination request: " : "Master refused stop listening request: ") +
                  refusal_of(*reply));
    }
    if (!reply && !channel.eof()) return fail("Control socket: " + channel.error());
    std::fprintf(stderr, "%s\r\n", exit ? "Exit request sent." : "Stop listening request sent.");
    return 0;
  }
  if (command == "forward" || command == "cancel") return forward_command(channel, options, command == "forward", rid);
  if (command == "status" || command == "status=json") {
    bool sshplex_master = false;
    for (const auto& [name, value] : master_hello->extensions) sshplex_master |= name == kStatusExtension;
    if (!sshplex_master) return fail("The master at " + path + " is not sshplex: -O status needs an sshplex master");
    const std::uint32_t id = rid++;
    const std::string name = command == "status" ? kStatusExtension : "status-json@sshplex.org";
    if (!channel.send(mux::encode(mux::ExtInfo{id, name}))) return fail(channel.error());
    auto reply = reply_to(channel, id);
    const auto* info = reply ? std::get_if<mux::ExtInfoReply>(&*reply) : nullptr;
    if (info == nullptr || info->status != 1) {
      return fail("Master refused status request: " + (info ? info->message : reply ? refusal_of(*reply) : "no reply"));
    }
    std::fwrite(info->message.data(), 1, info->message.size(), stdout);
    std::fflush(stdout);
    return 0;
  }
  return fail("Invalid multiplex command: " + command);
}

}  // namespace gateway::control
