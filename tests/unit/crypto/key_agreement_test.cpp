#include "ssh/crypto/key_agreement.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>

#include <memory>
#include <string>

#include "ssh/crypto/key_agreement_internal.hpp"

namespace ssh::crypto {
namespace {

Bytes hex(std::string_view text) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoul(std::string(text.substr(i, 2)), nullptr, 16)));
  return out;
}

Bytes to_bytes(const SecretBytes& s) {
  return Bytes(s.begin(), s.end());
}

struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Bn bn(ByteView v) {
  return Bn(BN_bin2bn(v.data(), static_cast<int>(v.size()), nullptr));
}
Bytes bytes_of(const BIGNUM* b) {
  Bytes out(static_cast<std::size_t>(BN_num_bytes(b)));
  BN_bn2bin(b, out.data());
  return out;
}

const Bytes kTwo{2};

// RFC 7748 §6.1.
TEST(X25519, Rfc7748KnownAnswer) {
  const Bytes alice_private = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const Bytes alice_public = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  const Bytes bob_private = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  const Bytes bob_public = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const Bytes shared = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

  auto alice = make_x25519_with_private_key(alice_private);
  auto bob = make_x25519_with_private_key(bob_private);
  ASSERT_TRUE(alice && bob);
  EXPECT_EQ(alice->public_value(), alice_public);
  EXPECT_EQ(bob->public_value(), bob_public);
  auto k1 = alice->shared_secret(bob_public);
  auto k2 = bob->shared_secret(alice_public);
  ASSERT_TRUE(k1 && k2);
  EXPECT_EQ(to_bytes(*k1), shared);
  EXPECT_EQ(to_bytes(*k2), shared);
}

TEST(X25519, PrivateKeyMustBe32Bytes) {
  EXPECT_EQ(make_x25519_with_private_key(Bytes(31, 1)), nullptr);
  EXPECT_EQ(make_x25519_with_private_key(Bytes(33, 1)), nullptr);
}

TEST(X25519, RejectsWrongLengthAndLowOrderPoints) {
  auto kex = make_ecdh(Curve::x25519);
  ASSERT_TRUE(kex);
  EXPECT_EQ(kex->public_value().size(), 32u);
  EXPECT_FALSE(kex->shared_secret({}));
  EXPECT_FALSE(kex->shared_secret(Bytes(31, 9)));
  EXPECT_FALSE(kex->shared_secret(Bytes(33, 9)));
  // u = 0 and u = 1 are of small order: the output is all zeros (RFC 8731 §3).
  EXPECT_FALSE(kex->shared_secret(Bytes(32, 0)));
  Bytes one(32, 0);
  one[0] = 1;
  EXPECT_FALSE(kex->shared_secret(one));
  // A point of order 8 (RFC 7748 §7 lists such points; this one is from the curve's 8-torsion).
  const Bytes order8 = hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
  EXPECT_FALSE(kex->shared_secret(order8));
}

class EcdhRoundTrip : public ::testing::TestWithParam<Curve> {};

TEST_P(EcdhRoundTrip, BothSidesAgree) {
  auto a = make_ecdh(GetParam());
  auto b = make_ecdh(GetParam());
  ASSERT_TRUE(a && b);
  const Bytes pa = a->public_value();
  const Bytes pb = b->public_value();
  ASSERT_FALSE(pa.empty());
  EXPECT_NE(pa, pb);
  auto ka = a->shared_secret(pb);
  auto kb = b->shared_secret(pa);
  ASSERT_TRUE(ka && kb);
  EXPECT_EQ(to_bytes(*ka), to_bytes(*kb));
  // A third party ends up elsewhere.
  auto c = make_ecdh(GetParam());
  auto kc = c->shared_secret(pa);
  ASSERT_TRUE(kc);
  EXPECT_NE(to_bytes(*kc), to_bytes(*ka));
}

INSTANTIATE_TEST_SUITE_P(AllCurves, EcdhRoundTrip,
                         ::testing::Values(Curve::x25519, Curve::nistp256, Curve::nistp384, Curve::nistp521));

class NistEcdh : public ::testing::TestWithParam<std::pair<Curve, std::size_t>> {};

TEST_P(NistEcdh, PublicValueIsUncompressedPointAndSecretIsX) {
  const auto [curve, field] = GetParam();
  auto a = make_ecdh(curve);
  auto b = make_ecdh(curve);
  const Bytes pa = a->public_value();
  ASSERT_EQ(pa.size(), 1 + 2 * field);
  EXPECT_EQ(pa[0], 0x04);
  auto k = b->shared_secret(pa);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->size(), field);  // RFC 5656 §4: K is the x coordinate
}

TEST_P(NistEcdh, RejectsInvalidPeerPoints) {
  const auto [curve, field] = GetParam();
  auto a = make_ecdh(curve);
  const Bytes good = make_ecdh(curve)->public_value();
  ASSERT_TRUE(a->shared_secret(good));

  EXPECT_FALSE(a->shared_secret({}));
  EXPECT_FALSE(a->shared_secret(Bytes{0x00}));  // SEC1 encoding of the point at infinity
  EXPECT_FALSE(a->shared_secret(ByteView(good).first(good.size() - 1)));
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_FALSE(a->shared_secret(longer));

  Bytes off_curve = good;
  off_curve.back() ^= 1;  // y changed: no longer on the curve
  EXPECT_FALSE(a->shared_secret(off_curve));

  Bytes compressed(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(1 + field));
  compressed[0] = static_cast<std::uint8_t>(0x02 | (good.back() & 1));
  EXPECT_FALSE(a->shared_secret(compressed));
  Bytes hybrid = good;
  hybrid[0] = 0x06;
  EXPECT_FALSE(a->shared_secret(hybrid));

  Bytes out_of_field(1 + 2 * field, 0xff);
  out_of_field[0] = 0x04;
  EXPECT_FALSE(a->shared_secret(out_of_field));
  Bytes zero_point(1 + 2 * field, 0);
  zero_point[0] = 0x04;
  EXPECT_FALSE(a->shared_secret(zero_point));
}

INSTANTIATE_TEST_SUITE_P(Curves, NistEcdh,
                         ::testing::Values(std::pair{Curve::nistp256, std::size_t{32}},
                                           std::pair{Curve::nistp384, std::size_t{48}},
                                           std::pair{Curve::nistp521, std::size_t{66}}));

TEST(NistEcdh, PointFromAnotherCurveRejected) {
  auto p256 = make_ecdh(Curve::nistp256);
  auto p384 = make_ecdh(Curve::nistp384);
  EXPECT_FALSE(p256->shared_secret(p384->public_value()));
  EXPECT_FALSE(p384->shared_secret(p256->public_value()));
}

TEST(ModpGroups, SizesAndStructure) {
  // RFC 3526: p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + c): the top and bottom 64 bits
  // are all ones, and the bits after the top 64 are the binary expansion of pi.
  const Bytes pi_prefix = hex("c90fdaa22168c234c4c6628b80dc1cd1");
  struct Case {
    ByteView prime;
    std::size_t bytes;
  };
  for (const Case& c :
       {Case{modp_group14_prime(), 256}, Case{modp_group16_prime(), 512}, Case{modp_group18_prime(), 1024}}) {
    ASSERT_EQ(c.prime.size(), c.bytes);
    for (std::size_t i = 0; i < 8; ++i) {
      EXPECT_EQ(c.prime[i], 0xff);
      EXPECT_EQ(c.prime[c.bytes - 1 - i], 0xff);
    }
    EXPECT_EQ(Bytes(c.prime.begin() + 8, c.prime.begin() + 24), pi_prefix);
  }
  // Group 14 is a safe prime: p and (p-1)/2 both prime.
  Bn p = bn(modp_group14_prime());
  Bn q(BN_dup(p.get()));
  ASSERT_TRUE(BN_rshift1(q.get(), q.get()));
  EXPECT_EQ(BN_check_prime(p.get(), nullptr, nullptr), 1);
  EXPECT_EQ(BN_check_prime(q.get(), nullptr, nullptr), 1);
}

class DhRoundTrip : public ::testing::TestWithParam<int> {};

ByteView group_prime(int group) {
  if (group == 16) return modp_group16_prime();
  if (group == 18) return modp_group18_prime();
  return modp_group14_prime();
}

TEST_P(DhRoundTrip, BothSidesAgree) {
  const ByteView p = group_prime(GetParam());
  auto a = make_dh(p, kTwo);
  auto b = make_dh(p, kTwo);
  ASSERT_TRUE(a && b);
  const Bytes ea = a->public_value();
  const Bytes eb = b->public_value();
  EXPECT_LE(ea.size(), p.size());
  EXPECT_GE(ea.size(), p.size() - 4);  // g^x with a few hundred exponent bits wraps around p
  auto ka = a->shared_secret(eb);
  auto kb = b->shared_secret(ea);
  ASSERT_TRUE(ka && kb);
  EXPECT_EQ(to_bytes(*ka), to_bytes(*kb));
}

INSTANTIATE_TEST_SUITE_P(Rfc3526, DhRoundTrip, ::testing::Values(14, 16, 18));

TEST(Dh, KnownExponentMatchesIndependentComputation) {
  const ByteView p = modp_group14_prime();
  const Bytes x = hex("0123456789abcdeffedcba98765432100f1e2d3c4b5a69788796a5b4c3d2e1f0");
  auto kex = make_dh_with_exponent(p, kTwo, x);
  ASSERT_TRUE(kex);
  Bn pb = bn(p), gb = bn(kTwo), xb = bn(x), e(BN_new()), f(BN_new()), k(BN_new());
  BN_CTX* ctx = BN_CTX_new();
  ASSERT_TRUE(BN_mod_exp(e.get(), gb.get(), xb.get(), pb.get(), ctx));
  EXPECT_EQ(kex->public_value(), bytes_of(e.get()));
  ASSERT_TRUE(BN_set_word(f.get(), 0x1234567));
  ASSERT_TRUE(BN_mod_exp(k.get(), f.get(), xb.get(), pb.get(), ctx));
  BN_CTX_free(ctx);
  auto secret = kex->shared_secret(bytes_of(f.get()));
  ASSERT_TRUE(secret);
  EXPECT_EQ(to_bytes(*secret), bytes_of(k.get()));
  // Leading zero bytes in the peer's magnitude do not change the value.
  Bytes padded = bytes_of(f.get());
  padded.insert(padded.begin(), 3, 0);
  auto again = kex->shared_secret(padded);
  ASSERT_TRUE(again);
  EXPECT_EQ(to_bytes(*again), bytes_of(k.get()));
}

TEST(Dh, RejectsPeerValuesOutOfRange) {
  const ByteView p = modp_group14_prime();
  auto kex = make_dh(p, kTwo);
  ASSERT_TRUE(kex);
  Bn pb = bn(p);
  Bn v(BN_new());
  auto check = [&](long delta) {  // p + delta
    BN_copy(v.get(), pb.get());
    if (delta < 0)
      BN_sub_word(v.get(), static_cast<BN_ULONG>(-delta));
    else
      BN_add_word(v.get(), static_cast<BN_ULONG>(delta));
    return kex->shared_secret(bytes_of(v.get())).has_value();
  };
  EXPECT_FALSE(kex->shared_secret({}));           // f = 0
  EXPECT_FALSE(kex->shared_secret(Bytes{0}));     // f = 0
  EXPECT_FALSE(kex->shared_secret(Bytes{1}));     // f = 1
  EXPECT_FALSE(kex->shared_secret(Bytes{0, 1}));  // f = 1, padded
  EXPECT_FALSE(check(-1));                        // f = p - 1
  EXPECT_FALSE(check(0));                         // f = p
  EXPECT_FALSE(check(1));                         // f > p
  EXPECT_FALSE(kex->shared_secret(Bytes(4096, 0xff)));
  EXPECT_TRUE(check(-2));
  EXPECT_TRUE(kex->shared_secret(Bytes{2}));
}

TEST(Dh, RejectsUnusableGroups) {
  const ByteView p = modp_group14_prime();
  Bytes even(p.begin(), p.end());
  even.back() ^= 1;
  EXPECT_EQ(make_dh(even, kTwo), nullptr);
  EXPECT_EQ(make_dh(p, Bytes{1}), nullptr);
  EXPECT_EQ(make_dh(p, Bytes{}), nullptr);
  Bytes p_minus_1(p.begin(), p.end());
  p_minus_1.back() ^= 1;
  EXPECT_EQ(make_dh(p, p_minus_1), nullptr);
  EXPECT_EQ(make_dh(Bytes{23}, kTwo), nullptr);  // far too small
  EXPECT_EQ(make_dh({}, kTwo), nullptr);
  EXPECT_EQ(make_dh_with_exponent(p, kTwo, Bytes{1}), nullptr);
  EXPECT_EQ(make_dh_with_exponent(p, kTwo, Bytes{}), nullptr);
}

TEST(Dh, GroupAcceptable) {
  const ByteView p = modp_group14_prime();
  EXPECT_TRUE(dh_group_acceptable(p, kTwo, 2048, 8192));
  EXPECT_TRUE(dh_group_acceptable(p, kTwo, 1024, 2048));
  EXPECT_FALSE(dh_group_acceptable(p, kTwo, 3072, 8192));
  EXPECT_FALSE(dh_group_acceptable(p, kTwo, 1024, 2047));
  EXPECT_TRUE(dh_group_acceptable(modp_group18_prime(), Bytes{5}, 2048, 8192));
  Bytes leading_zero{0};
  leading_zero.insert(leading_zero.end(), p.begin(), p.end());
  EXPECT_TRUE(dh_group_acceptable(leading_zero, kTwo, 2048, 2048));
  Bytes even(p.begin(), p.end());
  even.back() ^= 1;
  EXPECT_FALSE(dh_group_acceptable(even, kTwo, 2048, 8192));
  EXPECT_FALSE(dh_group_acceptable(p, Bytes{1}, 2048, 8192));
  EXPECT_FALSE(dh_group_acceptable(p, Bytes{0}, 2048, 8192));
  EXPECT_FALSE(dh_group_acceptable(p, even, 2048, 8192));  // g = p - 1
  EXPECT_FALSE(dh_group_acceptable(p, p, 2048, 8192));     // g = p
  EXPECT_FALSE(dh_group_acceptable({}, kTwo, 0, 8192));
}

}  // namespace
}  // namespace ssh::crypto
