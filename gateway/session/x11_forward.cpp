#include "gateway/session/x11_forward.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "gateway/channel/handshake_end.hpp"
#include "gateway/core/ssh_session.hpp"
#include "gateway/net/connector.hpp"
#include "gateway/util/liveness.hpp"
#include "gateway/util/log.hpp"
#include "ssh/connection/channel_types.hpp"
#include "ssh/connection/message_numbers.hpp"
#include "ssh/connection/session_requests.hpp"
#include "ssh/crypto/random.hpp"

namespace gateway::session {
namespace {

// An X11 client that has not sent its setup, or a display that does not answer, by then is dropped.
constexpr std::chrono::milliseconds kSetupTimeout{30000};
constexpr std::string_view kMitCookie = "MIT-MAGIC-COOKIE-1";

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string hex(ssh::ByteView bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::optional<ssh::Bytes> unhex(const std::string& text) {
  if (text.size() % 2 != 0 || text.empty()) return std::nullopt;
  ssh::Bytes out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    unsigned value = 0;
    if (std::sscanf(text.c_str() + i, "%2x", &value) != 1) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(value));
  }
  return out;
}

// Runs a shell command and returns the first line of its output.
std::string first_line_of(const std::string& command) {
  std::string line;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[1024];
    if (std::fgets(buf, sizeof buf, p) != nullptr) line = buf;
    ::pclose(p);
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

// One forwarded X11 connection: the client's setup is checked and rewritten, then the display
// is connected and everything relays.
class X11End final : public HandshakeEnd {
 public:
  X11End(uv_loop_t* loop, net::Resolver& resolver, Display display, X11SetupCheck check)
      : HandshakeEnd(loop, kSetupTimeout, "X11 connection"),
        resolver_(resolver),
        display_(std::move(display)),
        check_(std::move(check)) {}
  ~X11End() override { cancel(); }

 private:
  std::size_t handshake_data(ssh::ByteView data) override {
    std::size_t used = 0;
    switch (check_.feed(data, used)) {
      case X11SetupCheck::Verdict::need_more:
        return data.size();
      case X11SetupCheck::Verdict::accepted:
        handshake_complete();
        connect();
        return used;
      case X11SetupCheck::Verdict::bad_byte_order:
      case X11SetupCheck::Verdict::wrong_protocol:
      case X11SetupCheck::Verdict::wrong_cookie:
        log::info("X11 connection rejected because of wrong authentication.");
        fail("wrong authentication");
        return data.size();
    }
    return data.size();
  }

  void connect() {
    auto done = [this](net::ConnectResult result) {
      attempt_.reset();
      if (result.stream == nullptr) {
        log::info("X11 connection: cannot reach the display: %s", result.error.c_str());
        fail("display unreachable");
        return;
      }
      connected(result.stream, check_.rewritten());
    };
    attempt_ = display_.local_socket()
                   ? net::connect_unix(loop_, display_.socket_path(), std::move(done))
                   : net::connect_tcp(loop_, resolver_, display_.host,
                                      static_cast<std::uint16_t>(6000 + display_.number), std::move(done));
  }

  void cancel() override {
    if (attempt_) attempt_->cancel();
    attempt_.reset();
  }

  net::Resolver& resolver_;
  Display display_;
  X11SetupCheck check_;
  std::shared_ptr<net::ConnectAttempt> attempt_;
};

}  // namespace

X11Forwarding::X11Forwarding(uv_loop_t* loop, net::Resolver& resolver, Display display)
    : loop_(loop), resolver_(resolver), display_(std::move(display)) {}

X11Forwarding::~X11Forwarding() {
  *alive_ = false;
  close();
}

std::unique_ptr<X11Forwarding> X11Forwarding::prepare(uv_loop_t* loop, net::Resolver& resolver,
                                                      const config::Options& options) {
  const char* env = std::getenv("DISPLAY");
  if (env == nullptr || *env == '\0') {
    log::info("X11 forwarding requested but DISPLAY not set");
    return nullptr;
  }
  std::string error;
  auto display = parse_display(env, error);
  if (!display) {
    log::error("%s; disabling X11 forwarding", error.c_str());
    return nullptr;
  }
  std::unique_ptr<X11Forwarding> x(new X11Forwarding(loop, resolver, *display));
  // xauth knows a local display as unix:N.
  std::string xauth_display = env;
  if (xauth_display.starts_with("localhost:")) xauth_display = "unix:" + xauth_display.substr(10);
  std::string entry;
  struct stat st {};
  const bool have_xauth = ::stat(options.xauth_location.c_str(), &st) == 0;
  if (!have_xauth) log::verbose("No xauth program (%s).", options.xauth_location.c_str());
  if (!options.forward_x11_trusted) {
    // A cookie of its own, limited by the X server (SECURITY extension) and expiring.
    char dir[] = "/tmp/sshplex-xauth-XXXXXX";
    if (have_xauth && ::mkdtemp(dir) != nullptr) {
      x->auth_dir_ = dir;
      const std::string file = x->auth_dir_ + "/xauthfile";
      std::string generate = quote(options.xauth_location) + " -f " + quote(file) + " generate " +
                             quote(xauth_display) + " " + std::string(kMitCookie) + " untrusted";
      if (options.forward_x11_timeout.count() > 0) {
        generate += " timeout " + std::to_string(options.forward_x11_timeout.count() + 60);
      }
      (void)!std::system((generate + " >/dev/null 2>&1").c_str());
      entry = first_line_of(quote(options.xauth_location) + " -f " + quote(file) + " list " + quote(xauth_display) +
                            " 2>/dev/null");
    }
    if (entry.empty()) {
      log::error("Warning: untrusted X11 forwarding setup failed: xauth key data not generated");
      return nullptr;
    }
    if (options.forward_x11_timeout.count() > 0) {
      x->refuse_after_ = std::chrono::steady_clock::now() + options.forward_x11_timeout;
    }
  } else if (have_xauth) {
    entry = first_line_of(quote(options.xauth_location) + " list " + quote(xauth_display) + " 2>/dev/null");
  }
  // "display protocol hexcookie"
  std::istringstream fields(entry);
  std::string shown, protocol, cookie_hex;
  fields >> shown >> protocol >> cookie_hex;
  auto real = unhex(cookie_hex);
  if (protocol.empty() || !real) {
    log::error("Warning: No xauth data; using fake authentication data for X11 forwarding.");
    protocol = kMitCookie;
    real = ssh::Bytes(16);
    ssh::crypto::random_bytes(*real);
  }
  x->protocol_ = protocol;
  x->real_cookie_ = std::move(*real);
  // The server and its clients only ever see this one, of the same length.
  x->fake_cookie_.resize(x->real_cookie_.size());
  ssh::crypto::random_bytes(x->fake_cookie_);
  return x;
}

void X11Forwarding::attach(SshSession& session) {
  std::weak_ptr<bool> alive = alive_;
  SshSession* s = &session;
  session.register_channel_type(
      std::string(ssh::connection::channel_type::kX11), [this, alive, s](const ssh::event::ChannelOpenRequest& r) {
        if (!util::still_alive(alive)) {
          s->reject_channel(r.id, ssh::connection::msg::kOpenAdministrativelyProhibited, "open failed");
          return;
        }
        accept(*s, r);
      });
}

std::optional<ChannelForwarding::Request> X11Forwarding::request() {
  if (closed_) return std::nullopt;
  namespace sr = ssh::connection::session_request;
  return Request{std::string(sr::kX11Req), sr::x11_req({false, protocol_, hex(fake_cookie_), display_.screen}), true,
                 "X11 forwarding"};
}

void X11Forwarding::accept(SshSession& session, const ssh::event::ChannelOpenRequest& request) {
  namespace msg = ssh::connection::msg;
  if (closed_) {
    session.reject_channel(request.id, msg::kOpenAdministrativelyProhibited, "open failed");
    return;
  }
  if (refuse_after_ && std::chrono::steady_clock::now() > *refuse_after_) {
    log::verbose("Rejected X11 connection after ForwardX11Timeout expired");
    session.reject_channel(request.id, msg::kOpenAdministrativelyProhibited, "open failed");
    return;
  }
  const auto open = ssh::connection::channel_type::parse_x11(request.data);
  if (!open) {
    session.reject_channel(request.id, msg::kOpenAdministrativelyProhibited, "malformed x11 open data");
    return;
  }
  log::debug("X11 connection from %s port %u", open->originator_address.c_str(), open->originator_port);
  auto end = std::make_unique<X11End>(loop_, resolver_, display_, X11SetupCheck(protocol_, fake_cookie_, real_cookie_));
  pumps_.create(session, std::move(end), "X11 connection")->accept(request.id);
}

void X11Forwarding::remove_auth_file() {
  if (auth_dir_.empty()) return;
  ::unlink((auth_dir_ + "/xauthfile").c_str());
  ::rmdir(auth_dir_.c_str());
  auth_dir_.clear();
}

void X11Forwarding::close() {
  if (closed_) return;
  closed_ = true;
  pumps_.abort_all();
  remove_auth_file();
}

}  // namespace gateway::session
