#include "gateway/vpn/kill_switch.hpp"

#include <nftables/libnftables.h>

#include "gateway/util/log.hpp"

namespace gateway::vpn {
namespace {

// Runs nft commands as one transaction; false with nft's error text.
bool run_nft(const std::string& commands, std::string& error) {
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (ctx == nullptr) {
    error = "cannot start libnftables";
    return false;
  }
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  const bool ok = nft_run_cmd_from_buffer(ctx, commands.c_str()) == 0;
  if (!ok) {
    const char* text = nft_ctx_get_error_buffer(ctx);
    error = text != nullptr && *text != '\0' ? text : "nft failed";
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
  }
  nft_ctx_free(ctx);
  return ok;
}

std::string address_set(const std::vector<tun::Cidr>& cidrs, tun::Family family) {
  std::string out;
  for (const auto& c : cidrs) {
    if (c.family() != family) continue;
    out += (out.empty() ? "" : ", ") + c.text();
  }
  return out;
}

}  // namespace

std::string KillSwitch::ruleset(const Settings& s) {
  const std::string name = table_name(s.table);
  std::string r = "table inet " + name + " {\n";
  r += "  chain output {\n";
  r += "    type filter hook output priority filter; policy drop;\n";
  r += "    oifname \"lo\" accept\n";
  r += "    oifname \"" + s.device + "\" accept\n";
  r += "    meta mark " + std::to_string(s.mark) + " accept\n";
  // The local link stays usable: a DHCP lease is renewed, IPv6 neighbours are found.
  r += "    udp sport 68 udp dport 67 accept\n";
  r += "    icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } accept\n";
  if (const auto v4 = address_set(s.excludes, tun::Family::v4); !v4.empty())
    r += "    ip daddr { " + v4 + " } accept\n";
  if (const auto v6 = address_set(s.excludes, tun::Family::v6); !v6.empty())
    r += "    ip6 daddr { " + v6 + " } accept\n";
  // Refused rather than silently dropped, so programs fail at once instead of waiting.
  r += "    meta l4proto tcp reject with tcp reset\n";
  r += "    reject with icmpx type admin-prohibited\n";
  r += "  }\n";
  r += "}\n";
  return r;
}

std::unique_ptr<KillSwitch> KillSwitch::install(const Settings& settings, std::string& error) {
  // "add table" then "delete table" empties a leftover of ours without failing when there is none;
  // the new ruleset follows in the same transaction, so there is no moment without it.
  const std::string name = table_name(settings.table);
  const std::string commands = "add table inet " + name + "\ndelete table inet " + name + "\n" + ruleset(settings);
  if (!run_nft(commands, error)) {
    error = "cannot install the kill switch (nftables): " + error;
    return nullptr;
  }
  log::verbose("VPN kill switch on: only %s, loopback and sshplex's own connections leave this machine",
               settings.device.c_str());
  return std::unique_ptr<KillSwitch>(new KillSwitch(settings.table));
}

bool KillSwitch::remove_leftover(std::uint32_t table) {
  std::string error;
  return run_nft("delete table inet " + table_name(table) + "\n", error);
}

KillSwitch::~KillSwitch() {
  std::string error;
  if (!run_nft("delete table inet " + table_name(table_) + "\n", error)) {
    log::error("cannot remove the kill switch's nftables table %s: %s", table_name(table_).c_str(), error.c_str());
  }
}

}  // namespace gateway::vpn
