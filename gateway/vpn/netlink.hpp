#pragma once
// rtnetlink (NETLINK_ROUTE) for the VPN's device, routes and rules: one request at a time, each
// answered by the kernel's acknowledgement before the call returns. Used when the VPN starts and
// stops, never on the data path, so the calls block (the kernel answers rtnetlink at once).
// Messages are built and parsed with libmnl. Errors name what failed and carry the kernel's errno
// text: "cannot add route 10.0.0.0/8 to table 7368: File exists". Needs CAP_NET_ADMIN.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/vpn/route_plan.hpp"
#include "tun/cidr.hpp"

struct mnl_socket;
struct nlmsghdr;

namespace gateway::vpn {

class Netlink {
 public:
  static std::unique_ptr<Netlink> open(std::string& error);
  ~Netlink();
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;

  std::optional<int> link_index(const std::string& name, std::string& error);
  // Brings the link up; `mtu` 0 leaves its MTU as it is.
  bool set_link_up(int index, unsigned mtu, std::string& error);
  // The address with its on-link prefix (host bits kept: Cidr::parse_interface_address). IPv6
  // addresses skip duplicate address detection so they are usable at once.
  bool add_address(int index, const Cidr& address, std::string& error);
  // Fails with "File exists" when the same route is already there (NLM_F_EXCL). `device_index`
  // is used by device routes only.
  bool add_route(const Route& route, int device_index, std::string& error);
  // A route or rule that is already gone is not an error: the kernel drops a device's routes
  // with the device, and an administrator may have removed them by hand.
  bool delete_route(const Route& route, int device_index, std::string& error);
  bool add_rule(const Rule& rule, std::string& error);
  bool delete_rule(const Rule& rule, std::string& error);
  // Leftovers of an earlier run that died: every route of `table` (both families) and every rule
  // that points at `table` or sits in [priority, priority + span). Returns how many were removed;
  // `error` is set (and the count covers what went before) when a dump or a removal fails. Ranges
  // that would include the kernel's own rules (priorities 0, 32766, 32767) are refused.
  std::size_t remove_table_and_rules(std::uint32_t table, std::uint32_t priority, std::uint32_t span,
                                     std::string& error);

 private:
  explicit Netlink(mnl_socket* socket);
  // Sends one request and waits for its acknowledgement (or its answer, handed to `on_reply`).
  // Returns 0 or the kernel's errno (or the socket's, when sending or receiving failed).
  using ReplyHandler = int (*)(const nlmsghdr*, void*);
  int request(nlmsghdr* message, ReplyHandler on_reply = nullptr, void* data = nullptr);
  // A dump request: every message of the answer, copied, until NLMSG_DONE.
  int dump(nlmsghdr* message, std::vector<std::vector<std::uint8_t>>& messages);
  std::uint32_t next_sequence() { return ++sequence_; }

  mnl_socket* socket_;
  std::uint32_t port_id_ = 0;
  std::uint32_t sequence_ = 0;
};

}  // namespace gateway::vpn
