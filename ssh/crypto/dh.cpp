// Finite-field Diffie-Hellman for diffie-hellman-group* (RFC 4253 §8, RFC 8268) and
// diffie-hellman-group-exchange-* (RFC 4419). BIGNUM arithmetic is used directly: the EVP DH
// interface would re-validate the group on every use and offers nothing we need beyond
// BN_mod_exp_mont_consttime.
#include <openssl/bn.h>

#include "ssh/crypto/key_agreement.hpp"
#include "ssh/crypto/key_agreement_internal.hpp"

namespace ssh::crypto {
namespace {

struct BnDeleter {
  void operator()(BIGNUM* bn) const noexcept { BN_clear_free(bn); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
struct BnCtxDeleter {
  void operator()(BN_CTX* ctx) const noexcept { BN_CTX_free(ctx); }
};
using BnCtxPtr = std::unique_ptr<BN_CTX, BnCtxDeleter>;

// Largest modulus we will compute with; RFC 4419 §3 groups top out at 8192 bits.
constexpr int kMaxPrimeBits = 16384;
constexpr int kMinPrimeBits = 512;

BnPtr to_bn(ByteView magnitude) {
  if (magnitude.size() > kMaxPrimeBits / 8 + 1) return nullptr;
  return BnPtr(BN_bin2bn(magnitude.data(), static_cast<int>(magnitude.size()), nullptr));
}

// True when 1 < v < p - 1 (RFC 4253 §8: values outside [1, p-1] must not be sent or accepted; we
// also refuse p-1, the element of order two).
bool strictly_inside(const BIGNUM* v, const BIGNUM* p_minus_1) {
  return !BN_is_zero(v) && !BN_is_one(v) && BN_cmp(v, p_minus_1) < 0;
}

// RFC 8268 §4: the exponent has at least twice as many bits as the group's security strength
// (NIST SP 800-57 Part 1 Table 2), and never fewer than 256.
int exponent_bits(int prime_bits) {
  int bits = 256;
  if (prime_bits > 3072) bits = 304;  // 4096-bit groups: ~152-bit strength
  if (prime_bits > 4096) bits = 384;  // 6144/7680: 192-bit strength
  if (prime_bits > 7680) bits = 512;  // 8192 and beyond: up to 256-bit strength
  return bits < prime_bits - 1 ? bits : prime_bits - 1;
}

struct Group {
  BnPtr p;
  BnPtr g;
  BnPtr p_minus_1;
};

std::optional<Group> load_group(ByteView prime, ByteView generator) {
  Group group{to_bn(prime), to_bn(generator), BnPtr(BN_new())};
  if (!group.p || !group.g || !group.p_minus_1) return std::nullopt;
  const int bits = BN_num_bits(group.p.get());
  // Montgomery exponentiation needs an odd modulus.
  if (bits < kMinPrimeBits || bits > kMaxPrimeBits || !BN_is_odd(group.p.get())) return std::nullopt;
  if (BN_sub(group.p_minus_1.get(), group.p.get(), BN_value_one()) != 1) return std::nullopt;
  if (!strictly_inside(group.g.get(), group.p_minus_1.get())) return std::nullopt;
  return group;
}

class FiniteFieldDh final : public KeyAgreement {
 public:
  FiniteFieldDh(Group group, BnPtr x, Bytes e) : group_(std::move(group)), x_(std::move(x)), e_(std::move(e)) {}

  Bytes public_value() const override { return e_; }

  std::optional<SecretBytes> shared_secret(ByteView peer_public) override {
    BnPtr f = to_bn(peer_public);
    BnPtr k(BN_secure_new());
    BnCtxPtr ctx(BN_CTX_secure_new());
    if (!f || !k || !ctx) return std::nullopt;
    if (!strictly_inside(f.get(), group_.p_minus_1.get())) return std::nullopt;
    if (BN_mod_exp_mont_consttime(k.get(), f.get(), x_.get(), group_.p.get(), ctx.get(), nullptr) != 1)
      return std::nullopt;
    // With 1 < f < p-1 in a safe-prime group K is never 1; in a hostile group-exchange group it could be.
    if (BN_is_one(k.get()) || BN_is_zero(k.get())) return std::nullopt;
    SecretBytes secret(static_cast<std::size_t>(BN_num_bytes(k.get())));
    BN_bn2bin(k.get(), secret.data());
    return secret;
  }

 private:
  Group group_;
  BnPtr x_;
  Bytes e_;
};

std::unique_ptr<KeyAgreement> make_with(Group group, BnPtr x) {
  BnPtr e(BN_new());
  BnCtxPtr ctx(BN_CTX_secure_new());
  if (!e || !ctx) return nullptr;
  BN_set_flags(x.get(), BN_FLG_CONSTTIME);
  if (BN_mod_exp_mont_consttime(e.get(), group.g.get(), x.get(), group.p.get(), ctx.get(), nullptr) != 1)
    return nullptr;
  if (!strictly_inside(e.get(), group.p_minus_1.get())) return nullptr;
  Bytes e_bytes(static_cast<std::size_t>(BN_num_bytes(e.get())));
  BN_bn2bin(e.get(), e_bytes.data());
  return std::make_unique<FiniteFieldDh>(std::move(group), std::move(x), std::move(e_bytes));
}

}  // namespace

std::unique_ptr<KeyAgreement> make_dh(ByteView prime, ByteView generator) {
  auto group = load_group(prime, generator);
  if (!group) return nullptr;
  const int bits = exponent_bits(BN_num_bits(group->p.get()));
  BnPtr x(BN_secure_new());
  BnCtxPtr ctx(BN_CTX_secure_new());
  // Top bit set: x has exactly `bits` bits, so 1 < x < p-1 holds since bits < bits(p).
  if (!x || !ctx || BN_priv_rand_ex(x.get(), bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY, 0, ctx.get()) != 1)
    return nullptr;
  return make_with(std::move(*group), std::move(x));
}

std::unique_ptr<KeyAgreement> make_dh_with_exponent(ByteView prime, ByteView generator, ByteView exponent) {
  auto group = load_group(prime, generator);
  if (!group) return nullptr;
  BnPtr x(BN_secure_new());
  if (!x || BN_bin2bn(exponent.data(), static_cast<int>(exponent.size()), x.get()) == nullptr) return nullptr;
  if (!strictly_inside(x.get(), group->p_minus_1.get())) return nullptr;
  return make_with(std::move(*group), std::move(x));
}

bool dh_group_acceptable(ByteView prime, ByteView generator, std::uint32_t min_bits, std::uint32_t max_bits) {
  BnPtr p = to_bn(prime);
  BnPtr g = to_bn(generator);
  BnPtr p_minus_1(BN_new());
  if (!p || !g || !p_minus_1) return false;
  const auto bits = static_cast<std::uint32_t>(BN_num_bits(p.get()));
  if (bits < min_bits || bits > max_bits || bits < kMinPrimeBits || bits > kMaxPrimeBits) return false;
  if (!BN_is_odd(p.get()) || BN_sub(p_minus_1.get(), p.get(), BN_value_one()) != 1) return false;
  return strictly_inside(g.get(), p_minus_1.get());
}

}  // namespace ssh::crypto
