#include "ssh/transport/algorithms.hpp"

#include <gtest/gtest.h>

#include "ssh/crypto/packet_cipher.hpp"
#include "ssh/transport/kex_methods.hpp"

namespace ssh::transport {
namespace {

using V = std::vector<std::string>;

TEST(Algorithms, DefaultsAreOpenSshOrderOfWhatWeImplement) {
  EXPECT_EQ(default_algorithm_list(AlgorithmKind::kex),
            (V{"curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
               "ecdh-sha2-nistp521", "diffie-hellman-group-exchange-sha256", "diffie-hellman-group16-sha512",
               "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256"}));
  EXPECT_EQ(default_algorithm_list(AlgorithmKind::host_key),
            (V{"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512",
               "rsa-sha2-256"}));
  EXPECT_EQ(default_algorithm_list(AlgorithmKind::cipher),
            (V{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-gcm@openssh.com",
               "aes256-gcm@openssh.com"}));
  EXPECT_EQ(default_algorithm_list(AlgorithmKind::mac),
            (V{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512"}));
  const auto d = default_algorithms();
  EXPECT_EQ(d.kex, default_algorithm_list(AlgorithmKind::kex));
  EXPECT_EQ(d.macs, default_algorithm_list(AlgorithmKind::mac));
}

TEST(Algorithms, LegacyAlgorithmsSupportedButOffByDefault) {
  for (const char* name : {"ssh-rsa"}) {
    const auto& s = supported_algorithms(AlgorithmKind::host_key);
    const auto& d = default_algorithm_list(AlgorithmKind::host_key);
    EXPECT_NE(std::find(s.begin(), s.end(), name), s.end());
    EXPECT_EQ(std::find(d.begin(), d.end(), name), d.end());
  }
  for (const char* name : {"hmac-sha1", "hmac-sha1-etm@openssh.com"}) {
    const auto& s = supported_algorithms(AlgorithmKind::mac);
    const auto& d = default_algorithm_list(AlgorithmKind::mac);
    EXPECT_NE(std::find(s.begin(), s.end(), name), s.end());
    EXPECT_EQ(std::find(d.begin(), d.end(), name), d.end());
  }
  for (const char* name : {"diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1"}) {
    const auto& s = supported_algorithms(AlgorithmKind::kex);
    const auto& d = default_algorithm_list(AlgorithmKind::kex);
    EXPECT_NE(std::find(s.begin(), s.end(), name), s.end());
    EXPECT_EQ(std::find(d.begin(), d.end(), name), d.end());
  }
  const auto& macs = supported_algorithms(AlgorithmKind::mac);
  for (const auto& m : macs) EXPECT_EQ(m.find("umac"), std::string::npos);
}

TEST(Algorithms, EverySupportedNameIsImplemented) {
  for (const auto& k : supported_algorithms(AlgorithmKind::kex)) EXPECT_TRUE(find_kex_method(k)) << k;
  for (const auto& c : supported_algorithms(AlgorithmKind::cipher)) EXPECT_TRUE(crypto::cipher_info(c)) << c;
  for (const auto& m : supported_algorithms(AlgorithmKind::mac)) EXPECT_TRUE(crypto::mac_info(m)) << m;
}

TEST(AlgorithmList, ReplaceAppendPrependRemove) {
  const V cur = {"aes128-ctr", "aes256-ctr", "chacha20-poly1305@openssh.com"};
  auto r = apply_algorithm_list(AlgorithmKind::cipher, cur, "aes256-gcm@openssh.com,aes128-ctr");
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.list, (V{"aes256-gcm@openssh.com", "aes128-ctr"}));

  r = apply_algorithm_list(AlgorithmKind::cipher, cur, "+aes192-ctr,aes128-ctr");
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.list, (V{"aes128-ctr", "aes256-ctr", "chacha20-poly1305@openssh.com", "aes192-ctr"}));

  r = apply_algorithm_list(AlgorithmKind::cipher, cur, "^chacha20-poly1305@openssh.com,aes192-ctr");
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.list, (V{"chacha20-poly1305@openssh.com", "aes192-ctr", "aes128-ctr", "aes256-ctr"}));

  r = apply_algorithm_list(AlgorithmKind::cipher, cur, "-aes*-ctr");
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.list, (V{"chacha20-poly1305@openssh.com"}));

  r = apply_algorithm_list(AlgorithmKind::cipher, cur, "-aes1?8-ctr,nonexistent");
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.list, (V{"aes256-ctr", "chacha20-poly1305@openssh.com"}));
}

TEST(AlgorithmList, WildcardsExpandAgainstSupportedList) {
  auto r = apply_algorithm_list(AlgorithmKind::mac, {}, "hmac-sha2-*-etm@openssh.com");
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.list, (V{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com"}));
  r = apply_algorithm_list(AlgorithmKind::host_key, default_algorithm_list(AlgorithmKind::host_key), "+ssh-rsa");
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.list.back(), "ssh-rsa");
}

TEST(AlgorithmList, Errors) {
  auto r = apply_algorithm_list(AlgorithmKind::cipher, {}, "3des-cbc");
  EXPECT_EQ(r.error, "unsupported cipher '3des-cbc'");
  r = apply_algorithm_list(AlgorithmKind::mac, {}, "+umac-64-etm@openssh.com");
  EXPECT_FALSE(r.error.empty());
  r = apply_algorithm_list(AlgorithmKind::kex, {}, "^nope*");
  EXPECT_FALSE(r.error.empty());
  r = apply_algorithm_list(AlgorithmKind::kex, {}, "");
  EXPECT_FALSE(r.error.empty());
  r = apply_algorithm_list(AlgorithmKind::kex, {}, "curve25519-sha256,,ecdh-sha2-nistp256");
  EXPECT_FALSE(r.error.empty());
  r = apply_algorithm_list(AlgorithmKind::cipher, {"aes128-ctr"}, "-*");
  EXPECT_FALSE(r.error.empty()) << "an empty list cannot negotiate anything";
}

TEST(Negotiate, FirstClientChoiceTheServerSupports) {
  EXPECT_EQ(negotiate({"a", "b", "c"}, {"c", "b"}), "b");
  EXPECT_EQ(negotiate({"a"}, {"b"}), std::nullopt);
  EXPECT_EQ(negotiate({}, {"b"}), std::nullopt);
}

}  // namespace
}  // namespace ssh::transport
