#pragma once
// bcrypt_pbkdf: the passphrase-based key derivation OpenSSH uses for encrypted openssh-key-v1
// private keys (PROTOCOL.key, kdfname "bcrypt"). It is PBKDF2's structure with SHA-512 as the
// outer hash and a bcrypt-style EksBlowfish hash as the PRF, and with the output bytes of the
// blocks interleaved (not concatenated) so every output byte costs the full number of rounds.
#include <cstdint>
#include <string_view>

#include "ssh/wire/bytes.hpp"

namespace ssh::crypto {

// Largest output bcrypt_pbkdf can produce: 32 bytes per block, at most 32 blocks interleaved.
inline constexpr std::size_t kBcryptPbkdfMaxOutput = 32 * 32;

// Fills `out` (1..kBcryptPbkdfMaxOutput bytes) from the passphrase, salt and rounds. Returns false
// (and leaves `out` zeroed) for rounds == 0, an empty salt or an output size out of range.
// The cost is linear in `rounds` (OpenSSH's default is 16; each round is 64 EksBlowfish expansions).
[[nodiscard]] bool bcrypt_pbkdf(std::string_view passphrase, ByteView salt, std::uint32_t rounds, MutableByteView out);

}  // namespace ssh::crypto
