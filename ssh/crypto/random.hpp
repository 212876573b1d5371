#pragma once
// Cryptographically secure random bytes (OpenSSL's DRBG). In fuzzing builds
// (SSHPLEX_FUZZING) the output is a fixed deterministic stream so runs are reproducible.
#include "ssh/wire/bytes.hpp"

namespace ssh::crypto {

void random_bytes(MutableByteView out);
std::uint32_t random_u32();

#ifdef SSHPLEX_FUZZING
// Restarts the deterministic stream; fuzz targets call it at the start of every input so each input
// sees the same "random" bytes no matter what ran before it in the same process.
void fuzz_reset_random(std::uint64_t seed = 0);
#endif

}  // namespace ssh::crypto
