// Fuzzes one-line public keys ("type base64 [comment]") as found in .pub, authorized_keys and
// known_hosts files.
#include <cstddef>
#include <cstdint>

#include "ssh/keys/public_key.hpp"
#include "ssh/wire/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto key = ssh::keys::parse_public_key_line(ssh::as_string(ssh::ByteView(data, size)));
  if (!key) return 0;
  // A parsed key's blob must start with the type named on the line.
  ssh::wire::Reader r(key->blob);
  std::string type;
  if (!r.string(type) || type != key->type) __builtin_trap();
  return 0;
}
