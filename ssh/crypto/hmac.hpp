#pragma once
// One-shot HMAC (RFC 2104) for callers outside the packet MAC path, e.g. hashed known_hosts names
// (HMAC-SHA1 keyed with a per-line salt).
#include "ssh/crypto/hash.hpp"
#include "ssh/wire/bytes.hpp"

namespace ssh::crypto {

// Returns HMAC-<alg>(key, data); empty only if OpenSSL fails (out of memory), never for bad input.
SecretBytes hmac(HashAlg alg, ByteView key, ByteView data);

}  // namespace ssh::crypto
