#pragma once
// One-line public keys as in id_*.pub, authorized_keys and known_hosts: "type base64 [comment]".
#include <optional>
#include <string>
#include <string_view>

#include "ssh/wire/bytes.hpp"

namespace ssh::keys {

struct PublicKey {
  std::string type;  // from the line, checked equal to the type inside the blob
  Bytes blob;
  std::string comment;
};

// Parses "type base64 [comment]". nullopt when malformed or when the blob's type disagrees.
std::optional<PublicKey> parse_public_key_line(std::string_view line);

}  // namespace ssh::keys
