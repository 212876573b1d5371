#include "ssh/crypto/blowfish.hpp"

namespace ssh::crypto {
namespace {

// Reads the next 32-bit big-endian word of `data`, wrapping around at its end (the key and salt
// are used as cyclic streams by both key schedules).
std::uint32_t next_cyclic_word(ByteView data, std::size_t& pos) {
  std::uint32_t word = 0;
  for (int i = 0; i < 4; ++i) {
    if (pos >= data.size()) pos = 0;
    word = (word << 8) | data[pos++];
  }
  return word;
}

std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

void store_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

constexpr std::size_t kMaxKeyBytes = 72;  // 18 subkeys of 32 bits

}  // namespace

Blowfish::Blowfish() : p_(blowfish_tables::kInitialP), s_(blowfish_tables::kInitialS) {}

Blowfish::~Blowfish() {
  wipe(p_.data(), sizeof(p_));
  wipe(s_.data(), sizeof(s_));
}

std::uint32_t Blowfish::feistel(std::uint32_t x) const {
  const std::uint32_t* s = s_.data();
  return ((s[x >> 24] + s[256 + ((x >> 16) & 0xff)]) ^ s[512 + ((x >> 8) & 0xff)]) + s[768 + (x & 0xff)];
}

void Blowfish::encrypt(std::uint32_t& left, std::uint32_t& right) const {
  // The round function is written out here rather than calling feistel(): bcrypt_pbkdf runs this
  // millions of times, and unoptimised (debug) builds would not inline the call.
  const std::uint32_t* p = p_.data();
  const std::uint32_t* s = s_.data();
  std::uint32_t l = left;
  std::uint32_t r = right;
  for (std::size_t i = 0; i < 16; i += 2) {
    l ^= p[i];
    r ^= ((s[l >> 24] + s[256 + ((l >> 16) & 0xff)]) ^ s[512 + ((l >> 8) & 0xff)]) + s[768 + (l & 0xff)];
    r ^= p[i + 1];
    l ^= ((s[r >> 24] + s[256 + ((r >> 16) & 0xff)]) ^ s[512 + ((r >> 8) & 0xff)]) + s[768 + (r & 0xff)];
  }
  l ^= p[16];
  r ^= p[17];
  // The last round's swap is undone, so the halves come out crossed.
  left = r;
  right = l;
}

void Blowfish::decrypt(std::uint32_t& left, std::uint32_t& right) const {
  std::uint32_t l = left;
  std::uint32_t r = right;
  for (std::size_t i = 17; i > 1; i -= 2) {
    l ^= p_[i];
    r ^= feistel(l);
    r ^= p_[i - 1];
    l ^= feistel(r);
  }
  l ^= p_[1];
  r ^= p_[0];
  left = r;
  right = l;
}

void Blowfish::encrypt_block(const std::uint8_t in[8], std::uint8_t out[8]) const {
  std::uint32_t l = load_be32(in);
  std::uint32_t r = load_be32(in + 4);
  encrypt(l, r);
  store_be32(out, l);
  store_be32(out + 4, r);
}

void Blowfish::decrypt_block(const std::uint8_t in[8], std::uint8_t out[8]) const {
  std::uint32_t l = load_be32(in);
  std::uint32_t r = load_be32(in + 4);
  decrypt(l, r);
  store_be32(out, l);
  store_be32(out + 4, r);
}

void Blowfish::mix_key_into_p(ByteView key) {
  if (key.empty()) return;
  std::size_t pos = 0;
  for (auto& subkey : p_) subkey ^= next_cyclic_word(key, pos);
}

void Blowfish::reencrypt_state(ByteView salt) {
  // Each step encrypts the running block (after folding in the next 64 salt bits, if any) and
  // writes the result over the next two words of P, then of S0..S3. The salt's word stream
  // repeats after lcm(size, 4) bytes; short salts (bcrypt's are 16 or 64 bytes) are turned into
  // words once instead of byte by byte on every step.
  constexpr std::size_t kMaxPeriodWords = 72;
  std::array<std::uint32_t, kMaxPeriodWords> salt_words{};
  std::size_t period = 0;
  if (!salt.empty() && salt.size() <= kMaxPeriodWords) {
    period = salt.size() % 4 == 0 ? salt.size() / 4 : salt.size();
    std::size_t pos = 0;
    for (std::size_t i = 0; i < period; ++i) salt_words[i] = next_cyclic_word(salt, pos);
  }
  std::size_t word = 0;
  std::size_t salt_pos = 0;
  auto next_salt_word = [&]() -> std::uint32_t {
    if (period == 0) return next_cyclic_word(salt, salt_pos);
    const std::uint32_t w = salt_words[word];
    word = word + 1 == period ? 0 : word + 1;
    return w;
  };

  std::uint32_t l = 0;
  std::uint32_t r = 0;
  auto step = [&](std::uint32_t& out_l, std::uint32_t& out_r) {
    if (!salt.empty()) {
      l ^= next_salt_word();
      r ^= next_salt_word();
    }
    encrypt(l, r);
    out_l = l;
    out_r = r;
  };
  for (std::size_t i = 0; i < p_.size(); i += 2) step(p_[i], p_[i + 1]);
  for (std::size_t i = 0; i < s_.size(); i += 2) step(s_[i], s_[i + 1]);
  wipe(salt_words.data(), sizeof(salt_words));
  wipe(&l, sizeof(l));
  wipe(&r, sizeof(r));
}

void Blowfish::set_key(ByteView key) {
  if (key.empty()) return;
  if (key.size() > kMaxKeyBytes) key = key.first(kMaxKeyBytes);
  mix_key_into_p(key);
  reencrypt_state({});
}

void Blowfish::expand_key(ByteView salt, ByteView key) {
  mix_key_into_p(key);
  reencrypt_state(salt);
}

void Blowfish::expand_key(ByteView key) {
  mix_key_into_p(key);
  reencrypt_state({});
}

}  // namespace ssh::crypto
