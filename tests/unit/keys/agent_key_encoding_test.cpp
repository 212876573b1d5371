// The agent encoding of private keys is checked byte for byte against what ssh-keygen writes in
// the private section of an unencrypted openssh-key-v1 file (PROTOCOL.key): OpenSSH serialises a
// key there with the same function it uses for SSH2_AGENTC_ADD_IDENTITY, so the fields that follow
// the two check integers, up to the comment, are exactly what ssh-add sends.
#include "ssh/keys/agent_key_encoding.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "ssh/crypto/base64.hpp"
#include "ssh/keys/private_key.hpp"
#include "ssh/wire/reader.hpp"
#include "unit/keys/key_test_support.hpp"

namespace {

struct KeySpec {
  std::string keygen_args;
  std::string type;
};

const std::vector<KeySpec>& key_specs() {
  static const std::vector<KeySpec> specs = {
      {"-t ed25519", "ssh-ed25519"},
      {"-t ecdsa -b 256", "ecdsa-sha2-nistp256"},
      {"-t ecdsa -b 384", "ecdsa-sha2-nistp384"},
      {"-t ecdsa -b 521", "ecdsa-sha2-nistp521"},
      {"-t rsa -b 2048", "ssh-rsa"},
  };
  return specs;
}

bool have_ssh_keygen() {
  return keytest::run("command -v ssh-keygen");
}

// The private section of an unencrypted openssh-key-v1 file, parsed here independently of the code
// under test: the fields after the check integers, and the comment that ends them.
struct PrivateSection {
  ssh::Bytes fields_and_rest;  // from the key type string to the end (comment, padding)
};

std::optional<PrivateSection> private_section(const std::string& file_text) {
  const std::string begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
  const std::string end = "-----END OPENSSH PRIVATE KEY-----";
  const auto b = file_text.find(begin);
  const auto e = file_text.find(end);
  if (b == std::string::npos || e == std::string::npos) return std::nullopt;
  std::string base64;
  for (char c : file_text.substr(b + begin.size(), e - b - begin.size())) {
    if (c != '\n' && c != '\r') base64 += c;
  }
  auto blob = ssh::crypto::base64_decode(base64);
  if (!blob) return std::nullopt;
  const std::string_view magic("openssh-key-v1\0", 15);
  if (blob->size() < magic.size() || ssh::as_string(ssh::ByteView(*blob).first(magic.size())) != magic) {
    return std::nullopt;
  }
  ssh::wire::Reader r(ssh::ByteView(*blob).subspan(magic.size()));
  std::string cipher, kdf;
  ssh::ByteView kdf_options, public_key, section;
  std::uint32_t count = 0;
  if (!r.string(cipher) || !r.string(kdf) || !r.string(kdf_options) || !r.u32(count) || count != 1 ||
      !r.string(public_key) || !r.string(section) || cipher != "none") {
    return std::nullopt;
  }
  ssh::wire::Reader s(section);
  std::uint32_t check1 = 0, check2 = 0;
  if (!s.u32(check1) || !s.u32(check2) || check1 != check2) return std::nullopt;
  PrivateSection out;
  out.fields_and_rest.assign(section.begin() + 8, section.end());
  return out;
}

TEST(AgentKeyEncoding, MatchesTheOpensshPrivateSectionForEveryKeyType) {
  if (!have_ssh_keygen()) GTEST_SKIP() << "ssh-keygen not installed";
  keytest::ScratchDir dir;
  for (const auto& spec : key_specs()) {
    SCOPED_TRACE(spec.type);
    const std::string path = dir.file("key_" + std::to_string(&spec - key_specs().data()));
    ASSERT_TRUE(
        keytest::run("ssh-keygen -q " + spec.keygen_args + " -N '' -C 'agent test' -f " + keytest::quote(path)));
    const std::string text = keytest::read_file(path);
    auto section = private_section(text);
    ASSERT_TRUE(section);

    auto loaded = ssh::keys::load_private_key(ssh::as_bytes(text), "");
    ASSERT_EQ(loaded.status, ssh::keys::LoadStatus::ok) << loaded.message;
    auto encoded = loaded.signer->agent_private_key();
    ASSERT_TRUE(encoded);
    ASSERT_LE(encoded->size(), section->fields_and_rest.size());
    EXPECT_EQ(ssh::Bytes(encoded->begin(), encoded->end()),
              ssh::Bytes(section->fields_and_rest.begin(),
                         section->fields_and_rest.begin() + static_cast<long>(encoded->size())));
    // What follows the key's fields in the file is its comment: the encoding took all the fields.
    ssh::wire::Reader rest(ssh::ByteView(section->fields_and_rest).subspan(encoded->size()));
    std::string comment;
    ASSERT_TRUE(rest.string(comment));
    EXPECT_EQ(comment, "agent test");

    // The encoding starts with the type, then (except RSA, whose public blob orders e before n) the
    // public key blob's own fields.
    ssh::wire::Reader head(*encoded);
    std::string type;
    ASSERT_TRUE(head.string(type));
    EXPECT_EQ(type, spec.type);
    if (spec.type != "ssh-rsa") {
      const ssh::Bytes blob = loaded.signer->public_blob();
      ASSERT_LT(blob.size(), encoded->size());
      EXPECT_TRUE(std::equal(blob.begin(), blob.end(), encoded->begin()));
    }
  }
}

TEST(AgentKeyEncoding, PemKeysEncodeLikeTheSameKeyInOpensshFormat) {
  if (!have_ssh_keygen()) GTEST_SKIP() << "ssh-keygen not installed";
  keytest::ScratchDir dir;
  // ssh-keygen writes ecdsa and RSA keys as PEM (OpenSSL's own structures, loaded through OpenSSL).
  for (const auto& spec : key_specs()) {
    if (spec.type == "ssh-ed25519") continue;
    SCOPED_TRACE(spec.type);
    const std::string path = dir.file("key");
    const std::string pem = dir.file("key.pem");
    std::remove(path.c_str());
    std::remove((path + ".pub").c_str());
    ASSERT_TRUE(keytest::run("ssh-keygen -q " + spec.keygen_args + " -N '' -C '' -f " + keytest::quote(path)));
    keytest::write_file(pem, keytest::read_file(path));
    // ssh-keygen will not touch a private key others may read.
    std::filesystem::permissions(pem, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    ASSERT_TRUE(keytest::run("ssh-keygen -q -p -P '' -N '' -m PEM -f " + keytest::quote(pem)));
    const std::string pem_text = keytest::read_file(pem);
    ASSERT_TRUE(pem_text.find("-----BEGIN EC PRIVATE KEY-----") != std::string::npos ||
                pem_text.find("-----BEGIN RSA PRIVATE KEY-----") != std::string::npos)
        << pem_text;

    auto from_openssh = ssh::keys::load_private_key(ssh::as_bytes(keytest::read_file(path)), "");
    auto from_pem = ssh::keys::load_private_key(ssh::as_bytes(pem_text), "");
    ASSERT_EQ(from_openssh.status, ssh::keys::LoadStatus::ok) << from_openssh.message;
    ASSERT_EQ(from_pem.status, ssh::keys::LoadStatus::ok) << from_pem.message;
    auto a = from_openssh.signer->agent_private_key();
    auto b = from_pem.signer->agent_private_key();
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b);
  }
}

TEST(AgentKeyEncoding, NoEncodingWithoutThePrivateHalf) {
  EXPECT_FALSE(ssh::keys::encode_agent_private_key(nullptr));
  const ssh::Bytes raw(32, 0x42);
  keytest::Pkey pub = keytest::ed25519_public(raw);
  ASSERT_TRUE(pub);
  EXPECT_FALSE(ssh::keys::encode_agent_private_key(pub.get()));
  // A key type SSH has no name for.
  keytest::Pkey ed448(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448"));
  ASSERT_TRUE(ed448);
  EXPECT_FALSE(ssh::keys::encode_agent_private_key(ed448.get()));
}

}  // namespace
