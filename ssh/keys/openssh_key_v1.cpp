// The openssh-key-v1 private key container (OpenSSH PROTOCOL.key):
//
//   "-----BEGIN OPENSSH PRIVATE KEY-----" base64 "-----END OPENSSH PRIVATE KEY-----" around
//   byte[15] "openssh-key-v1\0" | string ciphername | string kdfname | string kdfoptions |
//   uint32 number of keys (1) | string public key | string private section [| AEAD tag]
//
// and the private section, encrypted as a whole when ciphername is not "none":
//   uint32 check | uint32 check | string keytype | key fields | string comment | padding 1,2,3...
#include <openssl/err.h>

#include <algorithm>
#include <array>

#include "ssh/crypto/bcrypt_pbkdf.hpp"
#include "ssh/keys/evp_signer.hpp"
#include "ssh/keys/key_internal.hpp"

namespace ssh::keys::detail {
namespace {

constexpr std::string_view kBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr std::string_view kEnd = "-----END OPENSSH PRIVATE KEY-----";
constexpr std::string_view kMagic{"openssh-key-v1\0", 15};

#ifdef SSHPLEX_FUZZING
// The KDF is deliberately slow; a fuzzer must not spend its time in it.
constexpr std::uint32_t kMaxKdfRounds = 4;
#endif

struct KeyCipher {
  std::string_view name;
  const EVP_CIPHER* (*evp)();
  std::size_t key_size;
  std::size_t iv_size;
  std::size_t block_size;  // the private section is padded to this
  std::size_t tag_size;    // AEAD tag following the private section
};

// The ciphers ssh-keygen can protect keys with, minus chacha20-poly1305@openssh.com (its
// construction is the transport's, not a plain OpenSSL cipher).
const std::array<KeyCipher, 8> kCiphers = {{
    {"none", nullptr, 0, 0, 8, 0},
    {"aes128-ctr", EVP_aes_128_ctr, 16, 16, 16, 0},
    {"aes192-ctr", EVP_aes_192_ctr, 24, 16, 16, 0},
    {"aes256-ctr", EVP_aes_256_ctr, 32, 16, 16, 0},
    {"aes128-cbc", EVP_aes_128_cbc, 16, 16, 16, 0},
    {"aes256-cbc", EVP_aes_256_cbc, 32, 16, 16, 0},
    {"aes128-gcm@openssh.com", EVP_aes_128_gcm, 16, 12, 16, 16},
    {"aes256-gcm@openssh.com", EVP_aes_256_gcm, 32, 12, 16, 16},
}};

const KeyCipher* find_cipher(std::string_view name) {
  for (const auto& c : kCiphers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// The outer structure, with views into the decoded file.
struct Container {
  const KeyCipher* cipher = nullptr;
  std::string_view cipher_name;
  std::string_view kdf_name;
  ByteView salt;
  std::uint32_t rounds = 0;
  ByteView public_blob;
  ByteView private_section;
  ByteView tag;
};

// Strips the armor and decodes the base64 between the markers.
std::optional<SecretBytes> unarmor(ByteView file) {
  std::string_view text = as_string(file);
  const std::size_t begin = text.find(kBegin);
  if (begin == std::string_view::npos) return std::nullopt;
  text.remove_prefix(begin + kBegin.size());
  const std::size_t end = text.find(kEnd);
  if (end == std::string_view::npos) return std::nullopt;
  return decode_base64(text.substr(0, end), true);
}

// Parses everything outside the private section. On failure fills `error`.
bool parse_container(ByteView blob, Container& c, LoadResult& error) {
  wire::Reader r(blob);
  ByteView magic;
  if (!r.bytes(kMagic.size(), magic) || as_string(magic) != kMagic) {
    error = failure(LoadStatus::malformed, "not an openssh-key-v1 key");
    return false;
  }
  ByteView kdf_options;
  std::uint32_t keys = 0;
  if (!r.string(c.cipher_name) || !r.string(c.kdf_name) || !r.string(kdf_options) || !r.u32(keys)) {
    error = failure(LoadStatus::malformed, "truncated key header");
    return false;
  }
  c.cipher = find_cipher(c.cipher_name);
  if (c.cipher == nullptr) {
    error = failure(LoadStatus::unsupported, "unsupported cipher '" + printable(c.cipher_name) + "'");
    return false;
  }
  if (c.kdf_name == "none") {
    if (c.cipher->evp != nullptr || !kdf_options.empty()) {
      error = failure(LoadStatus::malformed, "encrypted key without a kdf");
      return false;
    }
  } else if (c.kdf_name == "bcrypt") {
    if (c.cipher->evp == nullptr) {
      error = failure(LoadStatus::malformed, "kdf given for an unencrypted key");
      return false;
    }
    wire::Reader k(kdf_options);
    if (!k.string(c.salt) || !k.u32(c.rounds) || !k.empty() || c.salt.empty() || c.rounds == 0) {
      error = failure(LoadStatus::malformed, "bad bcrypt kdf options");
      return false;
    }
  } else {
    error = failure(LoadStatus::unsupported, "unsupported kdf '" + printable(c.kdf_name) + "'");
    return false;
  }
  // PROTOCOL.key allows several keys, but OpenSSH only ever writes (and reads) one.
  if (keys != 1) {
    error = failure(LoadStatus::unsupported, "key files holding " + std::to_string(keys) + " keys are not supported");
    return false;
  }
  if (!r.string(c.public_blob) || !r.string(c.private_section) || !r.bytes(c.cipher->tag_size, c.tag) || !r.empty()) {
    error = failure(LoadStatus::malformed, "truncated or trailing data in key");
    return false;
  }
  if (c.private_section.empty() || c.private_section.size() % c.cipher->block_size != 0) {
    error = failure(LoadStatus::malformed, "private section is not a whole number of blocks");
    return false;
  }
  return true;
}

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* p) const noexcept { EVP_CIPHER_CTX_free(p); }
};

// Decrypts the private section with key || iv from bcrypt_pbkdf. Returns nullopt when the AEAD
// tag does not verify (a wrong passphrase) or OpenSSL fails.
std::optional<SecretBytes> decrypt_section(const Container& c, std::string_view passphrase) {
  const KeyCipher& cipher = *c.cipher;
  std::uint32_t rounds = c.rounds;
#ifdef SSHPLEX_FUZZING
  rounds = std::min(rounds, kMaxKdfRounds);
#endif
  SecretBytes key_iv(cipher.key_size + cipher.iv_size);
  if (!crypto::bcrypt_pbkdf(passphrase, c.salt, rounds, key_iv)) return std::nullopt;

  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  SecretBytes plain(c.private_section.size() + cipher.block_size);
  int len = 0;
  int final_len = 0;
  const bool aead = cipher.tag_size != 0;
  // PROTOCOL.key: with aes-gcm the section is encrypted with no additional data and the tag
  // follows it; the derived 12-byte IV is used as is.
  bool ok = ctx &&
            EVP_DecryptInit_ex(ctx.get(), cipher.evp(), nullptr, key_iv.data(), key_iv.data() + cipher.key_size) == 1 &&
            EVP_CIPHER_CTX_set_padding(ctx.get(), 0) == 1 &&
            EVP_DecryptUpdate(ctx.get(), plain.data(), &len, c.private_section.data(),
                              static_cast<int>(c.private_section.size())) == 1;
  if (ok && aead) {
    std::array<std::uint8_t, 16> tag{};
    std::copy(c.tag.begin(), c.tag.end(), tag.begin());
    ok = EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(tag.size()), tag.data()) == 1;
  }
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), plain.data() + len, &final_len) == 1;
  ERR_clear_error();
  if (!ok) return std::nullopt;
  plain.resize(static_cast<std::size_t>(len + final_len));
  return plain;
}

// Parses the decrypted private section. `encrypted` decides what a check-int mismatch means.
LoadResult parse_private_section(ByteView section, const Container& c, bool encrypted) {
  wire::Reader r(section);
  std::uint32_t check1 = 0;
  std::uint32_t check2 = 0;
  if (!r.u32(check1) || !r.u32(check2)) return failure(LoadStatus::malformed, "truncated private section");
  // The two equal random words are how a wrong passphrase shows (for the non-AEAD ciphers).
  if (check1 != check2) {
    return encrypted ? failure(LoadStatus::bad_passphrase, "incorrect passphrase")
                     : failure(LoadStatus::malformed, "private section check failed");
  }
  std::string_view type;
  if (!r.string(type)) return failure(LoadStatus::malformed, "truncated private key");
  PkeyResult built = openssh_private_fields_to_pkey(type, r);
  if (built.status != LoadStatus::ok) return failure(built.status, built.message);
  std::string_view comment;
  if (!r.string(comment)) return failure(LoadStatus::malformed, "truncated key comment");
  // Padding is 1, 2, 3, ... up to the cipher block size (PROTOCOL.key).
  const ByteView pad = r.rest();
  if (pad.size() >= c.cipher->block_size) return failure(LoadStatus::malformed, "trailing data after key");
  for (std::size_t i = 0; i < pad.size(); ++i) {
    if (pad[i] != static_cast<std::uint8_t>(i + 1)) return failure(LoadStatus::malformed, "bad padding");
  }

  std::unique_ptr<Signer> signer = make_evp_signer(built.pkey.release(), std::string(comment));
  if (!signer) return failure(LoadStatus::unsupported, "unsupported key");
  const Bytes blob = signer->public_blob();
  if (!std::equal(blob.begin(), blob.end(), c.public_blob.begin(), c.public_blob.end())) {
    return failure(LoadStatus::malformed, "public key does not match private key");
  }
  LoadResult result;
  result.status = LoadStatus::ok;
  result.signer = std::move(signer);
  return result;
}

}  // namespace

bool looks_like_openssh_key_v1(ByteView file) {
  return as_string(file).find(kBegin) != std::string_view::npos;
}

bool openssh_key_v1_is_encrypted(ByteView file) {
  const std::optional<SecretBytes> blob = unarmor(file);
  if (!blob) return false;
  Container c;
  LoadResult error;
  return parse_container(*blob, c, error) && c.cipher->evp != nullptr;
}

LoadResult load_openssh_key_v1(ByteView file, std::string_view passphrase) {
  const std::optional<SecretBytes> blob = unarmor(file);
  if (!blob) return failure(LoadStatus::malformed, "bad armor or base64 in openssh key");
  Container c;
  LoadResult error;
  if (!parse_container(*blob, c, error)) return error;
  if (c.cipher->evp == nullptr) return parse_private_section(c.private_section, c, false);
  if (passphrase.empty()) return failure(LoadStatus::need_passphrase, "key is encrypted");
  const std::optional<SecretBytes> plain = decrypt_section(c, passphrase);
  if (!plain) {
    // Only an AEAD tag (or an internal error) gets here: treat it as the wrong passphrase.
    return failure(LoadStatus::bad_passphrase, "incorrect passphrase");
  }
  return parse_private_section(*plain, c, true);
}

}  // namespace ssh::keys::detail
