#pragma once
// Cryptographically secure random bytes (OpenSSL's DRBG). In fuzzing builds
// (SSHPLEX_FUZZING) the output is a fixed deterministic stream so runs are reproducible.
#include "ssh/wire/bytes.hpp"

namespace ssh::crypto {

void random_bytes(MutableByteView out);
std::uint32_t random_u32();

// Random bytes for packet padding (RFC 4253 §6), from the same DRBG but drawn a few KiB at a time:
// one DRBG call per packet costs more than sealing a small packet. Not for keys, nonces or
// cookies, which come from random_bytes() directly.
void padding_bytes(MutableByteView out);

#ifdef SSHPLEX_FUZZING
// Restarts the deterministic stream; fuzz targets call it at the start of every input so each input
// sees the same "random" bytes no matter what ran before it in the same process.
void fuzz_reset_random(std::uint64_t seed = 0);
#endif

}  // namespace ssh::crypto
