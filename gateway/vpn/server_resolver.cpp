#include "gateway/vpn/server_resolver.hpp"

#include "gateway/util/log.hpp"
#include "ssh/connection/session_requests.hpp"
#include "tun/address.hpp"

namespace gateway::vpn {
namespace {

namespace sr = ssh::connection::session_request;

constexpr std::string_view kCommand = "cat /etc/resolv.conf";
// A resolv.conf is a few hundred bytes; anything near this is not one.
constexpr std::size_t kMaxOutput = 64 * 1024;

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

std::string_view next_token(std::string_view& line) {
  std::size_t at = 0;
  while (at < line.size() && is_blank(line[at])) ++at;
  std::size_t end = at;
  while (end < line.size() && !is_blank(line[end])) ++end;
  const std::string_view token = line.substr(at, end - at);
  line.remove_prefix(end);
  return token;
}

}  // namespace

std::vector<tun::Endpoint> parse_resolv_conf(std::string_view text) {
  std::vector<tun::Endpoint> out;
  while (!text.empty() && out.size() < max_nameservers) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (const std::size_t c = line.find_first_of("#;"); c != std::string_view::npos) line = line.substr(0, c);
    if (next_token(line) != "nameserver") continue;
    if (const auto address = tun::parse_address(next_token(line))) out.push_back(tun::Endpoint{*address, dns_port});
  }
  return out;
}

tun::Endpoint default_server_resolver() {
  return tun::Endpoint{tun::IpAddress::v4(127, 0, 0, 1), dns_port};
}

ServerResolverFetch::ServerResolverFetch(uv_loop_t* loop, Upstream& upstream, std::chrono::milliseconds timeout,
                                         Done done)
    : loop_(loop), upstream_(upstream), timeout_(timeout), done_(std::move(done)) {}

ServerResolverFetch::~ServerResolverFetch() {
  cancel();
}

void ServerResolverFetch::start() {
  if (started_) return;
  started_ = true;
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uv_timer_start(
      timer_, [](uv_timer_t* t) { static_cast<ServerResolverFetch*>(t->data)->fail("no answer in time"); },
      static_cast<std::uint64_t>(timeout_.count()), 0);
  waiting_ = true;
  // A session channel: it counts against the server's MaxSessions, so the pool picks accordingly.
  upstream_.acquire(wait_, timeout_, Upstream::Purpose::session);
}

void ServerResolverFetch::cancel() {
  over_ = true;
  done_ = nullptr;
  release_channel();
}

void ServerResolverFetch::release_channel() {
  if (waiting_) {
    waiting_ = false;
    upstream_.cancel(wait_);
  }
  if (timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
  abandon_pump(pump_, end_);
}

void ServerResolverFetch::on_session(SshSession* session) {
  waiting_ = false;
  if (over_) return;
  if (session == nullptr) {
    fail("no connection to the server");
    return;
  }
  MemoryEnd::Callbacks callbacks;
  callbacks.on_data = [this](ssh::ByteView data) {
    if (output_.size() + data.size() > kMaxOutput) {
      fail("its output is larger than " + std::to_string(kMaxOutput) + " bytes");
      return;
    }
    output_.append(data.begin(), data.end());
  };
  callbacks.on_closed = [this] { end_ = nullptr; };
  auto end = std::make_unique<MemoryEnd>(std::move(callbacks));
  end_ = end.get();
  pump_ = new ChannelPump(*session, std::move(end), "server resolv.conf", [](ChannelPump* p) { delete p; });
  pump_->set_observer(this);
  // Nothing goes to the command's stdin, not even EOF, before it runs.
  pump_->hold_input(true);
  pump_->open("session", {});
}

void ServerResolverFetch::on_open_confirmed(ChannelPump& pump) {
  exec_seq_ = pump.request(sr::kExec, sr::exec(kCommand), true);
  if (!exec_seq_) fail("the exec request could not be sent");
}

void ServerResolverFetch::on_open_failed(ChannelPump&, std::uint32_t, const std::string& description) {
  fail("the server refused a session channel (" + description + ")");
}

bool ServerResolverFetch::on_request(ChannelPump&, const ssh::event::ChannelRequest& request) {
  if (request.name == sr::kExitStatus) {
    exit_status_ = sr::parse_exit_status(request.data);
    return exit_status_.has_value();
  }
  return false;
}

void ServerResolverFetch::on_request_result(ChannelPump& pump, std::uint32_t seq, bool success) {
  if (!exec_seq_ || seq != *exec_seq_) return;
  if (!success) {
    fail("the server refused to run \"" + std::string(kCommand) + "\"");
    return;
  }
  pump.hold_input(false);
  if (end_ != nullptr) end_->finish();
}

void ServerResolverFetch::on_finished(ChannelPump&) {
  pump_ = nullptr;
  end_ = nullptr;
  if (over_) return;
  if (!exit_status_) {
    fail("\"" + std::string(kCommand) + "\" ended without an exit status");
  } else if (*exit_status_ != 0) {
    fail("\"" + std::string(kCommand) + "\" exited with status " + std::to_string(*exit_status_));
  } else if (auto resolvers = parse_resolv_conf(output_); resolvers.empty()) {
    fail("it names no nameserver");
  } else {
    std::string names;
    for (const auto& r : resolvers) names += (names.empty() ? "" : ", ") + tun::to_string(r);
    log::verbose("VPN DNS: the server's resolvers: %s", names.c_str());
    finish(Result{std::move(resolvers), {}});
  }
}

void ServerResolverFetch::fail(const std::string& why) {
  if (over_) return;
  const tun::Endpoint fallback = default_server_resolver();
  log::error(
      "Warning: VPN DNS: could not read the server's /etc/resolv.conf: %s; asking %s on the server "
      "instead (name a resolver in the VPN's DNS settings to choose another)",
      why.c_str(), tun::to_string(fallback).c_str());
  finish(Result{{fallback}, why});
}

void ServerResolverFetch::finish(Result result) {
  over_ = true;
  release_channel();
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(result));  // may destroy us: last
}

}  // namespace gateway::vpn
