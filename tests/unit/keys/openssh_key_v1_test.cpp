// openssh-key-v1 container details (PROTOCOL.key): every cipher ssh-keygen offers that we support,
// passphrase handling, and tampered or truncated containers.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <functional>
#include <string>
#include <vector>

#include "ssh/keys/private_key.hpp"
#include "ssh/keys/public_key.hpp"
#include "ssh/wire/writer.hpp"
#include "unit/keys/key_test_support.hpp"

namespace {

using keytest::quote;
using keytest::read_file;
using keytest::run;
using ssh::keys::LoadStatus;

constexpr std::string_view kBegin = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
constexpr std::string_view kEnd = "-----END OPENSSH PRIVATE KEY-----\n";

ssh::Bytes unarmor(const std::string& file) {
  const std::size_t b = file.find(kBegin);
  const std::size_t e = file.find(kEnd);
  std::string body = file.substr(b + kBegin.size(), e - b - kBegin.size());
  std::erase(body, '\n');
  ssh::Bytes out(body.size());
  const int n =
      EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(body.data()), static_cast<int>(body.size()));
  std::size_t len = static_cast<std::size_t>(n);
  if (body.ends_with("=="))
    len -= 2;
  else if (body.ends_with("="))
    len -= 1;
  out.resize(len);
  return out;
}

std::string armor(ssh::ByteView blob) {
  std::string b64(4 * ((blob.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), blob.data(), static_cast<int>(blob.size()));
  b64.resize(static_cast<std::size_t>(n));
  std::string out(kBegin);
  for (std::size_t i = 0; i < b64.size(); i += 70) out += b64.substr(i, 70) + "\n";
  return out + std::string(kEnd);
}

// The fields of an unencrypted container, to rebuild it with one part changed.
struct Parts {
  std::string cipher, kdf;
  ssh::Bytes kdf_options, public_blob, private_section;
};

Parts split(ssh::ByteView blob) {
  ssh::wire::Reader r(blob.subspan(15));
  Parts p;
  ssh::ByteView opts, pub, priv;
  std::uint32_t n = 0;
  EXPECT_TRUE(r.string(p.cipher) && r.string(p.kdf) && r.string(opts) && r.u32(n) && r.string(pub) && r.string(priv));
  p.kdf_options.assign(opts.begin(), opts.end());
  p.public_blob.assign(pub.begin(), pub.end());
  p.private_section.assign(priv.begin(), priv.end());
  return p;
}

std::string join(const Parts& p, std::uint32_t keys = 1) {
  ssh::wire::Writer w;
  w.raw(ssh::as_bytes(std::string_view("openssh-key-v1\0", 15)));
  w.string(p.cipher).string(p.kdf).string(ssh::ByteView(p.kdf_options)).u32(keys);
  w.string(ssh::ByteView(p.public_blob)).string(ssh::ByteView(p.private_section));
  return armor(w.data());
}

LoadStatus load(const std::string& text, std::string_view pass = "") {
  auto r = ssh::keys::load_private_key(ssh::as_bytes(text), pass);
  EXPECT_EQ(r.status == LoadStatus::ok, r.signer != nullptr);
  return r.status;
}

class OpensshKeyV1 : public ::testing::Test {
 protected:
  std::string make(const std::string& name, const std::string& args) {
    const std::string f = dir_.file(name);
    EXPECT_TRUE(run("ssh-keygen -q " + args + " -C 'my key' -f " + quote(f)));
    return read_file(f);
  }
  keytest::ScratchDir dir_;
};

// bcrypt_pbkdf against keys ssh-keygen encrypted: OpenSSH's default 16 rounds for the two
// ciphers it uses by default, 2 rounds for the others to keep the (debug-build) test quick.
TEST_F(OpensshKeyV1, EncryptedWithEveryCipher) {
  const std::vector<std::pair<std::string, int>> ciphers = {
      {"aes256-ctr", 16}, {"aes256-gcm@openssh.com", 16}, {"aes128-ctr", 2},
      {"aes192-ctr", 2},  {"aes128-gcm@openssh.com", 2},  {"aes256-cbc", 2},
      {"aes128-cbc", 2}};
  for (const auto& [cipher, rounds] : ciphers) {
    SCOPED_TRACE(cipher);
    const std::string text =
        make("k-" + cipher, "-t ed25519 -N 'pass phrase' -a " + std::to_string(rounds) + " -Z " + cipher);
    EXPECT_EQ(split(unarmor(text)).cipher, cipher);
    EXPECT_TRUE(ssh::keys::private_key_is_encrypted(ssh::as_bytes(text)));
    EXPECT_EQ(load(text), LoadStatus::need_passphrase);
    if (rounds < 16) {
      EXPECT_EQ(load(text, "pass phrase "), LoadStatus::bad_passphrase);
    }
    auto r = ssh::keys::load_private_key(ssh::as_bytes(text), "pass phrase");
    ASSERT_EQ(r.status, LoadStatus::ok) << r.message;
    EXPECT_EQ(r.signer->comment(), "my key");
    const auto pub = ssh::keys::parse_public_key_line(read_file(dir_.file("k-" + cipher) + ".pub"));
    ASSERT_TRUE(pub);
    EXPECT_EQ(r.signer->public_blob(), pub->blob);
  }
}

TEST_F(OpensshKeyV1, ChachaProtectedKeysAreUnsupported) {
  const std::string text = make("k", "-t ed25519 -N 'pass phrase' -a 1 -Z chacha20-poly1305@openssh.com");
  EXPECT_EQ(load(text, "pass phrase"), LoadStatus::unsupported);
}

TEST_F(OpensshKeyV1, TamperedGcmTagIsBadPassphrase) {
  const std::string text = make("k", "-t ed25519 -N 'pass phrase' -a 2 -Z aes256-gcm@openssh.com");
  ssh::Bytes blob = unarmor(text);
  blob.back() ^= 1;  // the tag is the last thing in the container
  EXPECT_EQ(load(armor(blob), "pass phrase"), LoadStatus::bad_passphrase);
}

TEST_F(OpensshKeyV1, TamperedUnencryptedContainersAreMalformed) {
  const std::string text = make("k", "-t ecdsa -N ''");
  ASSERT_EQ(load(text), LoadStatus::ok);
  const Parts good = split(unarmor(text));
  ASSERT_EQ(join(good), text) << "rebuilding an untouched container must reproduce the file";

  const std::vector<std::pair<std::string, std::function<void(Parts&)>>> cases = {
      {"check ints differ", [](Parts& p) { p.private_section[0] ^= 1; }},
      {"padding byte wrong", [](Parts& p) { p.private_section.back() ^= 0x40; }},
      {"extra padding block", [](Parts& p) { p.private_section.insert(p.private_section.end(), 8, 0); }},
      {"section not block aligned", [](Parts& p) { p.private_section.pop_back(); }},
      {"public key differs", [](Parts& p) { p.public_blob.back() ^= 1; }},
      {"private scalar changed", [](Parts& p) { p.private_section[p.private_section.size() - 60] ^= 1; }},
      {"kdf options without cipher",
       [](Parts& p) {
         p.kdf_options = {0, 0, 0, 0};
       }},
      {"cipher without kdf", [](Parts& p) { p.cipher = "aes256-ctr"; }},
  };
  for (const auto& [name, mutate] : cases) {
    SCOPED_TRACE(name);
    Parts p = good;
    mutate(p);
    EXPECT_EQ(load(join(p)), LoadStatus::malformed);
  }
  Parts p = good;
  p.cipher = "twofish-cbc";
  p.kdf = "bcrypt";
  EXPECT_EQ(load(join(p)), LoadStatus::unsupported);
  EXPECT_EQ(load(join(good, 2)), LoadStatus::unsupported);
}

TEST_F(OpensshKeyV1, TruncationAnywhereFailsCleanly) {
  const std::string text = make("k", "-t ed25519 -N ''");
  const ssh::Bytes blob = unarmor(text);
  for (std::size_t len = 0; len < blob.size(); ++len) {
    EXPECT_EQ(load(armor(ssh::ByteView(blob).first(len))), LoadStatus::malformed) << len;
  }
  // Truncating the text itself (losing the END marker) is malformed too.
  EXPECT_EQ(load(text.substr(0, text.size() / 2)), LoadStatus::malformed);
}

TEST_F(OpensshKeyV1, BadBase64IsMalformed) {
  const std::string text = make("k", "-t ed25519 -N ''");
  std::string bad = text;
  bad[kBegin.size() + 10] = '*';
  EXPECT_EQ(load(bad), LoadStatus::malformed);
  std::string padded = text;
  padded.insert(kBegin.size() + 4, "=");
  EXPECT_EQ(load(padded), LoadStatus::malformed);
}

TEST_F(OpensshKeyV1, WrongCheckIntsMeanBadPassphraseWhenEncrypted) {
  // Decrypting with the wrong key leaves random check ints, which must read as a wrong
  // passphrase rather than a corrupt file (aes-ctr has no tag to catch it first).
  const std::string text = make("k", "-t ed25519 -N 'pass phrase' -a 2 -Z aes256-ctr");
  EXPECT_EQ(load(text, "other"), LoadStatus::bad_passphrase);
  ssh::Bytes blob = unarmor(text);
  // Flip a bit in the encrypted first check int: with CTR this flips the plaintext bit only.
  const Parts p = split(blob);
  const std::size_t section_at = blob.size() - p.private_section.size();
  blob[section_at] ^= 1;
  EXPECT_EQ(load(armor(blob), "pass phrase"), LoadStatus::bad_passphrase);
}

}  // namespace
