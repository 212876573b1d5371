#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <array>

#include "ssh/crypto/host_key.hpp"
#include "ssh/crypto/ssh_public_key.hpp"
#include "ssh/crypto/ssh_signature.hpp"
#include "ssh/wire/reader.hpp"

namespace ssh::crypto {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// RFC 8332 §3 permits 1024-bit keys; we are stricter (see docs/ARCHITECTURE.md, security defaults).
constexpr int kMinRsaBits = 2048;
constexpr std::size_t kEd25519SignatureSize = 64;  // RFC 8709 §6
constexpr std::size_t kMaxKeyTypeName = 64;        // RFC 4250 §4.6.1 limits algorithm names to 64

bool digest_verify(EVP_PKEY* pkey, const char* digest, ByteView signature, ByteView data) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), &pctx, digest, nullptr, nullptr, pkey, nullptr) != 1) return false;
  if (EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) return false;
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data.data(), data.size()) == 1;
}

bool verify_rsa(EVP_PKEY* pkey, const char* digest, ByteView signature, ByteView data) {
  const int bits = EVP_PKEY_get_bits(pkey);
  if (bits < kMinRsaBits) return false;
  // RFC 8332 §3: the signature is the big-endian integer s of the modulus' length. Some signers drop
  // leading zero bytes, so shorter values are left-padded; longer ones cannot be valid.
  const auto modulus_bytes = static_cast<std::size_t>((bits + 7) / 8);
  if (signature.empty() || signature.size() > modulus_bytes) return false;
  Bytes padded(modulus_bytes - signature.size(), 0);
  padded.insert(padded.end(), signature.begin(), signature.end());
  return digest_verify(pkey, digest, padded, data);
}

}  // namespace

bool verify_signature(std::string_view signature_algorithm, ByteView key_blob, ByteView signature_blob,
                      ByteView signed_data) {
  const auto scheme = signature_scheme(signature_algorithm);
  if (!scheme) return false;
  const auto key = public_key_from_blob(key_blob);
  if (!key || key->type != scheme->key_type) return false;

  // The signature names its own algorithm; it must be the one negotiated (RFC 8332 §3 for RSA,
  // where the key blob says "ssh-rsa" whatever the hash).
  wire::Reader reader(signature_blob);
  std::string_view algorithm;
  ByteView signature;
  if (!reader.string(algorithm) || !reader.string(signature) || !reader.empty()) return false;
  if (algorithm != signature_algorithm) return false;

  switch (scheme->key_type) {
    case SshKeyType::ed25519:
      if (signature.size() != kEd25519SignatureSize) return false;
      return digest_verify(key->pkey.get(), nullptr, signature, signed_data);
    case SshKeyType::ecdsa_nistp256:
    case SshKeyType::ecdsa_nistp384:
    case SshKeyType::ecdsa_nistp521: {
      const auto der = ecdsa_signature_ssh_to_der(signature, ecdsa_scalar_bytes(scheme->key_type));
      if (!der) return false;
      return digest_verify(key->pkey.get(), scheme->digest, *der, signed_data);
    }
    case SshKeyType::rsa:
      return verify_rsa(key->pkey.get(), scheme->digest, signature, signed_data);
  }
  return false;
}

std::string sha256_fingerprint(ByteView key_blob) {
  std::array<std::uint8_t, 32> digest{};
  unsigned int digest_len = 0;
  if (EVP_Digest(key_blob.data(), key_blob.size(), digest.data(), &digest_len, EVP_sha256(), nullptr) != 1 ||
      digest_len != digest.size())
    return {};
  // 32 bytes encode to 44 base64 characters (with one '=' of padding) plus EVP_EncodeBlock's NUL.
  std::array<unsigned char, 45> encoded{};
  const int len = EVP_EncodeBlock(encoded.data(), digest.data(), static_cast<int>(digest.size()));
  if (len <= 0) return {};
  std::string text(reinterpret_cast<const char*>(encoded.data()), static_cast<std::size_t>(len));
  while (!text.empty() && text.back() == '=') text.pop_back();  // ssh-keygen prints it unpadded
  return "SHA256:" + text;
}

std::string key_blob_type(ByteView key_blob) {
  wire::Reader reader(key_blob);
  std::string_view name;
  if (!reader.string(name) || name.empty() || name.size() > kMaxKeyTypeName) return {};
  for (char c : name)
    if (c <= ' ' || c >= 127 || c == ',') return {};
  // Types we understand must also be well formed; others (certificates, sk-*) are reported by
  // name so callers can say which key type they do not support.
  if (ssh_key_type_from_name(name) && !public_key_from_blob(key_blob)) return {};
  return std::string(name);
}

bool algorithm_matches_key_type(std::string_view algorithm, std::string_view key_type) {
  const auto scheme = signature_scheme(algorithm);
  return scheme && ssh_key_type_name(scheme->key_type) == key_type;
}

}  // namespace ssh::crypto
