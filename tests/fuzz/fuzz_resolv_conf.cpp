// resolv.conf text as the server sends it: the parser never reads outside the text, returns at most
// three nameservers, each on port 53, each an address that prints and parses back to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gateway/vpn/server_resolver.hpp"
#include "tun/address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto resolvers = gateway::vpn::parse_resolv_conf(text);
  if (resolvers.size() > gateway::vpn::max_nameservers) std::abort();
  for (const auto& r : resolvers) {
    if (r.port != gateway::vpn::dns_port) std::abort();
    const auto back = tun::parse_address(tun::to_string(r.address));
    if (!back || !(*back == r.address)) std::abort();
  }
  return 0;
}
