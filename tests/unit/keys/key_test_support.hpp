#pragma once
// Helpers for key tests: a scratch directory, real keys made by ssh-keygen at test time, and
// signature verification done with OpenSSL directly (independent of the code under test).
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

#include "ssh/wire/bytes.hpp"
#include "ssh/wire/reader.hpp"

namespace keytest {

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sshplex-keys-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline bool run(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  std::string out(static_cast<std::size_t>(in.tellg()), '\0');
  in.seekg(0);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  return out;
}

inline void write_file(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

inline std::string quote(const std::string& s) {
  return "'" + s + "'";
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Reads a PEM public key (SubjectPublicKeyInfo), as `ssh-keygen -e -m PKCS8` or
// `openssl pkey -pubout` print it.
inline Pkey read_public_pem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return Pkey(pkey);
}

// ssh-keygen cannot export ed25519 public keys as PEM; the raw 32 bytes are the whole key.
inline Pkey ed25519_public(ssh::ByteView raw) {
  return Pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()));
}

// Verifies an SSH signature blob (string algorithm | string signature) with OpenSSL, converting the
// SSH ECDSA encoding (mpint r | mpint s) back to DER.
inline bool openssl_verify(EVP_PKEY* pub, std::string_view expected_algorithm, ssh::ByteView sig_blob,
                           ssh::ByteView data) {
  ssh::wire::Reader r(sig_blob);
  std::string algorithm;
  ssh::ByteView sig;
  if (!r.string(algorithm) || !r.string(sig) || !r.empty() || algorithm != expected_algorithm) return false;
  const EVP_MD* md = nullptr;
  if (algorithm == "rsa-sha2-512" || algorithm == "ecdsa-sha2-nistp521") md = EVP_sha512();
  if (algorithm == "ecdsa-sha2-nistp384") md = EVP_sha384();
  if (algorithm == "rsa-sha2-256" || algorithm == "ecdsa-sha2-nistp256") md = EVP_sha256();
  if (algorithm == "ssh-rsa") md = EVP_sha1();
  ssh::Bytes raw(sig.begin(), sig.end());
  if (algorithm.rfind("ecdsa-", 0) == 0) {
    ssh::wire::Reader rs(sig);
    ssh::ByteView rv, sv;
    if (!rs.mpint_unsigned(rv) || !rs.mpint_unsigned(sv) || !rs.empty()) return false;
    ECDSA_SIG* es = ECDSA_SIG_new();
    ECDSA_SIG_set0(es, BN_bin2bn(rv.data(), static_cast<int>(rv.size()), nullptr),
                   BN_bin2bn(sv.data(), static_cast<int>(sv.size()), nullptr));
    unsigned char* der = nullptr;
    const int len = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    if (len <= 0) return false;
    raw.assign(der, der + len);
    OPENSSL_free(der);
  }
  if (algorithm.rfind("rsa-", 0) == 0 || algorithm == "ssh-rsa") {
    // RFC 8332 §3: the signature is exactly as long as the modulus.
    if (raw.size() != static_cast<std::size_t>(EVP_PKEY_get_size(pub))) return false;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, pub) == 1 &&
                  EVP_DigestVerify(ctx, raw.data(), raw.size(), data.data(), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

}  // namespace keytest
