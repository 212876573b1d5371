#include "ssh/crypto/hmac.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

std::string hex(const ssh::SecretBytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (auto v : b) {
    out += digits[v >> 4];
    out += digits[v & 15];
  }
  return out;
}

using ssh::as_bytes;
using ssh::crypto::HashAlg;
using ssh::crypto::hmac;

// RFC 2202 §3 test case 2 and RFC 4231 §4.3 test case 2 ("Jefe", "what do ya want for nothing?").
TEST(Hmac, KnownAnswers) {
  const auto key = as_bytes("Jefe");
  const auto data = as_bytes("what do ya want for nothing?");
  EXPECT_EQ(hex(hmac(HashAlg::sha1, key, data)), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(hex(hmac(HashAlg::sha256, key, data)), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex(hmac(HashAlg::sha512, key, data)),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fd"
            "caeab1a34d4a6b4b636e070a38bce737");
  EXPECT_EQ(hmac(HashAlg::sha384, key, data).size(), 48u);
}

// RFC 2202 §3 test case 1: 20 bytes of 0x0b, "Hi There".
TEST(Hmac, BinaryKey) {
  const ssh::Bytes key(20, 0x0b);
  EXPECT_EQ(hex(hmac(HashAlg::sha1, key, as_bytes("Hi There"))), "b617318655057264e28bc0b6fb378c8ef146be00");
}

TEST(Hmac, EmptyKeyAndData) {
  // HMAC-SHA256 with empty key and message (well-known value).
  EXPECT_EQ(hex(hmac(HashAlg::sha256, {}, {})), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

}  // namespace
