#include "ssh/crypto/bcrypt_pbkdf.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>

#include "ssh/crypto/blowfish.hpp"

namespace ssh::crypto {
namespace {

constexpr std::size_t kSha512Size = 64;
constexpr std::size_t kHashBlock = 32;  // output of one bcrypt hash
using Sha512 = std::array<std::uint8_t, kSha512Size>;
using HashBlock = std::array<std::uint8_t, kHashBlock>;

bool sha512(ByteView a, ByteView b, Sha512& out) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  unsigned int len = 0;
  const bool ok = EVP_DigestInit_ex(ctx, EVP_sha512(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 && EVP_DigestUpdate(ctx, b.data(), b.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == kSha512Size;
  EVP_MD_CTX_free(ctx);
  return ok;
}

// The PRF: an EksBlowfish state keyed by the hashed passphrase and the hashed salt, with 64
// alternating salt-free expansions, then used to encrypt a fixed 32-byte text 64 times.
// The output words are stored little-endian, which is what OpenSSH does and so what makes the
// derived keys interoperate.
void bcrypt_hash(const Sha512& pass_hash, const Sha512& salt_hash, HashBlock& out) {
  static constexpr std::string_view kText = "OxychromaticBlowfishSwatDynamite";
  static_assert(kText.size() == kHashBlock);

  Blowfish state;
  state.expand_key(salt_hash, pass_hash);
  for (int i = 0; i < 64; ++i) {
    state.expand_key(salt_hash);
    state.expand_key(pass_hash);
  }

  std::array<std::uint32_t, kHashBlock / 4> words{};
  const ByteView text = as_bytes(kText);
  for (std::size_t i = 0; i < words.size(); ++i) {
    words[i] = (std::uint32_t{text[4 * i]} << 24) | (std::uint32_t{text[4 * i + 1]} << 16) |
               (std::uint32_t{text[4 * i + 2]} << 8) | text[4 * i + 3];
  }
  for (int i = 0; i < 64; ++i) {
    for (std::size_t w = 0; w < words.size(); w += 2) state.encrypt(words[w], words[w + 1]);
  }
  for (std::size_t i = 0; i < words.size(); ++i) {
    out[4 * i] = static_cast<std::uint8_t>(words[i]);
    out[4 * i + 1] = static_cast<std::uint8_t>(words[i] >> 8);
    out[4 * i + 2] = static_cast<std::uint8_t>(words[i] >> 16);
    out[4 * i + 3] = static_cast<std::uint8_t>(words[i] >> 24);
  }
  wipe(words.data(), sizeof(words));
}

}  // namespace

bool bcrypt_pbkdf(std::string_view passphrase, ByteView salt, std::uint32_t rounds, MutableByteView out) {
  std::fill(out.begin(), out.end(), std::uint8_t{0});
  if (rounds == 0 || salt.empty() || out.empty() || out.size() > kBcryptPbkdfMaxOutput) return false;

  // Output byte j of block b lands at position j * blocks + b, so each key byte depends on
  // a different block and an attacker cannot stop after computing only part of the key.
  const std::size_t blocks = (out.size() + kHashBlock - 1) / kHashBlock;

  Sha512 pass_hash{};
  Sha512 salt_hash{};
  HashBlock block{};
  HashBlock accumulated{};
  bool ok = sha512(as_bytes(passphrase), {}, pass_hash);

  for (std::size_t b = 0; ok && b < blocks; ++b) {
    // First salt: salt || uint32 block counter (1-based, big-endian), as in PBKDF2 (RFC 8018 §5.2).
    const auto counter = static_cast<std::uint32_t>(b + 1);
    const std::array<std::uint8_t, 4> counter_be = {
        static_cast<std::uint8_t>(counter >> 24), static_cast<std::uint8_t>(counter >> 16),
        static_cast<std::uint8_t>(counter >> 8), static_cast<std::uint8_t>(counter)};
    ok = sha512(salt, counter_be, salt_hash);
    if (!ok) break;
    bcrypt_hash(pass_hash, salt_hash, block);
    accumulated = block;
    for (std::uint32_t r = 1; ok && r < rounds; ++r) {
      ok = sha512(block, {}, salt_hash);
      if (!ok) break;
      bcrypt_hash(pass_hash, salt_hash, block);
      for (std::size_t i = 0; i < kHashBlock; ++i) accumulated[i] ^= block[i];
    }
    for (std::size_t j = 0; ok && j < kHashBlock; ++j) {
      const std::size_t dest = j * blocks + b;
      if (dest >= out.size()) break;
      out[dest] = accumulated[j];
    }
  }

  wipe(pass_hash.data(), pass_hash.size());
  wipe(salt_hash.data(), salt_hash.size());
  wipe(block.data(), block.size());
  wipe(accumulated.data(), accumulated.size());
  if (!ok) wipe(out.data(), out.size());
  return ok;
}

}  // namespace ssh::crypto
