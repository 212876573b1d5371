// known_hosts text in, decisions out: parsing and checking must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ssh/known_hosts/known_hosts.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ssh::known_hosts::KnownHosts kh;
  kh.add_source("fuzz", text);
  // Check every parsed key against a few names, and the first key's bytes as an arbitrary blob.
  const ssh::ByteView raw(data, size < 64 ? size : 64);
  for (const auto& entry : kh.entries()) {
    (void)kh.check("host.example", 22, entry.key_blob);
    (void)kh.check("host.example", 2222, entry.key_blob);
  }
  (void)kh.check("host.example", 22, raw);
  (void)kh.known_key_types("host.example", 22);
  if (!kh.entries().empty()) (void)ssh::known_hosts::format_line("h", 22, kh.entries()[0].key_blob, false);
  return 0;
}
