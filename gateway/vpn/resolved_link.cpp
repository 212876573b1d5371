#include "gateway/vpn/resolved_link.hpp"

#include <sys/socket.h>
#include <systemd/sd-bus.h>

#include <cstring>

#include "gateway/util/log.hpp"
#include "tun/address.hpp"

namespace gateway::vpn {
namespace {

constexpr const char* kService = "org.freedesktop.resolve1";
constexpr const char* kPath = "/org/freedesktop/resolve1";
constexpr const char* kManager = "org.freedesktop.resolve1.Manager";

struct Bus {
  sd_bus* bus = nullptr;
  Bus() {
    if (sd_bus_open_system(&bus) < 0) bus = nullptr;
  }
  ~Bus() { sd_bus_flush_close_unref(bus); }
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;
};

std::string bus_error(const sd_bus_error& e, int r) {
  if (e.message != nullptr) return e.message;
  return std::strerror(-r);
}

// One method call whose arguments `append` adds; "" or why it failed.
template <class Append>
std::string call(sd_bus* bus, const char* method, Append append) {
  sd_bus_message* m = nullptr;
  int r = sd_bus_message_new_method_call(bus, &m, kService, kPath, kManager, method);
  if (r >= 0) r = append(m);
  sd_bus_error error{};  // SD_BUS_ERROR_NULL, whose C99 compound literal clang warns about in C++
  sd_bus_message* reply = nullptr;
  if (r >= 0) r = sd_bus_call(bus, m, 0, &error, &reply);
  std::string why;
  if (r < 0) why = std::string(method) + ": " + bus_error(error, r);
  sd_bus_error_free(&error);
  sd_bus_message_unref(reply);
  sd_bus_message_unref(m);
  return why;
}

}  // namespace

bool ResolvedLink::running() {
  Bus b;
  if (b.bus == nullptr) return false;
  sd_bus_error error{};  // SD_BUS_ERROR_NULL, whose C99 compound literal clang warns about in C++
  sd_bus_message* reply = nullptr;
  int has_owner = 0;
  int r = sd_bus_call_method(b.bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                             "NameHasOwner", &error, &reply, "s", kService);
  if (r >= 0) r = sd_bus_message_read(reply, "b", &has_owner);
  sd_bus_error_free(&error);
  sd_bus_message_unref(reply);
  return r >= 0 && has_owner != 0;
}

std::optional<ResolvedLink> ResolvedLink::apply(int ifindex, const tun::IpAddress& dns, std::string& error) {
  Bus b;
  if (b.bus == nullptr) {
    error = "cannot connect to the system bus";
    return std::nullopt;
  }
  ResolvedLink link(ifindex);
  error = call(b.bus, "SetLinkDNS", [&](sd_bus_message* m) {
    int r = sd_bus_message_append(m, "i", ifindex);
    if (r >= 0) r = sd_bus_message_open_container(m, 'a', "(iay)");
    if (r >= 0) r = sd_bus_message_open_container(m, 'r', "iay");
    if (r >= 0) r = sd_bus_message_append(m, "i", dns.family == tun::Family::v4 ? AF_INET : AF_INET6);
    if (r >= 0) r = sd_bus_message_append_array(m, 'y', dns.bytes.data(), dns.size());
    if (r >= 0) r = sd_bus_message_close_container(m);
    if (r >= 0) r = sd_bus_message_close_container(m);
    return r;
  });
  // "~.": every name is routed to this link, and no search domain is added.
  if (error.empty()) {
    error = call(b.bus, "SetLinkDomains",
                 [&](sd_bus_message* m) { return sd_bus_message_append(m, "ia(sb)", ifindex, 1, ".", 1); });
  }
  if (error.empty()) {
    error = call(b.bus, "SetLinkDefaultRoute",
                 [&](sd_bus_message* m) { return sd_bus_message_append(m, "ib", ifindex, 1); });
  }
  if (!error.empty()) return std::nullopt;  // the destructor reverts what was set
  log::verbose("VPN DNS: systemd-resolved sends every name to %s on link %d", tun::to_string(dns).c_str(), ifindex);
  return link;
}

void ResolvedLink::revert() {
  if (ifindex_ == 0) return;
  const int ifindex = ifindex_;
  ifindex_ = 0;
  Bus b;
  if (b.bus == nullptr) return;
  const std::string error =
      call(b.bus, "RevertLink", [&](sd_bus_message* m) { return sd_bus_message_append(m, "i", ifindex); });
  // The link may be gone already, and resolved with it forgot our settings.
  if (!error.empty()) log::debug("VPN DNS: resolved: %s", error.c_str());
}

}  // namespace gateway::vpn
