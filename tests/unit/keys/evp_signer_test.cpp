#include "ssh/keys/evp_signer.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "ssh/keys/key_blob.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"
#include "unit/keys/key_test_support.hpp"

namespace {

EVP_PKEY* generate(const char* type, const char* curve = nullptr) {
  if (curve != nullptr) return EVP_PKEY_Q_keygen(nullptr, nullptr, type, curve);
  if (std::string_view(type) == "RSA") return EVP_PKEY_Q_keygen(nullptr, nullptr, type, std::size_t{2048});
  return EVP_PKEY_Q_keygen(nullptr, nullptr, type);
}

// A verifier holding only the public half, rebuilt from the signer's key through OpenSSL.
keytest::Pkey public_copy(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(pkey, &der);
  const unsigned char* p = der;
  keytest::Pkey out(d2i_PUBKEY(nullptr, &p, len));
  OPENSSL_free(der);
  return out;
}

TEST(EvpSigner, EcdsaSignaturesAreTwoPositiveMpints) {
  for (const auto& [curve, type] : std::vector<std::pair<const char*, std::string>>{
           {"P-256", "ecdsa-sha2-nistp256"}, {"P-384", "ecdsa-sha2-nistp384"}, {"P-521", "ecdsa-sha2-nistp521"}}) {
    EVP_PKEY* pkey = generate("EC", curve);
    ASSERT_NE(pkey, nullptr);
    keytest::Pkey verifier = public_copy(pkey);
    auto signer = ssh::keys::make_evp_signer(pkey, "c");
    ASSERT_TRUE(signer);
    EXPECT_EQ(signer->key_type(), type);
    EXPECT_EQ(ssh::keys::check_public_blob(signer->public_blob()), type);
    // RFC 5656 §3.1.2: ECDSA signatures are hashed with the curve's hash and carried as
    // string(mpint r | mpint s). Sign many times so r or s with the top bit set shows up.
    for (int i = 0; i < 16; ++i) {
      const std::string msg = "message " + std::to_string(i);
      auto sig = signer->sign(type, ssh::as_bytes(msg));
      ASSERT_TRUE(sig);
      ssh::wire::Reader r(*sig);
      std::string alg;
      ssh::ByteView inner, rv, sv;
      ASSERT_TRUE(r.string(alg) && r.string(inner) && r.empty());
      ssh::wire::Reader ri(inner);
      ASSERT_TRUE(ri.mpint_unsigned(rv) && ri.mpint_unsigned(sv) && ri.empty());
      EXPECT_TRUE(keytest::openssl_verify(verifier.get(), type, *sig, ssh::as_bytes(msg)));
    }
  }
}

TEST(EvpSigner, RsaOffersSha2FirstAndSignaturesSpanTheModulus) {
  EVP_PKEY* pkey = generate("RSA");
  ASSERT_NE(pkey, nullptr);
  keytest::Pkey verifier = public_copy(pkey);
  auto signer = ssh::keys::make_evp_signer(pkey, "");
  ASSERT_TRUE(signer);
  EXPECT_EQ(signer->signature_algorithms(), (std::vector<std::string>{"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"}));
  for (const auto& alg : signer->signature_algorithms()) {
    auto sig = signer->sign(alg, ssh::as_bytes("x"));
    ASSERT_TRUE(sig);
    EXPECT_EQ(sig->size(), 4 + alg.size() + 4 + 256);
    EXPECT_TRUE(keytest::openssl_verify(verifier.get(), alg, *sig, ssh::as_bytes("x")));
    // A signature made for one hash does not verify as another.
    const std::string other = alg == "rsa-sha2-512" ? "rsa-sha2-256" : "rsa-sha2-512";
    ssh::wire::Reader r(*sig);
    std::string name;
    ssh::ByteView raw;
    ASSERT_TRUE(r.string(name) && r.string(raw));
    ssh::wire::Writer w;
    w.string(other).string(raw);
    EXPECT_FALSE(keytest::openssl_verify(verifier.get(), other, w.data(), ssh::as_bytes("x")));
  }
  EXPECT_FALSE(signer->sign("ssh-ed25519", ssh::as_bytes("x")));
  EXPECT_FALSE(signer->sign("rsa-sha2-384", ssh::as_bytes("x")));
}

TEST(EvpSigner, Ed25519SignsTheMessageItself) {
  EVP_PKEY* pkey = generate("ED25519");
  ASSERT_NE(pkey, nullptr);
  keytest::Pkey verifier = public_copy(pkey);
  auto signer = ssh::keys::make_evp_signer(pkey, "");
  ASSERT_TRUE(signer);
  EXPECT_EQ(signer->public_blob().size(), 4u + 11 + 4 + 32);
  auto sig = signer->sign("ssh-ed25519", {});
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->size(), 4u + 11 + 4 + 64);  // RFC 8709 §6
  EXPECT_TRUE(keytest::openssl_verify(verifier.get(), "ssh-ed25519", *sig, {}));
}

TEST(EvpSigner, KeysSshCannotNameAreRefused) {
  EXPECT_FALSE(ssh::keys::make_evp_signer(generate("ED448"), ""));
  EXPECT_FALSE(ssh::keys::make_evp_signer(generate("EC", "secp256k1"), ""));
  EXPECT_FALSE(ssh::keys::make_evp_signer(nullptr, ""));
}

}  // namespace
