#include "ssh/transport/kex_init.hpp"

#include <gtest/gtest.h>

#include "ssh/transport/message_numbers.hpp"

namespace ssh::transport {
namespace {

using V = std::vector<std::string>;

KexInit server_kexinit() {
  KexInit s;
  s.kex = {"sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "ecdh-sha2-nistp256", "ext-info-s",
           kStrictKexServer};
  s.host_key = {"rsa-sha2-512", "ssh-ed25519"};
  s.cipher_c2s = s.cipher_s2c = {"aes256-gcm@openssh.com", "aes128-ctr"};
  s.mac_c2s = s.mac_s2c = {"umac-64-etm@openssh.com", "hmac-sha2-256"};
  s.compression_c2s = s.compression_s2c = {"none", "zlib@openssh.com"};
  return s;
}

TEST(KexInit, ClientKexInitAdvertisesExtInfoAndStrictOnFirstKexOnly) {
  const auto prefs = default_algorithms();
  const auto first = make_client_kexinit(prefs, true);
  ASSERT_EQ(first.kex.size(), prefs.kex.size() + 2);
  EXPECT_EQ(first.kex[first.kex.size() - 2], "ext-info-c");
  EXPECT_EQ(first.kex.back(), "kex-strict-c-v00@openssh.com");
  EXPECT_EQ(first.compression_c2s, V{"none"});
  EXPECT_FALSE(first.first_kex_packet_follows);
  const auto again = make_client_kexinit(prefs, false);
  EXPECT_EQ(again.kex, prefs.kex);
  EXPECT_NE(first.cookie, again.cookie) << "cookies are random";
}

TEST(KexInit, EncodeParseRoundTrip) {
  auto k = server_kexinit();
  k.first_kex_packet_follows = true;
  k.language_c2s = {"en"};
  const Bytes wire = encode_kexinit(k);
  EXPECT_EQ(wire[0], msg::kKexInit);
  const auto back = parse_kexinit(wire);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kex, k.kex);
  EXPECT_EQ(back->mac_s2c, k.mac_s2c);
  EXPECT_EQ(back->language_c2s, V{"en"});
  EXPECT_TRUE(back->language_s2c.empty());
  EXPECT_TRUE(back->first_kex_packet_follows);
  EXPECT_EQ(encode_kexinit(*back), wire);
}

TEST(KexInit, ParseRejectsTruncatedAndWrongType) {
  const Bytes wire = encode_kexinit(server_kexinit());
  for (std::size_t n = 0; n < wire.size(); ++n) {
    EXPECT_FALSE(parse_kexinit(ByteView(wire).first(n))) << n;
  }
  Bytes wrong = wire;
  wrong[0] = 21;
  EXPECT_FALSE(parse_kexinit(wrong));
  Bytes extended = wire;
  extended.push_back(0);
  EXPECT_TRUE(parse_kexinit(extended)) << "trailing data is reserved for extensions";
}

TEST(KexInit, NegotiatesPerDirectionAndDetectsStrict) {
  const auto client = make_client_kexinit(default_algorithms(), true);
  const auto r = negotiate_kexinit(client, server_kexinit(), true);
  ASSERT_TRUE(r.algorithms) << r.error;
  EXPECT_EQ(r.algorithms->kex, "curve25519-sha256");
  EXPECT_EQ(r.algorithms->host_key, "ssh-ed25519");
  EXPECT_EQ(r.algorithms->cipher_c2s, "aes128-ctr");
  EXPECT_EQ(r.algorithms->mac_c2s, "hmac-sha2-256");
  EXPECT_TRUE(r.algorithms->strict_kex);
  EXPECT_FALSE(r.ignore_guessed_packet);
  // Strict KEX only counts in the first exchange.
  EXPECT_FALSE(negotiate_kexinit(client, server_kexinit(), false).algorithms->strict_kex);
  auto plain = server_kexinit();
  plain.kex.pop_back();
  EXPECT_FALSE(negotiate_kexinit(client, plain, true).algorithms->strict_kex);
}

TEST(KexInit, AeadNeedsNoCommonMac) {
  auto client = make_client_kexinit(default_algorithms(), true);
  client.cipher_c2s = client.cipher_s2c = {"aes256-gcm@openssh.com"};
  auto server = server_kexinit();
  server.mac_c2s = server.mac_s2c = {"umac-64-etm@openssh.com"};
  const auto r = negotiate_kexinit(client, server, true);
  ASSERT_TRUE(r.algorithms) << r.error;
  EXPECT_EQ(r.algorithms->cipher_s2c, "aes256-gcm@openssh.com");
  EXPECT_TRUE(r.algorithms->mac_c2s.empty());
}

TEST(KexInit, FailsWithoutCommonAlgorithm) {
  const auto client = make_client_kexinit(default_algorithms(), true);
  auto server = server_kexinit();
  server.kex = {"ext-info-s", "kex-strict-s-v00@openssh.com", "sntrup761x25519-sha512@openssh.com"};
  auto r = negotiate_kexinit(client, server, true);
  EXPECT_FALSE(r.algorithms);
  EXPECT_EQ(r.error, "no common key exchange algorithm");
  server = server_kexinit();
  server.compression_s2c = {"zlib"};
  r = negotiate_kexinit(client, server, true);
  EXPECT_FALSE(r.algorithms);
  server = server_kexinit();
  server.mac_s2c = {"umac-128@openssh.com"};
  r = negotiate_kexinit(client, server, true);
  EXPECT_EQ(r.error, "no common server-to-client MAC");
}

TEST(KexInit, PseudoAlgorithmsAreNeverNegotiated) {
  auto client = make_client_kexinit(default_algorithms(), true);
  client.kex = {"ext-info-c", "kex-strict-c-v00@openssh.com"};
  auto server = server_kexinit();
  server.kex = {"ext-info-c", "kex-strict-c-v00@openssh.com"};
  EXPECT_FALSE(negotiate_kexinit(client, server, true).algorithms);
}

TEST(KexInit, WrongGuessIsIgnored) {
  const auto client = make_client_kexinit(default_algorithms(), true);
  auto server = server_kexinit();
  server.first_kex_packet_follows = true;
  // The server's first kex is not ours: its guess is wrong.
  EXPECT_TRUE(negotiate_kexinit(client, server, true).ignore_guessed_packet);
  // Same preferred kex and host key on both sides: the guess stands.
  server.kex.insert(server.kex.begin(), client.kex.front());
  server.host_key.insert(server.host_key.begin(), client.host_key.front());
  EXPECT_FALSE(negotiate_kexinit(client, server, true).ignore_guessed_packet);
  // Right kex but wrong host key: still wrong.
  server.host_key.erase(server.host_key.begin());
  EXPECT_TRUE(negotiate_kexinit(client, server, true).ignore_guessed_packet);
}

}  // namespace
}  // namespace ssh::transport
