#include "gateway/vpn/netlink.hpp"

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace gateway::vpn {
namespace {

// Requests are a few attributes; dump answers come in batches the kernel sizes after the largest
// buffer it has seen us read with (up to 32 KiB), so that is the receive buffer.
constexpr std::size_t kRequestSize = 1024;
constexpr std::size_t kReceiveSize = 32768;
constexpr int kDumpAttempts = 3;

// The kernel's rules (local, main, default): never part of sshplex's block.
constexpr std::uint32_t kKernelRulePriorities[] = {0, 32766, 32767};

int address_family(tun::Family family) {
  return family == tun::Family::v4 ? AF_INET : AF_INET6;
}

std::string errno_text(int error) {
  return std::strerror(error);
}

// Deleting what is already gone: ESRCH (a route), ENOENT (a rule, an IPv6 route), ENODEV (the
// device went and took its routes).
bool already_gone(int error) {
  return error == ESRCH || error == ENOENT || error == ENODEV;
}

// A route or rule table number goes in the header when it fits in a byte and always in the
// attribute, as ip(8) does; tables above 255 exist only in the attribute.
std::uint8_t header_table(std::uint32_t table) {
  return table < 256 ? static_cast<std::uint8_t>(table) : static_cast<std::uint8_t>(RT_TABLE_UNSPEC);
}

nlmsghdr* start_message(std::uint8_t* buffer, std::uint16_t type, std::uint16_t flags) {
  nlmsghdr* message = mnl_nlmsg_put_header(buffer);
  message->nlmsg_type = type;
  message->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
  return message;
}

template <typename Header>
Header* put_header(nlmsghdr* message) {
  return static_cast<Header*>(mnl_nlmsg_put_extra_header(message, sizeof(Header)));
}

void put_route(nlmsghdr* message, const Route& route, int device_index, bool adding) {
  auto* rtm = put_header<rtmsg>(message);
  rtm->rtm_family = static_cast<std::uint8_t>(address_family(route.destination.family()));
  rtm->rtm_dst_len = route.destination.prefix;
  rtm->rtm_table = header_table(route.table);
  switch (route.type) {
    case Route::Type::device:
      rtm->rtm_type = RTN_UNICAST;
      rtm->rtm_scope = RT_SCOPE_LINK;  // no gateway: the destination is on the device's link
      break;
    case Route::Type::unreachable:
      rtm->rtm_type = RTN_UNREACHABLE;
      rtm->rtm_scope = RT_SCOPE_UNIVERSE;
      break;
    case Route::Type::throw_route:
      rtm->rtm_type = RTN_THROW;
      rtm->rtm_scope = RT_SCOPE_UNIVERSE;
      break;
  }
  if (adding) {
    rtm->rtm_protocol = RTPROT_STATIC;
  } else {
    // As ip(8) deletes: any scope and any protocol, the rest of the key must match.
    rtm->rtm_scope = RT_SCOPE_NOWHERE;
    rtm->rtm_protocol = RTPROT_UNSPEC;
  }
  mnl_attr_put_u32(message, RTA_TABLE, route.table);
  if (route.destination.prefix > 0) {
    const auto bytes = route.destination.address.view();
    mnl_attr_put(message, RTA_DST, bytes.size(), bytes.data());
  }
  if (route.type == Route::Type::device) mnl_attr_put_u32(message, RTA_OIF, static_cast<std::uint32_t>(device_index));
}

void put_rule(nlmsghdr* message, const Rule& rule) {
  auto* frh = put_header<fib_rule_hdr>(message);
  frh->family = static_cast<std::uint8_t>(address_family(rule.family));
  frh->table = header_table(rule.table);
  frh->action = FR_ACT_TO_TBL;
  if (rule.invert) frh->flags = static_cast<std::uint32_t>(FIB_RULE_INVERT);
  mnl_attr_put_u32(message, FRA_PRIORITY, rule.priority);
  mnl_attr_put_u32(message, FRA_TABLE, rule.table);
  if (rule.fwmark != 0) {
    mnl_attr_put_u32(message, FRA_FWMARK, rule.fwmark);
    mnl_attr_put_u32(message, FRA_FWMASK, 0xffffffffU);
  }
  if (rule.suppress_prefixlength) mnl_attr_put_u32(message, FRA_SUPPRESS_PREFIXLEN, *rule.suppress_prefixlength);
}

// The attributes of one message by type (the last of each wins; unknown types are skipped).
template <int Max>
struct Attributes {
  const nlattr* by_type[static_cast<std::size_t>(Max) + 1] = {};

  static int collect(const nlattr* attribute, void* data) {
    auto* self = static_cast<Attributes*>(data);
    const int type = mnl_attr_get_type(attribute);
    if (type >= 0 && type <= Max) self->by_type[type] = attribute;
    return MNL_CB_OK;
  }
  bool parse(const nlmsghdr* message, std::size_t header_size) {
    return mnl_attr_parse(message, static_cast<unsigned>(header_size), collect, this) >= 0;
  }
  std::optional<std::uint32_t> u32(int type) const {
    const nlattr* a = by_type[type];
    if (a == nullptr || mnl_attr_validate(a, MNL_TYPE_U32) < 0) return std::nullopt;
    return mnl_attr_get_u32(a);
  }
};

int link_index_reply(const nlmsghdr* message, void* data) {
  if (message->nlmsg_type != RTM_NEWLINK) return MNL_CB_OK;
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(message));
  *static_cast<int*>(data) = ifi->ifi_index;
  return MNL_CB_OK;
}

std::uint32_t route_table(const nlmsghdr* message) {
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(message));
  Attributes<RTA_MAX> attributes;
  if (attributes.parse(message, sizeof(rtmsg))) {
    if (const auto table = attributes.u32(RTA_TABLE)) return *table;
  }
  return rtm->rtm_table;
}

struct RuleKey {
  std::uint32_t table = 0;
  std::uint32_t priority = 0;
};

RuleKey rule_key(const nlmsghdr* message) {
  const auto* frh = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(message));
  RuleKey key;
  key.table = frh->table;
  Attributes<FRA_MAX> attributes;
  if (attributes.parse(message, sizeof(fib_rule_hdr))) {
    if (const auto table = attributes.u32(FRA_TABLE)) key.table = *table;
    // The kernel leaves the attribute out for priority 0.
    if (const auto priority = attributes.u32(FRA_PRIORITY)) key.priority = *priority;
  }
  return key;
}

}  // namespace

std::unique_ptr<Netlink> Netlink::open(std::string& error) {
  mnl_socket* socket = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (socket == nullptr) {
    error = "cannot open a netlink socket: " + errno_text(errno);
    return nullptr;
  }
  if (mnl_socket_bind(socket, 0, MNL_SOCKET_AUTOPID) < 0) {
    error = "cannot bind a netlink socket: " + errno_text(errno);
    mnl_socket_close(socket);
    return nullptr;
  }
  return std::unique_ptr<Netlink>(new Netlink(socket));
}

Netlink::Netlink(mnl_socket* socket) : socket_(socket), port_id_(mnl_socket_get_portid(socket)) {}

Netlink::~Netlink() {
  mnl_socket_close(socket_);
}

int Netlink::request(nlmsghdr* message, ReplyHandler on_reply, void* data) {
  message->nlmsg_flags = static_cast<std::uint16_t>(message->nlmsg_flags | NLM_F_REQUEST | NLM_F_ACK);
  message->nlmsg_seq = next_sequence();
  if (mnl_socket_sendto(socket_, message, message->nlmsg_len) < 0) return errno;
  std::vector<std::uint8_t> buffer(kReceiveSize);
  for (;;) {
    const ssize_t received = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
    if (received < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    // MNL_CB_STOP at the acknowledgement; an error acknowledgement returns -1 with its errno.
    const int result =
        mnl_cb_run(buffer.data(), static_cast<std::size_t>(received), message->nlmsg_seq, port_id_, on_reply, data);
    if (result < 0) return errno;
    if (result == MNL_CB_STOP) return 0;
  }
}

int Netlink::dump(nlmsghdr* message, std::vector<std::vector<std::uint8_t>>& messages) {
  std::vector<std::uint8_t> buffer(kReceiveSize);
  for (int attempt = 0; attempt < kDumpAttempts; ++attempt) {
    messages.clear();
    message->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | NLM_F_DUMP);
    message->nlmsg_seq = next_sequence();
    if (mnl_socket_sendto(socket_, message, message->nlmsg_len) < 0) return errno;
    // Read to the end even after an error, so no part of this answer is left to confuse the next
    // request. A dump the kernel marks interrupted (the table changed meanwhile) is asked again.
    bool done = false;
    bool interrupted = false;
    int error = 0;
    while (!done) {
      const ssize_t received = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
      if (received < 0) {
        if (errno == EINTR) continue;
        return errno;
      }
      int left = static_cast<int>(received);
      for (const nlmsghdr* reply = reinterpret_cast<const nlmsghdr*>(buffer.data()); mnl_nlmsg_ok(reply, left);
           reply = mnl_nlmsg_next(reply, &left)) {
        if (!mnl_nlmsg_seq_ok(reply, message->nlmsg_seq) || !mnl_nlmsg_portid_ok(reply, port_id_)) continue;
        if ((reply->nlmsg_flags & NLM_F_DUMP_INTR) != 0) interrupted = true;
        if (reply->nlmsg_type == NLMSG_DONE) {
          done = true;
        } else if (reply->nlmsg_type == NLMSG_ERROR) {
          const auto* answer = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(reply));
          if (answer->error != 0 && error == 0) error = -answer->error;
          done = true;
        } else {
          const auto* bytes = reinterpret_cast<const std::uint8_t*>(reply);
          messages.emplace_back(bytes, bytes + reply->nlmsg_len);
        }
      }
    }
    if (error != 0) return error;
    if (!interrupted) return 0;
  }
  return EINTR;
}

std::optional<int> Netlink::link_index(const std::string& name, std::string& error) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    error = "cannot look up link \"" + name + "\": not a valid interface name";
    return std::nullopt;
  }
  alignas(nlmsghdr) std::uint8_t buffer[kRequestSize];
  nlmsghdr* message = start_message(buffer, RTM_GETLINK, 0);
  put_header<ifinfomsg>(message)->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(message, IFLA_IFNAME, name.c_str());
  int index = 0;
  if (const int e = request(message, link_index_reply, &index); e != 0) {
    error = "cannot look up link " + name + ": " + errno_text(e);
    return std::nullopt;
  }
  if (index <= 0) {
    error = "cannot look up link " + name + ": the kernel's answer has no index";
    return std::nullopt;
  }
  return index;
}

bool Netlink::set_link_up(int index, unsigned mtu, std::string& error) {
  alignas(nlmsghdr) std::uint8_t buffer[kRequestSize];
  nlmsghdr* message = start_message(buffer, RTM_NEWLINK, 0);
  auto* ifi = put_header<ifinfomsg>(message);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  if (mtu != 0) mnl_attr_put_u32(message, IFLA_MTU, mtu);
  if (const int e = request(message); e != 0) {
    error = "cannot set link " + std::to_string(index) + " up" + (mtu != 0 ? " with MTU " + std::to_string(mtu) : "") +
            ": " + errno_text(e);
    return false;
  }
  return true;
}

bool Netlink::add_address(int index, const Cidr& address, std::string& error) {
  alignas(nlmsghdr) std::uint8_t buffer[kRequestSize];
  nlmsghdr* message = start_message(buffer, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  auto* ifa = put_header<ifaddrmsg>(message);
  ifa->ifa_family = static_cast<std::uint8_t>(address_family(address.family()));
  ifa->ifa_prefixlen = address.prefix;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = static_cast<std::uint32_t>(index);
  // Duplicate address detection would hold an IPv6 address "tentative" (unusable as a source)
  // for a second or more; nothing else sits on a tun's link to clash with it.
  const std::uint32_t flags = address.family() == tun::Family::v6 ? IFA_F_NODAD : 0;
  ifa->ifa_flags = static_cast<std::uint8_t>(flags);
  const auto bytes = address.address.view();
  // Local and peer address alike, as ip(8) does without "peer": a tun is point-to-point.
  mnl_attr_put(message, IFA_LOCAL, bytes.size(), bytes.data());
  mnl_attr_put(message, IFA_ADDRESS, bytes.size(), bytes.data());
  if (flags != 0) mnl_attr_put_u32(message, IFA_FLAGS, flags);
  if (const int e = request(message); e != 0) {
    error = "cannot add address " + address.text() + " to link " + std::to_string(index) + ": " + errno_text(e);
    return false;
  }
  return true;
}

bool Netlink::add_route(const Route& route, int device_index, std::string& error) {
  alignas(nlmsghdr) std::uint8_t buffer[kRequestSize];
  nlmsghdr* message = start_message(buffer, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  put_route(message, route, device_index, true);
  if (const int e = request(message); e != 0) {
    error = "cannot add route " + route_text(route) + " to table " + std::to_string(route.table) + ": " + errno_text(e);
    return false;
  }
  return true;
}

bool Netlink::delete_route(const Route& route, int device_index, std::string& error) {
  alignas(nlmsghdr) std::uint8_t buffer[kRequestSize];
  nlmsghdr* message = start_message(buffer, RTM_DELROUTE, 0);
  put_route(message, route, device_index, false);
  if (const int e = request(message); e != 0 && !already_gone(e)) {
    error = "cannot delete route " + route_text(route) + " from table " + std::to_string(route.table) + ": " +
            errno_text(e);
    return false;
  }
  return true;
}

bool Netlink::add_rule(const Rule& rule, std::string& error) {
  alignas(nlmsghdr) std::uint8_t buffer[kRequestSize];
  nlmsghdr* message = start_message(buffer, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL);
  put_rule(message, rule);
  if (const int e = request(message); e != 0) {
    error = "cannot add rule " + rule_text(rule) + ": " + errno_text(e);
    return false;
  }
  return true;
}

bool Netlink::delete_rule(const Rule& rule, std::string& error) {
  alignas(nlmsghdr) std::uint8_t buffer[kRequestSize];
  nlmsghdr* message = start_message(buffer, RTM_DELRULE, 0);
  put_rule(message, rule);
  if (const int e = request(message); e != 0 && !already_gone(e)) {
    error = "cannot delete rule " + rule_text(rule) + ": " + errno_text(e);
    return false;
  }
  return true;
}

std::size_t Netlink::remove_table_and_rules(std::uint32_t table, std::uint32_t priority, std::uint32_t span,
                                            std::string& error) {
  const auto in_block = [&](std::uint32_t p) { return p >= priority && p - priority < span; };
  for (const std::uint32_t kernel : kKernelRulePriorities) {
    if (in_block(kernel)) {
      error = "will not remove rules " + std::to_string(priority) + " to " + std::to_string(priority + span - 1) +
              ": the block includes the kernel's rule " + std::to_string(kernel);
      return 0;
    }
  }
  std::size_t removed = 0;
  // Each leftover is deleted with the message the dump described it with, as `ip route flush`
  // and `ip rule flush` do, so every attribute the kernel matches on is exactly what it has.
  const auto remove_all = [&](std::uint16_t get, std::uint16_t del, std::size_t header_size, const char* what,
                              auto matches) -> bool {
    for (const int family : {AF_INET, AF_INET6}) {
      alignas(nlmsghdr) std::uint8_t buffer[kRequestSize];
      nlmsghdr* message = start_message(buffer, get, 0);
      // rtmsg and fib_rule_hdr both start with the family byte.
      static_cast<std::uint8_t*>(mnl_nlmsg_put_extra_header(message, header_size))[0] =
          static_cast<std::uint8_t>(family);
      std::vector<std::vector<std::uint8_t>> found;
      if (const int e = dump(message, found); e != 0) {
        error = std::string("cannot list ") + (family == AF_INET ? "IPv4 " : "IPv6 ") + what + ": " + errno_text(e);
        return false;
      }
      for (auto& bytes : found) {
        auto* leftover = reinterpret_cast<nlmsghdr*>(bytes.data());
        if (!matches(leftover)) continue;
        leftover->nlmsg_type = del;
        leftover->nlmsg_flags = 0;
        if (const int e = request(leftover); e != 0 && !already_gone(e)) {
          error = std::string("cannot remove a leftover ") + (family == AF_INET ? "IPv4 " : "IPv6 ") + what +
                  " of table " + std::to_string(table) + ": " + errno_text(e);
          return false;
        }
        ++removed;
      }
    }
    return true;
  };
  // Rules first: once they are gone nothing enters the table while its routes go.
  const bool rules_removed = remove_all(RTM_GETRULE, RTM_DELRULE, sizeof(fib_rule_hdr), "rule", [&](const nlmsghdr* m) {
    const RuleKey key = rule_key(m);
    return key.table == table || in_block(key.priority);
  });
  if (!rules_removed) return removed;
  remove_all(RTM_GETROUTE, RTM_DELROUTE, sizeof(rtmsg), "route",
             [&](const nlmsghdr* m) { return route_table(m) == table; });
  return removed;
}

}  // namespace gateway::vpn
