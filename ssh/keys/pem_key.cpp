// PEM private keys as ssh-keygen -m PEM / -m PKCS8 writes them: traditional "BEGIN RSA/EC PRIVATE
// KEY" (optionally with RFC 1421 Proc-Type/DEK-Info encryption) and PKCS#8 "BEGIN PRIVATE KEY" /
// "BEGIN ENCRYPTED PRIVATE KEY" (RFC 5958, RFC 8018). OpenSSL does the parsing and decryption.
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <climits>
#include <cstring>

#include "ssh/keys/evp_signer.hpp"
#include "ssh/keys/key_internal.hpp"

namespace ssh::keys::detail {
namespace {

struct BioDeleter {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};

struct PassphraseRequest {
  std::string_view passphrase;
  bool asked = false;  // OpenSSL only asks when the key is encrypted
};

// pem_password_cb: copies the passphrase into OpenSSL's buffer, or refuses when we have none.
int passphrase_callback(char* buf, int size, int /*rwflag*/, void* user) {
  auto* request = static_cast<PassphraseRequest*>(user);
  request->asked = true;
  if (request->passphrase.empty() || size <= 0 || request->passphrase.size() > static_cast<std::size_t>(size)) {
    return -1;
  }
  std::memcpy(buf, request->passphrase.data(), request->passphrase.size());
  return static_cast<int>(request->passphrase.size());
}

}  // namespace

bool pem_key_is_encrypted(ByteView file) {
  const std::string_view text = as_string(file);
  return text.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos ||
         text.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos;
}

LoadResult load_pem_key(ByteView file, std::string_view passphrase) {
  const bool encrypted = pem_key_is_encrypted(file);
  if (encrypted && passphrase.empty()) return failure(LoadStatus::need_passphrase, "key is encrypted");
  if (file.size() > static_cast<std::size_t>(INT_MAX)) return failure(LoadStatus::malformed, "key file too large");

  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(file.data(), static_cast<int>(file.size())));
  if (!bio) return failure(LoadStatus::malformed, "out of memory");
  PassphraseRequest request{passphrase};
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_callback, &request);
  ERR_clear_error();
  if (pkey == nullptr) {
    if (request.asked || encrypted) {
      return passphrase.empty() ? failure(LoadStatus::need_passphrase, "key is encrypted")
                                : failure(LoadStatus::bad_passphrase, "incorrect passphrase or corrupt key");
    }
    return failure(LoadStatus::malformed, "not a PEM private key OpenSSL can read");
  }
  std::unique_ptr<Signer> signer = make_evp_signer(pkey, {});
  if (!signer) return failure(LoadStatus::unsupported, "unsupported key type in PEM file");
  LoadResult result;
  result.status = LoadStatus::ok;
  result.signer = std::move(signer);
  return result;
}

}  // namespace ssh::keys::detail
