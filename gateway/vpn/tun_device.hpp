#pragma once
// The tun device: a layer-3 interface whose packets come to us instead of a wire. Opened without
// the packet-information prefix (IFF_NO_PI), so each read is exactly one IP packet and each write
// one packet back into the kernel. The device is not persistent: closing it (or the process dying)
// makes the kernel delete the interface with every address and route on it.
//
// With Offload::tcp the device is opened with IFF_VNET_HDR and checksum and TCP segmentation
// offload (tun/offload.hpp): a read may be a TCP super-packet of up to 64 KiB with a partial
// checksum, described by its OffloadHeader, and a write passes one back the same way.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "tun/offload.hpp"

namespace gateway::vpn {

class TunDevice {
 public:
  // A packet read from the device, writable in place (the NAT rewrites it); valid during the call.
  // `offload` is all zero unless the device was opened with Offload::tcp.
  using OnPacket = std::function<void(std::span<std::uint8_t> packet, const tun::OffloadHeader& offload)>;

  struct Counters {
    std::uint64_t packets_in = 0;
    std::uint64_t super_packets_in = 0;  // TCP super-packets among them (offload)
    std::uint64_t packets_out = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t write_drops = 0;  // the kernel's queue was full, or the write failed
  };

  // tun: IP packets (layer 3); tap: Ethernet frames (layer 2, ssh's Tunnel ethernet).
  enum class Kind : std::uint8_t { tun, tap };
  enum class Offload : std::uint8_t { none, tcp };

  // Creates the device; `name` may be a template such as "sshplex%d" (the kernel picks the number).
  // Needs CAP_NET_ADMIN. nullptr with `error` naming what failed.
  // Offload::tcp falls back to none, with a log line, on a kernel that refuses it.
  static std::unique_ptr<TunDevice> open(uv_loop_t* loop, const std::string& name, std::string& error,
                                         Kind kind = Kind::tun, Offload offload = Offload::none);
  ~TunDevice();
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;

  const std::string& name() const { return name_; }
  // Starts reading: each packet goes to `on_packet`, a bounded batch per wakeup so one busy device
  // cannot starve the rest of the loop.
  void start(OnPacket on_packet);
  // Stops reading; resume() reads again with the same callback (safe from inside it). Meanwhile
  // packets wait in the kernel's queue, which drops when full.
  void stop();
  void resume();
  // Writes one packet. IP is allowed to lose packets: when the kernel cannot take it now it is
  // dropped and counted (TCP retransmits), never queued here.
  // `offload` describes a super-packet or a partial checksum (as read); the default, a whole packet.
  void write(std::span<const std::uint8_t> packet, const tun::OffloadHeader& offload = {});
  bool offloading() const { return offload_; }
  const Counters& counters() const { return counters_; }

 private:
  TunDevice(uv_loop_t* loop, int fd, std::string name, bool offload);
  void on_readable();

  uv_loop_t* loop_;
  int fd_;
  std::string name_;
  bool offload_;  // each read and write starts with an OffloadHeader
  uv_poll_t* poll_ = nullptr;
  OnPacket on_packet_;
  bool reading_ = false;  // cleared by stop() from inside on_packet_: the batch ends there
  std::unique_ptr<std::uint8_t[]> buffer_;
  Counters counters_;
};

}  // namespace gateway::vpn
