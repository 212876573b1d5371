#include "ssh/crypto/base64.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>

namespace ssh::crypto {
namespace {

Bytes bytes_of(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

// RFC 4648 §10 test vectors.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(as_bytes(plain)), encoded);
    auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, bytes_of(plain));
  }
}

TEST(Base64, UnpaddedEncodeAndDecode) {
  EXPECT_EQ(base64_encode(as_bytes("f"), false), "Zg");
  EXPECT_EQ(base64_encode(as_bytes("fo"), false), "Zm8");
  EXPECT_EQ(base64_encode(as_bytes("foo"), false), "Zm9v");
  EXPECT_EQ(base64_decode("Zg"), bytes_of("f"));
  EXPECT_EQ(base64_decode("Zm8"), bytes_of("fo"));
  EXPECT_EQ(base64_decode("Zm9vYmE"), bytes_of("fooba"));
}

TEST(Base64, FullAlphabet) {
  Bytes all(48);
  // 0x00 0x10 0x83 ... encodes each 6-bit value 0..63 once, in order.
  for (std::size_t i = 0; i < 64; ++i) {
    const std::size_t bit = i * 6;
    for (std::size_t b = 0; b < 6; ++b)
      if ((i >> (5 - b)) & 1)
        all[(bit + b) / 8] = static_cast<std::uint8_t>(all[(bit + b) / 8] | (0x80 >> ((bit + b) % 8)));
  }
  const std::string expected = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  EXPECT_EQ(base64_encode(all), expected);
  EXPECT_EQ(base64_decode(expected), all);
}

TEST(Base64, RejectsMalformedInput) {
  const char* bad[] = {
      "Z",                                    // a lone symbol carries less than a byte
      "Zm9vY",                                // likewise after full quanta
      "Zg=",                                  // incomplete padding
      "Zm8==",                                // too much padding for the data
      "=",      "==",    "====", "Zg==Zg==",  // padding not only at the end
      "Zg=a",                                 // data after padding
      "Zm9v\n",                               // whitespace is not skipped
      " Zm9v",  "Zm 9v",
      "Zm9v-_",  // base64url alphabet is not accepted
      "Zh==",    // non-zero bits beyond the last byte
      "Zm9=",    // likewise for two-byte groups
      "Zg===",
  };
  for (const char* text : bad) EXPECT_FALSE(base64_decode(text).has_value()) << '"' << text << '"';
  const char nul_inside[] = {'Z', 'g', '\0', '='};
  EXPECT_FALSE(base64_decode(std::string_view(nul_inside, 4)).has_value());
  std::string high = "Zm9v";
  high[1] = static_cast<char>(0xC3);
  EXPECT_FALSE(base64_decode(high).has_value());
}

// Cross-check against OpenSSL's encoder for many lengths, then round-trip with and without padding.
TEST(Base64, MatchesOpenSslAndRoundTrips) {
  std::mt19937 rng(42);
  for (std::size_t n = 0; n < 200; ++n) {
    Bytes data(n);
    for (auto& b : data) b = static_cast<std::uint8_t>(rng());
    std::string reference(4 * ((n + 2) / 3) + 1, '\0');
    const int len =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(reference.data()), data.data(), static_cast<int>(n));
    reference.resize(static_cast<std::size_t>(len));
    const std::string padded = base64_encode(data);
    EXPECT_EQ(padded, reference);
    EXPECT_EQ(base64_decode(padded), data);
    const std::string unpadded = base64_encode(data, false);
    EXPECT_EQ(unpadded, reference.substr(0, reference.find('=')));
    EXPECT_EQ(base64_decode(unpadded), data);
  }
}

}  // namespace
}  // namespace ssh::crypto
