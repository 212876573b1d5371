#pragma once
// Base64 (RFC 4648) as used by known_hosts, public key files and fingerprints.
#include <optional>
#include <string>
#include <string_view>

#include "ssh/wire/bytes.hpp"

namespace ssh::crypto {

std::string base64_encode(ByteView data, bool pad = true);
// Rejects characters outside the alphabet; tolerates missing padding. Whitespace is not skipped.
std::optional<Bytes> base64_decode(std::string_view text);

}  // namespace ssh::crypto
