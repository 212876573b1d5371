#include "ssh/crypto/host_key.hpp"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "ssh/crypto/ssh_public_key.hpp"
#include "ssh/crypto/ssh_signature.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::crypto {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string run(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
  pclose(pipe);
  return output;
}

Bytes base64(std::string_view text) {
  std::string clean;
  for (char c : text)
    if (c != '\n' && c != '\r') clean += c;
  Bytes out(clean.size() / 4 * 3 + 3);
  const int len =
      EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
  if (len < 0) return {};
  std::size_t size = static_cast<std::size_t>(len);
  for (std::size_t i = clean.size(); i > 0 && clean[i - 1] == '='; --i) --size;  // padding decodes as zeros
  out.resize(size);
  return out;
}

// The blob of an OpenSSH .pub line ("type base64 comment").
Bytes pub_file_blob(const fs::path& path) {
  std::istringstream line(read_text(path));
  std::string type, b64;
  line >> type >> b64;
  return base64(b64);
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey load_pem_private(const fs::path& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return nullptr;
  Pkey key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return key;
}

// Signs with OpenSSL and wraps the result in the SSH signature encoding (string alg | string sig).
Bytes ssh_sign(EVP_PKEY* key, std::string_view algorithm, ByteView data, const char* digest_override = nullptr) {
  const auto scheme = signature_scheme(algorithm);
  if (!scheme) return {};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const char* digest = digest_override != nullptr ? digest_override : scheme->digest;
  std::size_t len = 0;
  Bytes sig;
  if (EVP_DigestSignInit_ex(ctx, nullptr, digest, nullptr, nullptr, key, nullptr) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, data.data(), data.size()) == 1) {
    sig.resize(len);
    if (EVP_DigestSign(ctx, sig.data(), &len, data.data(), data.size()) == 1)
      sig.resize(len);
    else
      sig.clear();
  }
  EVP_MD_CTX_free(ctx);
  if (sig.empty()) return {};
  if (scheme->key_type != SshKeyType::ed25519 && scheme->key_type != SshKeyType::rsa) {
    auto converted = ecdsa_signature_der_to_ssh(sig);
    if (!converted) return {};
    sig = *converted;
  }
  return wire::Writer().string(algorithm).string(ByteView(sig)).take();
}

Bytes blob_of(EVP_PKEY* key) {
  auto blob = public_key_to_blob(key);
  return blob ? *blob : Bytes{};
}

const Bytes kData = [] {
  Bytes d(100);
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(i * 7);
  return d;
}();

struct KeySpec {
  std::string name;  // file stem
  std::string keygen_args;
  std::string type;
  std::string algorithm;  // used by ssh-keygen -Y sign
};

const std::vector<KeySpec> kSpecs{
    {"ed25519", "-t ed25519", "ssh-ed25519", "ssh-ed25519"},
    {"p256", "-t ecdsa -b 256 -m PEM", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"},
    {"p384", "-t ecdsa -b 384 -m PEM", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384"},
    {"p521", "-t ecdsa -b 521 -m PEM", "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521"},
    {"rsa", "-t rsa -b 2048 -m PEM", "ssh-rsa", "rsa-sha2-512"},
};

// Real keys made by ssh-keygen once for the whole suite.
class HostKeyWithSshKeygen : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string templ = (fs::temp_directory_path() / "sshplex-hostkey-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) return;
    dir_ = templ;
    for (const auto& spec : kSpecs) {
      const std::string cmd = "ssh-keygen -q " + spec.keygen_args + " -N '' -C test -f '" +
                              (dir_ / spec.name).string() + "' </dev/null >/dev/null 2>&1";
      if (std::system(cmd.c_str()) != 0) dir_.clear();
    }
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void SetUp() override {
    if (dir_.empty()) GTEST_SKIP() << "ssh-keygen is not available";
  }
  static fs::path key(const std::string& name) { return dir_ / name; }
  static fs::path pub(const std::string& name) { return dir_ / (name + ".pub"); }

  static inline fs::path dir_;
};

TEST_F(HostKeyWithSshKeygen, BlobsParseAndReencodeIdentically) {
  for (const auto& spec : kSpecs) {
    SCOPED_TRACE(spec.name);
    const Bytes blob = pub_file_blob(pub(spec.name));
    ASSERT_FALSE(blob.empty());
    EXPECT_EQ(key_blob_type(blob), spec.type);
    auto parsed = public_key_from_blob(blob);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(ssh_key_type_name(parsed->type), spec.type);
    EXPECT_EQ(blob_of(parsed->pkey.get()), blob);
  }
}

TEST_F(HostKeyWithSshKeygen, FingerprintMatchesSshKeygen) {
  for (const auto& spec : kSpecs) {
    SCOPED_TRACE(spec.name);
    std::istringstream out(run("ssh-keygen -E sha256 -lf '" + pub(spec.name).string() + "'"));
    std::string bits, fingerprint;
    out >> bits >> fingerprint;
    ASSERT_EQ(fingerprint.rfind("SHA256:", 0), 0u) << fingerprint;
    EXPECT_EQ(sha256_fingerprint(pub_file_blob(pub(spec.name))), fingerprint);
  }
}

// PROTOCOL.sshsig: ssh-keygen -Y sign signs "SSHSIG" | string namespace | string reserved |
// string hash_alg | string H(message) with an ordinary SSH signature, so its output checks our
// verifier against OpenSSH's own signer (including its ECDSA r/s and RSA encodings).
TEST_F(HostKeyWithSshKeygen, VerifiesSignaturesMadeBySshKeygen) {
  const std::string message = "exchange hash stand-in\n";
  const fs::path msg_file = dir_ / "message";
  std::ofstream(msg_file, std::ios::binary) << message;
  for (const auto& spec : kSpecs) {
    SCOPED_TRACE(spec.name);
    fs::remove(dir_ / "message.sig");
    const std::string cmd = "ssh-keygen -q -Y sign -f '" + key(spec.name).string() + "' -n sshplex-test '" +
                            msg_file.string() + "' </dev/null >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    std::string armored = read_text(dir_ / "message.sig");
    const std::string begin = "-----BEGIN SSH SIGNATURE-----\n";
    const auto end = armored.find("-----END SSH SIGNATURE-----");
    ASSERT_EQ(armored.rfind(begin, 0), 0u);
    ASSERT_NE(end, std::string::npos);
    const Bytes sshsig = base64(armored.substr(begin.size(), end - begin.size()));

    wire::Reader r(sshsig);
    ByteView magic, key_blob, signature;
    std::uint32_t version = 0;
    std::string_view ns, reserved, hash_alg;
    ASSERT_TRUE(r.bytes(6, magic) && r.u32(version) && r.string(key_blob) && r.string(ns) && r.string(reserved) &&
                r.string(hash_alg) && r.string(signature) && r.empty());
    ASSERT_EQ(hash_alg, "sha512");
    EXPECT_EQ(Bytes(key_blob.begin(), key_blob.end()), pub_file_blob(pub(spec.name)));

    std::array<std::uint8_t, 64> h{};
    unsigned int h_len = 0;
    ASSERT_EQ(EVP_Digest(message.data(), message.size(), h.data(), &h_len, EVP_sha512(), nullptr), 1);
    wire::Writer signed_data;
    signed_data.raw(as_bytes("SSHSIG")).string(ns).string(reserved).string(hash_alg).string(ByteView(h));

    EXPECT_TRUE(verify_signature(spec.algorithm, key_blob, signature, signed_data.data()));
    Bytes other = signed_data.data();
    other.back() ^= 1;
    EXPECT_FALSE(verify_signature(spec.algorithm, key_blob, signature, other));
  }
}

// Private keys from ssh-keygen's PEM files, signatures from OpenSSL, public halves from the .pub files.
TEST_F(HostKeyWithSshKeygen, OpenSslSignaturesOverSshKeygenKeys) {
  const std::map<std::string, std::vector<std::string>> algorithms{
      {"p256", {"ecdsa-sha2-nistp256"}},
      {"p384", {"ecdsa-sha2-nistp384"}},
      {"p521", {"ecdsa-sha2-nistp521"}},
      {"rsa", {"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"}},
  };
  for (const auto& [name, algs] : algorithms) {
    Pkey priv = load_pem_private(key(name));
    ASSERT_TRUE(priv) << name;
    const Bytes blob = pub_file_blob(pub(name));
    EXPECT_EQ(blob_of(priv.get()), blob) << name;
    for (const auto& alg : algs) {
      SCOPED_TRACE(alg);
      const Bytes sig = ssh_sign(priv.get(), alg, kData);
      ASSERT_FALSE(sig.empty());
      EXPECT_TRUE(verify_signature(alg, blob, sig, kData));
    }
  }
}

Pkey generate(const char* type, const char* group_or_null, std::size_t rsa_bits = 0) {
  if (rsa_bits != 0) return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", rsa_bits));
  if (group_or_null != nullptr) return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group_or_null));
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, type));
}

class SignatureTampering : public ::testing::TestWithParam<std::string> {
 protected:
  // Keys are cached per (key type, index): RSA generation dominates the run time otherwise.
  static EVP_PKEY* key_for(const std::string& alg, int index) {
    static std::map<std::pair<std::string, int>, Pkey> cache;
    const std::string type =
        signature_scheme(alg) ? std::string(ssh_key_type_name(signature_scheme(alg)->key_type)) : alg;
    Pkey& slot = cache[{type, index}];
    if (slot) return slot.get();
    if (type == "ssh-ed25519")
      slot = generate("ED25519", nullptr);
    else if (type == "ecdsa-sha2-nistp256")
      slot = generate("EC", "P-256");
    else if (type == "ecdsa-sha2-nistp384")
      slot = generate("EC", "P-384");
    else if (type == "ecdsa-sha2-nistp521")
      slot = generate("EC", "P-521");
    else
      slot = generate("RSA", nullptr, 2048);
    return slot.get();
  }
};

TEST_P(SignatureTampering, AcceptsGenuineRejectsTampered) {
  const std::string alg = GetParam();
  EVP_PKEY* key = key_for(alg, 0);
  ASSERT_TRUE(key);
  const Bytes blob = blob_of(key);
  const Bytes sig = ssh_sign(key, alg, kData);
  ASSERT_FALSE(blob.empty());
  ASSERT_FALSE(sig.empty());
  ASSERT_TRUE(verify_signature(alg, blob, sig, kData));

  // Any single flipped bit in the signature blob (name, lengths or value) is fatal.
  for (std::size_t i = 0; i < sig.size(); ++i) {
    Bytes bad = sig;
    bad[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
    EXPECT_FALSE(verify_signature(alg, blob, bad, kData)) << "byte " << i;
  }
  Bytes other = kData;
  other[50] ^= 0x10;
  EXPECT_FALSE(verify_signature(alg, blob, sig, other));
  EXPECT_FALSE(verify_signature(alg, blob, sig, {}));
  for (std::size_t n = 0; n < sig.size(); ++n)
    EXPECT_FALSE(verify_signature(alg, blob, ByteView(sig).first(n), kData)) << "truncated to " << n;
  Bytes trailing = sig;
  trailing.push_back(0);
  EXPECT_FALSE(verify_signature(alg, blob, trailing, kData));
  for (std::size_t n = 0; n < blob.size(); ++n)
    EXPECT_FALSE(verify_signature(alg, ByteView(blob).first(n), sig, kData)) << "key truncated to " << n;

  // Another key of the same type does not verify it.
  EXPECT_FALSE(verify_signature(alg, blob_of(key_for(alg, 1)), sig, kData));
  // Nor is the signature valid under any other negotiated algorithm.
  for (const char* negotiated : {"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                                 "rsa-sha2-256", "rsa-sha2-512", "ssh-rsa", "unknown-alg"}) {
    if (alg != negotiated) {
      EXPECT_FALSE(verify_signature(negotiated, blob, sig, kData)) << negotiated;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, SignatureTampering,
                         ::testing::Values("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                                           "ecdsa-sha2-nistp521", "rsa-sha2-256", "rsa-sha2-512", "ssh-rsa"));

TEST(HostKey, RsaSignatureNameMustMatchNegotiatedAndHash) {
  Pkey key = generate("RSA", nullptr, 2048);
  const Bytes blob = blob_of(key.get());
  // Signed with SHA-512 but labelled rsa-sha2-256: the label is checked and the hash follows it.
  const Bytes mislabelled = ssh_sign(key.get(), "rsa-sha2-256", kData, "SHA512");
  EXPECT_FALSE(verify_signature("rsa-sha2-256", blob, mislabelled, kData));
  // A genuine rsa-sha2-256 signature offered where rsa-sha2-512 was negotiated (downgrade).
  const Bytes sha256 = ssh_sign(key.get(), "rsa-sha2-256", kData);
  EXPECT_TRUE(verify_signature("rsa-sha2-256", blob, sha256, kData));
  EXPECT_FALSE(verify_signature("rsa-sha2-512", blob, sha256, kData));
  // A value longer than the modulus is refused even when numerically right.
  wire::Reader r(sha256);
  std::string_view name;
  ByteView raw;
  ASSERT_TRUE(r.string(name) && r.string(raw));
  Bytes longer{0};
  longer.insert(longer.end(), raw.begin(), raw.end());
  EXPECT_FALSE(
      verify_signature("rsa-sha2-256", blob, wire::Writer().string(name).string(ByteView(longer)).take(), kData));

  // RFC 8332 §3: some signers strip a leading zero byte of s; such signatures are accepted.
  // PKCS#1 v1.5 is deterministic, so vary the data until s happens to start with 0x00.
  Bytes data = kData;
  for (int attempt = 0; attempt < 4096; ++attempt) {
    data[0] = static_cast<std::uint8_t>(attempt);
    data[1] = static_cast<std::uint8_t>(attempt >> 8);
    const Bytes full = ssh_sign(key.get(), "rsa-sha2-256", data);
    wire::Reader fr(full);
    ASSERT_TRUE(fr.string(name) && fr.string(raw));
    if (raw[0] != 0) continue;
    const Bytes stripped = wire::Writer().string(name).string(raw.subspan(1)).take();
    EXPECT_TRUE(verify_signature("rsa-sha2-256", blob, stripped, data));
    EXPECT_FALSE(verify_signature("rsa-sha2-256", blob, stripped, kData));
    return;
  }
  FAIL() << "no signature with a leading zero byte found";
}

TEST(HostKey, RejectsSmallRsaKeys) {
  Pkey key = generate("RSA", nullptr, 1024);
  ASSERT_TRUE(key);
  const Bytes blob = blob_of(key.get());
  ASSERT_TRUE(public_key_from_blob(blob));  // parseable...
  for (const char* alg : {"rsa-sha2-256", "rsa-sha2-512", "ssh-rsa"})
    EXPECT_FALSE(verify_signature(alg, blob, ssh_sign(key.get(), alg, kData), kData)) << alg;  // ...but refused
}

TEST(HostKey, CompressedEcKeysEncodeUncompressed) {
  Pkey key = generate("EC", "P-384");
  const Bytes before = blob_of(key.get());
  ASSERT_EQ(EVP_PKEY_set_utf8_string_param(key.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"), 1);
  EXPECT_EQ(blob_of(key.get()), before);
}

TEST(HostKey, MalformedBlobsRejected) {
  Pkey ed = generate("ED25519", nullptr);
  const Bytes ed_blob = blob_of(ed.get());
  Bytes trailing = ed_blob;
  trailing.push_back(0);
  EXPECT_FALSE(public_key_from_blob(trailing));
  EXPECT_EQ(key_blob_type(trailing), "");
  EXPECT_FALSE(public_key_from_blob(wire::Writer().string("ssh-ed25519").string(ByteView(Bytes(31, 1))).take()));
  EXPECT_FALSE(public_key_from_blob({}));
  EXPECT_EQ(key_blob_type({}), "");
  EXPECT_EQ(key_blob_type(Bytes{0, 0, 0, 5, 'a'}), "");

  // ECDSA: curve identifier must agree with the type; point must be on the curve.
  Pkey ec = generate("EC", "P-256");
  const Bytes ec_blob = blob_of(ec.get());
  wire::Reader r(ec_blob);
  std::string_view type, curve;
  ByteView point;
  ASSERT_TRUE(r.string(type) && r.string(curve) && r.string(point));
  EXPECT_FALSE(public_key_from_blob(wire::Writer().string(type).string("nistp384").string(point).take()));
  EXPECT_FALSE(public_key_from_blob(wire::Writer().string("ecdsa-sha2-nistp384").string(curve).string(point).take()));
  Bytes off_curve(point.begin(), point.end());
  off_curve.back() ^= 1;
  EXPECT_FALSE(public_key_from_blob(wire::Writer().string(type).string(curve).string(ByteView(off_curve)).take()));
  EXPECT_EQ(key_blob_type(wire::Writer().string(type).string(curve).string(ByteView(off_curve)).take()), "");

  // RSA: e must be odd and > 1, n odd and of a sane size.
  Pkey rsa = generate("RSA", nullptr, 2048);
  const Bytes rsa_blob = blob_of(rsa.get());
  wire::Reader rr(rsa_blob);
  ByteView e, n;
  ASSERT_TRUE(rr.string(type) && rr.mpint_unsigned(e) && rr.mpint_unsigned(n));
  auto rsa_with = [&](ByteView e2, ByteView n2) {
    return public_key_from_blob(wire::Writer().string("ssh-rsa").mpint_unsigned(e2).mpint_unsigned(n2).take())
        .has_value();
  };
  EXPECT_TRUE(rsa_with(e, n));
  EXPECT_FALSE(rsa_with(Bytes{1}, n));
  EXPECT_FALSE(rsa_with(Bytes{4}, n));
  EXPECT_FALSE(rsa_with(Bytes{}, n));
  Bytes even_n(n.begin(), n.end());
  even_n.back() ^= 1;
  EXPECT_FALSE(rsa_with(e, even_n));
  EXPECT_FALSE(rsa_with(e, ByteView(n).first(64)));  // 512-bit modulus
  EXPECT_FALSE(rsa_with(e, Bytes(2049, 0x7f)));      // > 16384 bits
  // Negative mpint (top bit set without the 0x00 pad) is malformed.
  Bytes negative = wire::Writer().string("ssh-rsa").string(e).string(n).take();
  EXPECT_FALSE(public_key_from_blob(negative));

  // Unknown but well-formed types are reported by name for error messages, and never verify.
  const Bytes sk = wire::Writer().string("sk-ssh-ed25519@openssh.com").string(ByteView(Bytes(32, 1))).take();
  EXPECT_EQ(key_blob_type(sk), "sk-ssh-ed25519@openssh.com");
  EXPECT_FALSE(public_key_from_blob(sk));
}

TEST(HostKey, AlgorithmMatchesKeyType) {
  EXPECT_TRUE(algorithm_matches_key_type("ssh-ed25519", "ssh-ed25519"));
  EXPECT_TRUE(algorithm_matches_key_type("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"));
  EXPECT_TRUE(algorithm_matches_key_type("ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521"));
  EXPECT_TRUE(algorithm_matches_key_type("rsa-sha2-512", "ssh-rsa"));
  EXPECT_TRUE(algorithm_matches_key_type("rsa-sha2-256", "ssh-rsa"));
  EXPECT_TRUE(algorithm_matches_key_type("ssh-rsa", "ssh-rsa"));
  EXPECT_FALSE(algorithm_matches_key_type("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384"));
  EXPECT_FALSE(algorithm_matches_key_type("rsa-sha2-512", "ssh-ed25519"));
  EXPECT_FALSE(algorithm_matches_key_type("ssh-ed25519", "ssh-rsa"));
  EXPECT_FALSE(algorithm_matches_key_type("rsa-sha2-256", "rsa-sha2-256"));
  EXPECT_FALSE(algorithm_matches_key_type("", ""));
}

TEST(HostKey, EcdsaSignatureEncodingRoundTrip) {
  Pkey key = generate("EC", "P-521");
  const Bytes sig = ssh_sign(key.get(), "ecdsa-sha2-nistp521", kData);
  wire::Reader r(sig);
  std::string_view name;
  ByteView inner;
  ASSERT_TRUE(r.string(name) && r.string(inner));
  auto der = ecdsa_signature_ssh_to_der(inner, 66);
  ASSERT_TRUE(der);
  auto back = ecdsa_signature_der_to_ssh(*der);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, Bytes(inner.begin(), inner.end()));
  EXPECT_FALSE(ecdsa_signature_ssh_to_der(inner, 32));  // scalars larger than the bound
  EXPECT_FALSE(ecdsa_signature_ssh_to_der(wire::Writer().mpint_unsigned({}).mpint_unsigned(Bytes{1}).take(), 66));
  EXPECT_FALSE(ecdsa_signature_der_to_ssh(ByteView(*der).first(der->size() - 1)));
}

TEST(HostKey, FingerprintFormat) {
  // SHA-256 of the empty string, unpadded base64.
  EXPECT_EQ(sha256_fingerprint({}), "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
}

}  // namespace
}  // namespace ssh::crypto
