#include "ssh/crypto/hash.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ssh::crypto {
namespace {

std::string hex(const SecretBytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (std::uint8_t v : b) {
    s.push_back(digits[v >> 4]);
    s.push_back(digits[v & 15]);
  }
  return s;
}

// FIPS 180-2 appendix examples: "abc" and the 448-bit two-block message.
TEST(Hash, Fips180OneBlockMessage) {
  EXPECT_EQ(hex(digest(HashAlg::sha1, as_bytes("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex(digest(HashAlg::sha256, as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(digest(HashAlg::sha384, as_bytes("abc"))),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(hex(digest(HashAlg::sha512, as_bytes("abc"))),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(Hash, Fips180MultiBlockMessage) {
  const auto msg = as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
  EXPECT_EQ(hex(digest(HashAlg::sha1, msg)), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(hex(digest(HashAlg::sha256, msg)), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Hash, EmptyInput) {
  EXPECT_EQ(hex(digest(HashAlg::sha256, {})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// FIPS 180-2: one million repetitions of 'a', fed in uneven pieces to exercise incremental updates.
TEST(Hash, IncrementalMillionA) {
  const std::string chunk(997, 'a');
  Hash h1(HashAlg::sha1);
  Hash h256(HashAlg::sha256);
  std::size_t left = 1000000;
  while (left > 0) {
    const std::size_t n = std::min(left, chunk.size());
    h1.update(as_bytes(std::string_view(chunk).substr(0, n)));
    h256.update(as_bytes(std::string_view(chunk).substr(0, n)));
    left -= n;
  }
  EXPECT_EQ(hex(h1.finish()), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  EXPECT_EQ(hex(h256.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Hash, SplitUpdatesMatchOneShot) {
  Bytes data(1000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7 + 3);
  for (HashAlg alg : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha384, HashAlg::sha512}) {
    for (std::size_t split : {std::size_t{0}, std::size_t{1}, std::size_t{63}, std::size_t{64}, std::size_t{999}}) {
      Hash h(alg);
      h.update(ByteView(data).first(split));
      h.update(ByteView(data).subspan(split));
      EXPECT_EQ(h.finish(), digest(alg, data)) << "split " << split;
    }
  }
}

TEST(Hash, DigestSizes) {
  EXPECT_EQ(digest_size(HashAlg::sha1), 20u);
  EXPECT_EQ(digest_size(HashAlg::sha256), 32u);
  EXPECT_EQ(digest_size(HashAlg::sha384), 48u);
  EXPECT_EQ(digest_size(HashAlg::sha512), 64u);
  for (HashAlg alg : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha384, HashAlg::sha512})
    EXPECT_EQ(digest(alg, as_bytes("x")).size(), digest_size(alg));
}

TEST(Hash, MoveKeepsState) {
  Hash a(HashAlg::sha256);
  a.update(as_bytes("ab"));
  Hash b(std::move(a));
  b.update(as_bytes("c"));
  Hash c(HashAlg::sha1);
  c = std::move(b);
  EXPECT_EQ(hex(c.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace ssh::crypto
