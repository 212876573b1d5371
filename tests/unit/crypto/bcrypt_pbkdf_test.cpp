#include "ssh/crypto/bcrypt_pbkdf.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

#include "ssh/wire/reader.hpp"
#include "unit/keys/key_test_support.hpp"

namespace {

using ssh::crypto::bcrypt_pbkdf;

std::string hex(ssh::ByteView b) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::uint8_t v : b) {
    out += digits[v >> 4];
    out += digits[v & 15];
  }
  return out;
}

std::string derive(std::string_view pass, std::string_view salt, std::uint32_t rounds, std::size_t len) {
  ssh::Bytes out(len);
  EXPECT_TRUE(bcrypt_pbkdf(pass, ssh::as_bytes(salt), rounds, out));
  return hex(out);
}

// The bcrypt_pbkdf regression vectors published with OpenBSD's implementation (also used by the
// pyca/bcrypt test suite): they pin the EksBlowfish order, the little-endian output words and the
// interleaving of output blocks.
TEST(BcryptPbkdf, PublishedVectors) {
  using namespace std::string_view_literals;
  EXPECT_EQ(derive("password", "salt", 4, 32), "5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9");
  EXPECT_EQ(derive("password", "\0"sv, 4, 16), "c12b566235eee04c212598970a579a67");
  EXPECT_EQ(derive("\0"sv, "salt", 4, 16), "6051be18c2f4f82cbf0efee5471b4bb9");
  EXPECT_EQ(derive("password\0"sv, "salt\0"sv, 4, 32),
            "7410e44cf4fa07bfaac8a928b1727fac001375e7bf7384370f48efd121743050");
  EXPECT_EQ(derive("pass\0wor"sv, "sa\0l"sv, 4, 16), "c2bffd9db38f6569efef4372f4de83c0");
  EXPECT_EQ(derive("pass\0word"sv, "sa\0lt"sv, 4, 16), "4ba4ac3925c0e8d7f0cdb6bb1684a56f");
  // Two output blocks, interleaved byte by byte.
  EXPECT_EQ(derive("password", "salt", 8, 64),
            "e1367ec5151a33faac4cc1c144cd23fa15d5548493ecc99b9b5d9c0d3b27bec7"
            "6227ea66088b849b20ab7aa478010246e74bba51723fefa9f9474d6508845e8d");
}

TEST(BcryptPbkdf, RejectsBadArguments) {
  ssh::Bytes out(48, 0xaa);
  EXPECT_FALSE(bcrypt_pbkdf("pw", ssh::as_bytes("salt"), 0, out));
  EXPECT_EQ(out, ssh::Bytes(48, 0));
  EXPECT_FALSE(bcrypt_pbkdf("pw", {}, 1, out));
  ssh::Bytes empty;
  EXPECT_FALSE(bcrypt_pbkdf("pw", ssh::as_bytes("salt"), 1, empty));
  ssh::Bytes huge(ssh::crypto::kBcryptPbkdfMaxOutput + 1);
  EXPECT_FALSE(bcrypt_pbkdf("pw", ssh::as_bytes("salt"), 1, huge));
}

TEST(BcryptPbkdf, EveryInputMatters) {
  const std::string base = derive("pass phrase", "0123456789abcdef", 2, 48);
  EXPECT_NE(derive("pass phrasf", "0123456789abcdef", 2, 48), base);
  EXPECT_NE(derive("pass phrase", "0123456789abcdeg", 2, 48), base);
  EXPECT_NE(derive("pass phrase", "0123456789abcdef", 3, 48), base);
  EXPECT_EQ(derive("pass phrase", "0123456789abcdef", 2, 48), base);
}

// Against OpenSSH itself: ssh-keygen encrypts a key with aes256-ctr keyed by
// bcrypt_pbkdf(passphrase, salt, 16 rounds) -> key(32) | iv(16). Deriving the same bytes here and
// decrypting with OpenSSL must expose the two equal check words and the key type (PROTOCOL.key).
TEST(BcryptPbkdf, DecryptsAKeySshKeygenEncrypted) {
  keytest::ScratchDir dir;
  const std::string file = dir.file("k");
  ASSERT_TRUE(keytest::run("ssh-keygen -q -t ed25519 -N 'pass phrase' -a 16 -Z aes256-ctr -f " + keytest::quote(file)));
  std::string text = keytest::read_file(file);
  const std::string begin = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  text = text.substr(begin.size(), text.find("-----END") - begin.size());
  std::erase(text, '\n');
  ssh::Bytes blob(text.size());
  const int n =
      EVP_DecodeBlock(blob.data(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  ASSERT_GT(n, 0);
  blob.resize(static_cast<std::size_t>(n));

  ssh::wire::Reader r(ssh::ByteView(blob).subspan(15));
  std::string cipher, kdf;
  ssh::ByteView options, pub, section, salt;
  std::uint32_t keys = 0, rounds = 0;
  ASSERT_TRUE(r.string(cipher) && r.string(kdf) && r.string(options) && r.u32(keys) && r.string(pub) &&
              r.string(section));
  ASSERT_EQ(cipher, "aes256-ctr");
  ASSERT_EQ(kdf, "bcrypt");
  ssh::wire::Reader o(options);
  ASSERT_TRUE(o.string(salt) && o.u32(rounds));
  EXPECT_EQ(rounds, 16u);

  ssh::Bytes key_iv(48);
  ASSERT_TRUE(bcrypt_pbkdf("pass phrase", salt, rounds, key_iv));
  ssh::Bytes plain(section.size() + 16);
  int len = 0;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ASSERT_EQ(EVP_DecryptInit_ex(ctx, EVP_aes_256_ctr(), nullptr, key_iv.data(), key_iv.data() + 32), 1);
  ASSERT_EQ(EVP_DecryptUpdate(ctx, plain.data(), &len, section.data(), static_cast<int>(section.size())), 1);
  EVP_CIPHER_CTX_free(ctx);

  ssh::wire::Reader p(ssh::ByteView(plain).first(static_cast<std::size_t>(len)));
  std::uint32_t check1 = 0, check2 = 0;
  std::string type;
  ASSERT_TRUE(p.u32(check1) && p.u32(check2) && p.string(type));
  EXPECT_EQ(check1, check2);
  EXPECT_EQ(type, "ssh-ed25519");
}

}  // namespace
