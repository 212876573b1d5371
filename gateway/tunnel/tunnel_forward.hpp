#pragma once
// ssh's tun forwarding (-w, Tunnel, TunnelDevice): a tun (point-to-point) or tap (ethernet) device
// here, a tun@openssh.com channel to the server, and the server's device at the other end. As with
// ssh, the user gives the interfaces their addresses.
//
// One tunnel per sshplex, on one connection of the pool. The device is opened once, on the first
// connection, and kept: when that connection is lost, the channel is opened again on the next one
// (the interface keeps its addresses and routes meanwhile; packets are dropped while no channel
// carries them).
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gateway/channel/channel_pump.hpp"
#include "gateway/config/options.hpp"
#include "gateway/tunnel/tunnel_end.hpp"

namespace gateway {
class SshSession;
}

namespace gateway::tunnel {

struct TunnelSettings {
  config::TunnelMode mode = config::TunnelMode::point_to_point;
  std::uint32_t local_unit = config::kTunnelAny;
  std::uint32_t remote_unit = config::kTunnelAny;
};

// The channel type data of tun@openssh.com: uint32 mode (1 point-to-point, 2 ethernet), uint32
// remote unit (0x7fffffff: any).
ssh::Bytes tun_open_data(const TunnelSettings& settings);
// ssh's local device name: tunN / tapN, or the kernel's pick ("tun%d") for any.
std::string local_device_name(const TunnelSettings& settings);

class TunnelForward {
 public:
  // The server refused the channel (ssh: "Tunnel forwarding failed"), with its description.
  using OnRefused = std::function<void(const std::string& description)>;

  TunnelForward(uv_loop_t* loop, TunnelSettings settings, OnRefused on_refused);
  ~TunnelForward();
  TunnelForward(const TunnelForward&) = delete;
  TunnelForward& operator=(const TunnelForward&) = delete;

  // Opens the local device (the first time) and the channel on `session`. False with `error` when
  // the device cannot be opened.
  bool attach(SshSession& session, std::string& error);
  // The connection is going: its channel is given up (the device stays).
  void detach();
  // The connection carrying the channel; nullptr while none does.
  SshSession* session() const { return session_; }
  // The local interface's name once opened.
  std::string device_name() const;
  bool established() const { return established_; }

 private:
  class Observer;

  uv_loop_t* loop_;
  TunnelSettings settings_;
  OnRefused on_refused_;
  std::shared_ptr<SharedDevice> device_;
  PumpSet pumps_;
  ChannelPump* pump_ = nullptr;
  SshSession* session_ = nullptr;
  bool established_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gateway::tunnel
