// Elliptic-curve key agreement for curve25519-sha256 (RFC 8731) and ecdh-sha2-nistp* (RFC 5656 §4).
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <array>
#include <cstring>

#include "ssh/crypto/key_agreement.hpp"
#include "ssh/crypto/key_agreement_internal.hpp"
#include "ssh/crypto/ssh_public_key.hpp"

namespace ssh::crypto {
namespace {

struct CtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, CtxDeleter>;

constexpr std::size_t kX25519Size = 32;  // RFC 7748 §5

// Field element size in bytes for the NIST curves; 0 for X25519.
std::size_t field_bytes(Curve curve) {
  switch (curve) {
    case Curve::nistp256:
      return 32;
    case Curve::nistp384:
      return 48;
    case Curve::nistp521:
      return 66;
    case Curve::x25519:
      break;
  }
  return 0;
}

const char* group_name(Curve curve) {
  switch (curve) {
    case Curve::nistp256:
      return "P-256";
    case Curve::nistp384:
      return "P-384";
    case Curve::nistp521:
      return "P-521";
    case Curve::x25519:
      break;
  }
  return nullptr;
}

EvpPkeyPtr generate(Curve curve) {
  const bool x25519 = curve == Curve::x25519;
  CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, x25519 ? "X25519" : "EC", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) return nullptr;
  if (!x25519 && EVP_PKEY_CTX_set_group_name(ctx.get(), group_name(curve)) != 1) return nullptr;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) != 1) return nullptr;
  return EvpPkeyPtr(raw);
}

// The peer's public value as an EVP_PKEY, validated; nullptr when it is not an acceptable point.
EvpPkeyPtr peer_key(Curve curve, ByteView peer) {
  if (curve == Curve::x25519) {
    // RFC 8731 §3: the public key is exactly 32 bytes.
    if (peer.size() != kX25519Size) return nullptr;
    return EvpPkeyPtr(EVP_PKEY_new_raw_public_key_ex(nullptr, "X25519", nullptr, peer.data(), peer.size()));
  }
  // RFC 5656 §4: Q_S is an octet string per SEC1 §2.3.3; we require the uncompressed form, which is
  // what every implementation sends and which cannot encode the point at infinity.
  const std::size_t n = field_bytes(curve);
  if (peer.size() != 1 + 2 * n || peer[0] != 0x04) return nullptr;
  std::array<char, 8> group{};
  const char* name = group_name(curve);
  std::memcpy(group.data(), name, std::strlen(name));
  std::array<OSSL_PARAM, 3> params{
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<std::uint8_t*>(peer.data()), peer.size()),
      OSSL_PARAM_construct_end(),
  };
  CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.data()) != 1)
    return nullptr;
  EvpPkeyPtr key(raw);
  // SEC1 §3.2.2.1 public key validation: on the curve, not infinity, of the right order.
  CtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return key;
}

class Ecdh final : public KeyAgreement {
 public:
  Ecdh(Curve curve, EvpPkeyPtr key) : curve_(curve), key_(std::move(key)) {}

  Bytes public_value() const override {
    if (curve_ == Curve::x25519) {
      Bytes out(kX25519Size);
      std::size_t len = out.size();
      if (EVP_PKEY_get_raw_public_key(key_.get(), out.data(), &len) != 1 || len != out.size()) return {};
      return out;
    }
    Bytes out(1 + 2 * field_bytes(curve_));
    std::size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out.data(), out.size(), &len) !=
            1 ||
        len != out.size() || out[0] != 0x04)
      return {};
    return out;
  }

  std::optional<SecretBytes> shared_secret(ByteView peer_public) override {
    EvpPkeyPtr peer = peer_key(curve_, peer_public);
    if (!peer) return std::nullopt;
    CtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1)
      return std::nullopt;
    std::size_t len = 0;
    if (EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) return std::nullopt;
    // X25519 yields 32 bytes; ECDH yields the X coordinate padded to the field size (RFC 5656 §4).
    const std::size_t expected = curve_ == Curve::x25519 ? kX25519Size : field_bytes(curve_);
    if (len != expected) return std::nullopt;
    SecretBytes secret(len);
    if (EVP_PKEY_derive(ctx.get(), secret.data(), &len) != 1 || len != expected) return std::nullopt;
    if (curve_ == Curve::x25519) {
      // RFC 8731 §3: an all-zero output means the peer sent a low-order point; abort.
      std::uint8_t acc = 0;
      for (std::uint8_t b : secret) acc = static_cast<std::uint8_t>(acc | b);
      if (acc == 0) return std::nullopt;
    }
    return secret;
  }

 private:
  Curve curve_;
  EvpPkeyPtr key_;
};

}  // namespace

std::unique_ptr<KeyAgreement> make_ecdh(Curve curve) {
  EvpPkeyPtr key = generate(curve);
  if (!key) return nullptr;
  return std::make_unique<Ecdh>(curve, std::move(key));
}

std::unique_ptr<KeyAgreement> make_x25519_with_private_key(ByteView scalar) {
  if (scalar.size() != kX25519Size) return nullptr;
  EvpPkeyPtr key(EVP_PKEY_new_raw_private_key_ex(nullptr, "X25519", nullptr, scalar.data(), scalar.size()));
  if (!key) return nullptr;
  return std::make_unique<Ecdh>(Curve::x25519, std::move(key));
}

}  // namespace ssh::crypto
