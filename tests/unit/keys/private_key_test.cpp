#include "ssh/keys/private_key.hpp"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "ssh/keys/public_key.hpp"
#include "unit/keys/key_test_support.hpp"

namespace {

using keytest::quote;
using keytest::read_file;
using keytest::run;
using ssh::keys::LoadStatus;

constexpr const char* kPass = "pass phrase";

struct KeySpec {
  std::string name;  // file stem
  std::string keygen_args;
  std::string type;  // expected key_type()
};

const std::vector<KeySpec>& key_specs() {
  static const std::vector<KeySpec> specs = {
      {"ed25519", "-t ed25519", "ssh-ed25519"},
      {"ecdsa256", "-t ecdsa -b 256", "ecdsa-sha2-nistp256"},
      {"ecdsa384", "-t ecdsa -b 384", "ecdsa-sha2-nistp384"},
      {"ecdsa521", "-t ecdsa -b 521", "ecdsa-sha2-nistp521"},
      {"rsa2048", "-t rsa -b 2048", "ssh-rsa"},
      {"rsa3072", "-t rsa -b 3072", "ssh-rsa"},
  };
  return specs;
}

// One set of real keys for the whole suite: RSA generation is slow, so each key is generated
// once in openssh format and re-saved in the other formats with ssh-keygen -p.
class PrivateKeyFiles : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new keytest::ScratchDir();
    for (const auto& spec : key_specs()) {
      const std::string base = dir_->file(spec.name);
      ASSERT_TRUE(run("ssh-keygen -q " + spec.keygen_args + " -N '' -C " + quote("comment " + spec.name) + " -f " +
                      quote(base)));
      ASSERT_TRUE(run("cp " + quote(base) + " " + quote(base + ".ctr") + " && ssh-keygen -q -p -a 4 -N " +
                      quote(kPass) + " -P '' -f " + quote(base + ".ctr")));
      if (spec.type == "ssh-ed25519") continue;  // ssh-keygen writes ed25519 only as openssh-key-v1
      ASSERT_TRUE(run("cp " + quote(base) + " " + quote(base + ".pem") + " && ssh-keygen -q -p -m PEM -N '' -P '' -f " +
                      quote(base + ".pem")));
      ASSERT_TRUE(run("cp " + quote(base) + " " + quote(base + ".pem.enc") + " && ssh-keygen -q -p -m PEM -N " +
                      quote(kPass) + " -P '' -f " + quote(base + ".pem.enc")));
      ASSERT_TRUE(run("cp " + quote(base) + " " + quote(base + ".p8") +
                      " && ssh-keygen -q -p -m PKCS8 -N '' -P '' -f " + quote(base + ".p8")));
      ASSERT_TRUE(run("cp " + quote(base) + " " + quote(base + ".p8.enc") + " && ssh-keygen -q -p -m PKCS8 -N " +
                      quote(kPass) + " -P '' -f " + quote(base + ".p8.enc")));
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static std::string path(const std::string& name) { return dir_->file(name); }

  // Loads `file`, checks the key against the .pub ssh-keygen wrote, and signs with every
  // algorithm the key offers, verifying each signature with OpenSSL.
  static void check_key(const KeySpec& spec, const std::string& file, const std::string& passphrase,
                        const std::string& expected_comment) {
    SCOPED_TRACE(file);
    const std::string contents = read_file(file);
    ASSERT_FALSE(contents.empty());
    EXPECT_EQ(ssh::keys::private_key_is_encrypted(ssh::as_bytes(contents)), !passphrase.empty());
    ssh::keys::LoadResult loaded = ssh::keys::load_private_key(ssh::as_bytes(contents), passphrase);
    ASSERT_EQ(loaded.status, LoadStatus::ok) << loaded.message;
    ASSERT_TRUE(loaded.signer);
    const auto& signer = *loaded.signer;
    EXPECT_EQ(signer.key_type(), spec.type);
    EXPECT_EQ(signer.comment(), expected_comment);

    const std::string pub_line = read_file(path(spec.name) + ".pub");
    const auto pub = ssh::keys::parse_public_key_line(pub_line);
    ASSERT_TRUE(pub);
    EXPECT_EQ(signer.public_blob(), pub->blob);

    keytest::Pkey verifier = spec.type == "ssh-ed25519"
                                 ? keytest::ed25519_public(ssh::ByteView(pub->blob).last(32))
                                 : keytest::read_public_pem(exported_pem(path(spec.name) + ".pub"));
    ASSERT_TRUE(verifier);
    std::vector<std::string> expected_algorithms = {spec.type};
    if (spec.type == "ssh-rsa") expected_algorithms = {"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"};
    EXPECT_EQ(signer.signature_algorithms(), expected_algorithms);

    const std::string message = "session id and userauth request for " + spec.name;
    for (const auto& algorithm : signer.signature_algorithms()) {
      SCOPED_TRACE(algorithm);
      auto sig = signer.sign(algorithm, ssh::as_bytes(message));
      ASSERT_TRUE(sig);
      EXPECT_TRUE(keytest::openssl_verify(verifier.get(), algorithm, *sig, ssh::as_bytes(message)));
      EXPECT_FALSE(keytest::openssl_verify(verifier.get(), algorithm, *sig, ssh::as_bytes(message + ".")));
    }
    EXPECT_FALSE(signer.sign("ssh-dss", ssh::as_bytes(message)));
  }

  static std::string exported_pem(const std::string& pub_file) {
    const std::string out = pub_file + ".pkcs8";
    if (std::system(("ssh-keygen -e -m PKCS8 -f " + quote(pub_file) + " > " + quote(out)).c_str()) != 0) return {};
    return read_file(out);
  }

  static keytest::ScratchDir* dir_;
};

keytest::ScratchDir* PrivateKeyFiles::dir_ = nullptr;

TEST_F(PrivateKeyFiles, OpensshUnencryptedLoadsAndSigns) {
  for (const auto& spec : key_specs()) check_key(spec, path(spec.name), "", "comment " + spec.name);
}

TEST_F(PrivateKeyFiles, OpensshAes256CtrLoadsAndSigns) {
  for (const auto& spec : key_specs()) {
    EXPECT_NE(read_file(path(spec.name + ".ctr")).find("-----BEGIN OPENSSH PRIVATE KEY-----"), std::string::npos);
    check_key(spec, path(spec.name + ".ctr"), kPass, "comment " + spec.name);
  }
}

TEST_F(PrivateKeyFiles, PemLoadsAndSigns) {
  for (const auto& spec : key_specs()) {
    if (spec.type == "ssh-ed25519") continue;
    const std::string expected_header =
        spec.type == "ssh-rsa" ? "-----BEGIN RSA PRIVATE KEY-----" : "-----BEGIN EC PRIVATE KEY-----";
    EXPECT_EQ(read_file(path(spec.name + ".pem")).rfind(expected_header, 0), 0u);
    check_key(spec, path(spec.name + ".pem"), "", "");
    check_key(spec, path(spec.name + ".pem.enc"), kPass, "");
  }
}

TEST_F(PrivateKeyFiles, Pkcs8LoadsAndSigns) {
  for (const auto& spec : key_specs()) {
    if (spec.type == "ssh-ed25519") continue;
    EXPECT_EQ(read_file(path(spec.name + ".p8")).rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
    EXPECT_EQ(read_file(path(spec.name + ".p8.enc")).rfind("-----BEGIN ENCRYPTED PRIVATE KEY-----", 0), 0u);
    check_key(spec, path(spec.name + ".p8"), "", "");
    check_key(spec, path(spec.name + ".p8.enc"), kPass, "");
  }
}

TEST_F(PrivateKeyFiles, PassphraseErrorsAreReported) {
  for (const std::string suffix : {".ctr", ".pem.enc", ".p8.enc"}) {
    const std::string contents = read_file(path("ecdsa256" + suffix));
    SCOPED_TRACE(suffix);
    EXPECT_EQ(ssh::keys::load_private_key(ssh::as_bytes(contents), "").status, LoadStatus::need_passphrase);
    const auto wrong = ssh::keys::load_private_key(ssh::as_bytes(contents), "wrong phrase");
    EXPECT_EQ(wrong.status, LoadStatus::bad_passphrase);
    EXPECT_FALSE(wrong.signer);
  }
}

TEST_F(PrivateKeyFiles, UnencryptedKeysIgnoreAPassphrase) {
  const std::string contents = read_file(path("ed25519"));
  EXPECT_EQ(ssh::keys::load_private_key(ssh::as_bytes(contents), "unused").status, LoadStatus::ok);
}

// Ed25519 in PKCS#8, which ssh-keygen does not write: made with openssl genpkey.
TEST(PrivateKeyPkcs8, Ed25519FromOpenssl) {
  keytest::ScratchDir dir;
  const std::string key = dir.file("ed.p8");
  const std::string enc = dir.file("ed.p8.enc");
  const std::string pub = dir.file("ed.pub.pem");
  ASSERT_TRUE(run("openssl genpkey -algorithm ed25519 -out " + quote(key)));
  ASSERT_TRUE(run("openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:" + quote(kPass) + " -in " + quote(key) +
                  " -out " + quote(enc)));
  ASSERT_TRUE(run("openssl pkey -pubout -in " + quote(key) + " -out " + quote(pub)));
  keytest::Pkey verifier = keytest::read_public_pem(read_file(pub));
  ASSERT_TRUE(verifier);
  std::uint8_t raw_pub[32];
  std::size_t raw_len = sizeof(raw_pub);
  ASSERT_EQ(EVP_PKEY_get_raw_public_key(verifier.get(), raw_pub, &raw_len), 1);

  for (const auto& [file, pass] : std::vector<std::pair<std::string, std::string>>{{key, ""}, {enc, kPass}}) {
    const std::string contents = read_file(file);
    auto loaded = ssh::keys::load_private_key(ssh::as_bytes(contents), pass);
    ASSERT_EQ(loaded.status, LoadStatus::ok) << loaded.message;
    // RFC 8709 §4: string "ssh-ed25519" | string key.
    ssh::Bytes expected = {0, 0, 0, 11};
    for (char c : std::string_view("ssh-ed25519")) expected.push_back(static_cast<std::uint8_t>(c));
    expected.insert(expected.end(), {0, 0, 0, 32});
    expected.insert(expected.end(), raw_pub, raw_pub + 32);
    EXPECT_EQ(loaded.signer->public_blob(), expected);
    auto sig = loaded.signer->sign("ssh-ed25519", ssh::as_bytes("data"));
    ASSERT_TRUE(sig);
    EXPECT_TRUE(keytest::openssl_verify(verifier.get(), "ssh-ed25519", *sig, ssh::as_bytes("data")));
  }
}

TEST(PrivateKeyFormats, UnsupportedPemKeyTypes) {
  keytest::ScratchDir dir;
  const std::string key = dir.file("ed448.p8");
  ASSERT_TRUE(run("openssl genpkey -algorithm ed448 -out " + quote(key)));
  EXPECT_EQ(ssh::keys::load_private_key(ssh::as_bytes(read_file(key)), "").status, LoadStatus::unsupported);
}

TEST(PrivateKeyFormats, GarbageIsMalformed) {
  for (const std::string text : {"", "hello", "-----BEGIN OPENSSH PRIVATE KEY-----\n",
                                 "-----BEGIN OPENSSH PRIVATE KEY-----\n!!!!\n-----END OPENSSH PRIVATE KEY-----\n",
                                 "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                                 "-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----\n"}) {
    SCOPED_TRACE(text);
    const auto r = ssh::keys::load_private_key(ssh::as_bytes(text), "");
    EXPECT_EQ(r.status, LoadStatus::malformed);
    EXPECT_FALSE(r.signer);
    EXPECT_FALSE(ssh::keys::private_key_is_encrypted(ssh::as_bytes(text)));
  }
}

}  // namespace
