#pragma once
// Cryptographically secure random bytes (OpenSSL's DRBG). In fuzzing builds
// (SSHPLEX_FUZZING) the output is a fixed deterministic stream so runs are reproducible.
#include "ssh/wire/bytes.hpp"

namespace ssh::crypto {

void random_bytes(MutableByteView out);
std::uint32_t random_u32();

}  // namespace ssh::crypto
