#include "gateway/tunnel/tunnel_forward.hpp"

#include "gateway/core/ssh_session.hpp"
#include "gateway/util/log.hpp"

namespace gateway::tunnel {
namespace {

constexpr const char* kChannelType = "tun@openssh.com";

void put_u32(ssh::Bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

std::string unit_text(std::uint32_t unit) {
  return unit == config::kTunnelAny ? "any" : std::to_string(unit);
}

}  // namespace

ssh::Bytes tun_open_data(const TunnelSettings& settings) {
  ssh::Bytes data;
  put_u32(data, settings.mode == config::TunnelMode::ethernet ? 2u : 1u);
  put_u32(data, settings.remote_unit);
  return data;
}

std::string local_device_name(const TunnelSettings& settings) {
  const std::string prefix = settings.mode == config::TunnelMode::ethernet ? "tap" : "tun";
  return prefix + (settings.local_unit == config::kTunnelAny ? std::string("%d") : std::to_string(settings.local_unit));
}

class TunnelForward::Observer final : public ChannelObserver {
 public:
  Observer(TunnelForward& owner, std::weak_ptr<bool> alive) : owner_(owner), alive_(std::move(alive)) {}

  void on_open_confirmed(ChannelPump&) override {
    if (!live()) return;
    owner_.established_ = true;
    log::verbose("Tunnel forwarding established: %s (local) to remote unit %s", owner_.device_name().c_str(),
                 unit_text(owner_.settings_.remote_unit).c_str());
  }
  void on_open_failed(ChannelPump& pump, std::uint32_t, const std::string& description) override {
    if (!live() || owner_.pump_ != &pump) return;
    owner_.pump_ = nullptr;
    owner_.session_ = nullptr;
    if (owner_.on_refused_) owner_.on_refused_(description);
  }
  void on_finished(ChannelPump& pump) override {
    if (!live() || owner_.pump_ != &pump) return;
    owner_.pump_ = nullptr;
    owner_.session_ = nullptr;
    owner_.established_ = false;
  }

 private:
  bool live() const {
    auto a = alive_.lock();
    return a && *a;
  }
  TunnelForward& owner_;
  std::weak_ptr<bool> alive_;
};

TunnelForward::TunnelForward(uv_loop_t* loop, TunnelSettings settings, OnRefused on_refused)
    : loop_(loop), settings_(settings), on_refused_(std::move(on_refused)) {}

TunnelForward::~TunnelForward() {
  *alive_ = false;
  pump_ = nullptr;
  pumps_.abort_all();
}

std::string TunnelForward::device_name() const {
  return device_ && device_->device ? device_->device->name() : local_device_name(settings_);
}

bool TunnelForward::attach(SshSession& session, std::string& error) {
  if (!device_) {
    const auto kind =
        settings_.mode == config::TunnelMode::ethernet ? vpn::TunDevice::Kind::tap : vpn::TunDevice::Kind::tun;
    auto device = vpn::TunDevice::open(loop_, local_device_name(settings_), error, kind);
    if (!device) return false;
    log::verbose("Tunnel device %s opened", device->name().c_str());
    device_ = std::make_shared<SharedDevice>();
    device_->device = std::move(device);
  }
  detach();
  session_ = &session;
  established_ = false;
  auto end = std::make_unique<TunnelEnd>(device_, settings_.mode);
  TunnelEnd* end_ptr = end.get();
  pump_ = pumps_.create(session, std::move(end), "tunnel " + device_name());
  // The end lives inside the pump, which lives no longer than its connection.
  ChannelPump* pump = pump_;
  std::weak_ptr<bool> session_alive = session.liveness();
  SshSession* host = &session;
  end_ptr->set_capacity([pump, host, session_alive]() -> std::size_t {
    auto a = session_alive.lock();
    if (!a || !*a || !pump->is_open()) return 0;
    return host->send_capacity(pump->channel_id());
  });
  pump_->own_observer(std::make_unique<Observer>(*this, alive_));
  const ssh::Bytes data = tun_open_data(settings_);
  pump_->open(kChannelType, data);
  return true;
}

void TunnelForward::detach() {
  session_ = nullptr;
  established_ = false;
  if (pump_ == nullptr) return;
  ChannelPump* doomed = pump_;
  pump_ = nullptr;
  doomed->abort();
}

}  // namespace gateway::tunnel
