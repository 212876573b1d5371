#pragma once
// The kill switch (VpnKillSwitch yes): while sshplex runs, nothing leaves the machine except through
// the tun, on loopback, from sshplex's own marked sockets (the pool, its lookups), to the networks the
// user excluded, and what keeps the local link alive (DHCP, IPv6 neighbour discovery). It holds while
// the pool reconnects, since it does not depend on any connection. One nftables table of our own
// ("inet sshplex_<table>"), made and removed through libnftables in one transaction each, so no
// other table is touched and a restart replaces rather than stacks it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tun/cidr.hpp"

namespace gateway::vpn {

class KillSwitch {
 public:
  struct Settings {
    std::string device;  // the tun's name
    std::uint32_t mark = 0;
    std::vector<tun::Cidr> excludes;
    std::uint32_t table = 0;  // names the nftables table
  };

  // Installs the ruleset; nullptr with nft's own message in `error`.
  static std::unique_ptr<KillSwitch> install(const Settings& settings, std::string& error);
  // Removes the table of a sshplex that died (also done by install()). true when one was there.
  static bool remove_leftover(std::uint32_t table);
  ~KillSwitch();  // removes the table
  KillSwitch(const KillSwitch&) = delete;
  KillSwitch& operator=(const KillSwitch&) = delete;

  // The ruleset as nft(8) reads it (for the tests and -v).
  static std::string ruleset(const Settings& settings);
  static std::string table_name(std::uint32_t table) { return "sshplex_" + std::to_string(table); }

 private:
  explicit KillSwitch(std::uint32_t table) : table_(table) {}
  std::uint32_t table_;
};

}  // namespace gateway::vpn
