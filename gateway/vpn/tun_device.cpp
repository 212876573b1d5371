#include "gateway/vpn/tun_device.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "gateway/util/log.hpp"

namespace gateway::vpn {
namespace {

// The largest IP packet a read can return (the device's MTU may be raised up to 65535; a TCP
// super-packet is at most that too), after the offload header when there is one.
constexpr std::size_t kMaxPacket = 65535;
constexpr std::size_t kMaxRead = tun::OffloadHeader::size + kMaxPacket;
// Packets handled per wakeup before the loop gets its turn.
constexpr int kReadBatch = 64;

}  // namespace

std::unique_ptr<TunDevice> TunDevice::open(uv_loop_t* loop, const std::string& name, std::string& error, Kind kind,
                                           Offload offload) {
  if (name.size() >= IFNAMSIZ) {
    error = "tun device name '" + name + "' is longer than " + std::to_string(IFNAMSIZ - 1) + " characters";
    return nullptr;
  }
  const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    error = std::string("cannot open /dev/net/tun: ") + std::strerror(errno);
    return nullptr;
  }
  ifreq request{};
  const bool want_offload = offload == Offload::tcp && kind == Kind::tun;
  request.ifr_flags =
      static_cast<short>((kind == Kind::tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI | (want_offload ? IFF_VNET_HDR : 0));
  std::memcpy(request.ifr_name, name.c_str(), name.size());
  if (ioctl(fd, TUNSETIFF, &request) != 0) {
    const int e = errno;
    ::close(fd);
    error = std::string("cannot create ") + (kind == Kind::tap ? "tap" : "tun") + " device '" + name +
            "': " + std::strerror(e) + (e == EPERM ? " (it needs root or CAP_NET_ADMIN)" : "");
    return nullptr;
  }
  request.ifr_name[IFNAMSIZ - 1] = '\0';
  if (want_offload) {
    int header_size = static_cast<int>(tun::OffloadHeader::size);
    const unsigned features = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
    if (ioctl(fd, TUNSETVNETHDRSZ, &header_size) != 0 || ioctl(fd, TUNSETOFFLOAD, features) != 0) {
      // The header stays on (IFF_VNET_HDR cannot be undone), describing whole packets only.
      log::info("tun %s: no checksum / segmentation offload (%s): one packet per read", request.ifr_name,
                std::strerror(errno));
    }
  }
  return std::unique_ptr<TunDevice>(new TunDevice(loop, fd, request.ifr_name, want_offload));
}

TunDevice::TunDevice(uv_loop_t* loop, int fd, std::string name, bool offload)
    : loop_(loop), fd_(fd), name_(std::move(name)), offload_(offload), buffer_(new std::uint8_t[kMaxRead]) {}

TunDevice::~TunDevice() {
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  }
  ::close(fd_);
}

void TunDevice::start(OnPacket on_packet) {
  on_packet_ = std::move(on_packet);
  if (poll_ == nullptr) {
    poll_ = new uv_poll_t;
    uv_poll_init(loop_, poll_, fd_);
    poll_->data = this;
  }
  uv_poll_start(poll_, UV_READABLE, [](uv_poll_t* p, int status, int) {
    if (status == 0) static_cast<TunDevice*>(p->data)->on_readable();
  });
}

void TunDevice::resume() {
  if (poll_ == nullptr) return;
  uv_poll_start(poll_, UV_READABLE, [](uv_poll_t* p, int status, int) {
    if (status == 0) static_cast<TunDevice*>(p->data)->on_readable();
  });
}

void TunDevice::stop() {
  if (poll_ != nullptr) uv_poll_stop(poll_);
  reading_ = false;
}

void TunDevice::on_readable() {
  reading_ = true;
  for (int i = 0; i < kReadBatch && reading_; ++i) {
    const ssize_t n = ::read(fd_, buffer_.get(), kMaxRead);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        log::error("tun %s: read failed: %s", name_.c_str(), std::strerror(errno));
      }
      return;
    }
    std::span<std::uint8_t> data(buffer_.get(), static_cast<std::size_t>(n));
    tun::OffloadHeader offload;
    if (offload_) {
      const auto header = tun::parse_offload_header(data);
      if (!header) continue;  // the kernel always writes the whole header; nothing to deliver
      offload = *header;
      data = data.subspan(tun::OffloadHeader::size);
    }
    ++counters_.packets_in;
    if (offload.segmented()) ++counters_.super_packets_in;
    counters_.bytes_in += data.size();
    on_packet_(data, offload);
  }
}

void TunDevice::write(std::span<const std::uint8_t> packet, const tun::OffloadHeader& offload) {
  ssize_t n = 0;
  std::size_t expected = packet.size();
  if (offload_) {
    std::array<std::uint8_t, tun::OffloadHeader::size> header{};
    tun::encode_offload_header(offload, header);
    std::array<iovec, 2> parts{iovec{header.data(), header.size()},
                               iovec{const_cast<std::uint8_t*>(packet.data()), packet.size()}};
    expected += header.size();
    n = ::writev(fd_, parts.data(), static_cast<int>(parts.size()));
  } else {
    n = ::write(fd_, packet.data(), packet.size());
  }
  if (n != static_cast<ssize_t>(expected)) {
    ++counters_.write_drops;
    if (n < 0 && errno != EAGAIN) log::debug("tun %s: write failed: %s", name_.c_str(), std::strerror(errno));
    return;
  }
  ++counters_.packets_out;
  counters_.bytes_out += packet.size();
}

}  // namespace gateway::vpn
