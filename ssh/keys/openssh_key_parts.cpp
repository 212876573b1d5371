// The per-type private key fields of an openssh-key-v1 private section (PROTOCOL.key; the
// field order is that of OpenSSH's private key serialisation) turned into OpenSSL keys.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <array>

#include "ssh/keys/key_blob.hpp"
#include "ssh/keys/key_internal.hpp"

namespace ssh::keys::detail {
namespace {

constexpr int kMinRsaBits = 1024;   // below this OpenSSH refuses RSA keys too
constexpr int kMaxRsaBits = 16384;  // bounds the cost of checks and signing on hostile input

struct BnDeleter {
  void operator()(BIGNUM* p) const noexcept { BN_clear_free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
struct BnCtxDeleter {
  void operator()(BN_CTX* p) const noexcept { BN_CTX_free(p); }
};
struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* p) const noexcept { OSSL_PARAM_BLD_free(p); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;

BnPtr to_bn(ByteView magnitude) {
  return BnPtr(BN_bin2bn(magnitude.data(), static_cast<int>(magnitude.size()), nullptr));
}

PkeyResult bad(LoadStatus status, std::string message) {
  ERR_clear_error();
  PkeyResult r;
  r.status = status;
  r.message = std::move(message);
  return r;
}

PkeyResult good(EVP_PKEY* pkey) {
  PkeyResult r;
  r.pkey.reset(pkey);
  r.status = LoadStatus::ok;
  return r;
}

// Builds a key pair from parameters through the provider (no deprecated low-level key structs).
PkeyPtr pkey_from_params(const char* algorithm, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* pkey = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_KEYPAIR, params.get()) != 1) return nullptr;
  return PkeyPtr(pkey);
}

bool same_bytes(ByteView a, ByteView b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

// Fields: string public key (32) | string private key (seed 32 | public 32) (RFC 8709, PROTOCOL.key).
PkeyResult ed25519_key(wire::Reader& r) {
  ByteView pub;
  ByteView priv;
  if (!r.string(pub) || !r.string(priv)) return bad(LoadStatus::malformed, "truncated ed25519 key");
  if (pub.size() != 32 || priv.size() != 64) return bad(LoadStatus::malformed, "bad ed25519 key sizes");
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, priv.data(), 32);
  if (pkey == nullptr) return bad(LoadStatus::malformed, "bad ed25519 private key");
  PkeyPtr owned(pkey);
  std::array<std::uint8_t, 32> derived{};
  std::size_t len = derived.size();
  if (EVP_PKEY_get_raw_public_key(pkey, derived.data(), &len) != 1 || !same_bytes(derived, pub) ||
      !same_bytes(derived, priv.subspan(32))) {
    return bad(LoadStatus::malformed, "ed25519 public key does not match private key");
  }
  return good(owned.release());
}

// Fields: string curve | string Q | mpint d (RFC 5656 §3.1 and PROTOCOL.key).
PkeyResult ecdsa_key(std::string_view key_type, wire::Reader& r) {
  std::string_view curve;
  ByteView point;
  ByteView scalar;
  if (!r.string(curve) || !r.string(point) || !r.mpint_unsigned(scalar)) {
    return bad(LoadStatus::malformed, "truncated ecdsa key");
  }
  if (curve != ecdsa_curve_of_key_type(key_type)) return bad(LoadStatus::malformed, "ecdsa curve mismatch");
  const char* group = curve == "nistp256" ? "prime256v1" : curve == "nistp384" ? "secp384r1" : "secp521r1";
  BnPtr d = to_bn(scalar);
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!d || !bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1) {
    return bad(LoadStatus::malformed, "cannot build ecdsa key");
  }
  PkeyPtr pkey = pkey_from_params("EC", bld.get());
  if (!pkey) return bad(LoadStatus::malformed, "bad ecdsa key");
  // fromdata does not check that Q = d·G; a mismatched pair would sign with a key that does not
  // match the public key we present.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_pairwise_check(check.get()) != 1) {
    return bad(LoadStatus::malformed, "ecdsa public key does not match private key");
  }
  return good(pkey.release());
}

// Fields: mpint n | mpint e | mpint d | mpint iqmp | mpint p | mpint q (PROTOCOL.key). OpenSSL's
// CRT form also wants d mod (p-1) and d mod (q-1), which the file does not carry.
PkeyResult rsa_key(wire::Reader& r) {
  std::array<ByteView, 6> f;
  for (auto& v : f) {
    if (!r.mpint_unsigned(v)) return bad(LoadStatus::malformed, "truncated rsa key");
  }
  BnPtr n = to_bn(f[0]), e = to_bn(f[1]), d = to_bn(f[2]), iqmp = to_bn(f[3]), p = to_bn(f[4]), q = to_bn(f[5]);
  BnPtr dmp1(BN_new()), dmq1(BN_new()), t1(BN_new()), t2(BN_new());
  std::unique_ptr<BN_CTX, BnCtxDeleter> ctx(BN_CTX_new());
  if (!n || !e || !d || !iqmp || !p || !q || !dmp1 || !dmq1 || !t1 || !t2 || !ctx) {
    return bad(LoadStatus::malformed, "out of memory");
  }
  const int bits = BN_num_bits(n.get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits) return bad(LoadStatus::unsupported, "unsupported rsa key size");
  if (BN_is_zero(e.get()) || !BN_is_odd(e.get()) || BN_num_bits(e.get()) > 64 || BN_is_zero(d.get()) ||
      !BN_is_odd(p.get()) || !BN_is_odd(q.get()) || BN_is_one(p.get()) || BN_is_one(q.get())) {
    return bad(LoadStatus::malformed, "bad rsa key parameters");
  }
  // n = p·q, and e·d ≡ 1 modulo p-1 and q-1, so the CRT values below make a consistent key.
  const bool consistent =
      BN_mul(t1.get(), p.get(), q.get(), ctx.get()) == 1 && BN_cmp(t1.get(), n.get()) == 0 &&
      BN_sub(t1.get(), p.get(), BN_value_one()) == 1 && BN_mod(dmp1.get(), d.get(), t1.get(), ctx.get()) == 1 &&
      BN_mod_mul(t2.get(), e.get(), dmp1.get(), t1.get(), ctx.get()) == 1 && BN_is_one(t2.get()) &&
      BN_sub(t1.get(), q.get(), BN_value_one()) == 1 && BN_mod(dmq1.get(), d.get(), t1.get(), ctx.get()) == 1 &&
      BN_mod_mul(t2.get(), e.get(), dmq1.get(), t1.get(), ctx.get()) == 1 && BN_is_one(t2.get()) &&
      BN_mod_mul(t2.get(), iqmp.get(), q.get(), p.get(), ctx.get()) == 1 && BN_is_one(t2.get());
  if (!consistent) return bad(LoadStatus::malformed, "inconsistent rsa key");

  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, d.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, q.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dmp1.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dmq1.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, iqmp.get()) != 1) {
    return bad(LoadStatus::malformed, "cannot build rsa key");
  }
  PkeyPtr pkey = pkey_from_params("RSA", bld.get());
  if (!pkey) return bad(LoadStatus::malformed, "bad rsa key");
  return good(pkey.release());
}

}  // namespace

PkeyResult openssh_private_fields_to_pkey(std::string_view key_type, wire::Reader& fields) {
  if (key_type == "ssh-ed25519") return ed25519_key(fields);
  if (key_type == "ssh-rsa") return rsa_key(fields);
  if (!ecdsa_curve_of_key_type(key_type).empty()) return ecdsa_key(key_type, fields);
  return bad(LoadStatus::unsupported, "unsupported key type '" + printable(key_type) + "'");
}

}  // namespace ssh::keys::detail
